-- unmigrate snapshot support, installed into the scratch database only (schema unmigrate_drill,
-- left out of every snapshot). Everything here renders with search_path = pg_catalog, so every
-- name in a definition is schema-qualified whatever the migrations set their search_path to.
-- The two entry points (render_all, take_changes) also force generic plans for everything they
-- call: the renders run thousands of times with a different OID each, and re-planning every
-- statement for each OID cost more than executing it (custom plans win the planner's own
-- comparison here, so plpgsql would otherwise keep re-planning).
--
-- A "top" is an object a snapshot lists on its own: a table, view, sequence, type, function,
-- schema, extension, event trigger, or another user-created object. Everything else (columns,
-- constraints, indexes, triggers, defaults, policies, rules, statistics) is part of its top's
-- definition.

CREATE SCHEMA unmigrate_drill;

-- Objects touched by DDL, appended by the event triggers. Rows are never deleted: take_changes
-- reads the ones after `drained.upto` through the index, where a DELETE of each phase's rows
-- would leave dead row versions that every later phase scans again (nothing vacuums these
-- tables during a drill). The drill's one session appends them, so ids follow its changes.
CREATE UNLOGGED TABLE unmigrate_drill.touched (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, cls oid NOT NULL, obj oid NOT NULL
);
CREATE UNLOGGED TABLE unmigrate_drill.drained (upto bigint NOT NULL);
INSERT INTO unmigrate_drill.drained VALUES (0);

-- What each top looked like when last rendered: its key, its signature (the names and types
-- other objects' definitions can show: a relation's columns, a type's definition), and a
-- relation's indexes and statistics objects (gone from the catalogs by the time sql_drop
-- fires, and not named with their table, so their table is found here).
CREATE UNLOGGED TABLE unmigrate_drill.rendered (
    cls oid NOT NULL, obj oid NOT NULL, key text NOT NULL, sig text[] NOT NULL, parts oid[] NOT NULL,
    PRIMARY KEY (cls, obj)
);

-- Index definitions as pg_get_indexdef last printed them (it is the costliest part of a
-- table), with the table they belong to (so a dropped index's table can be found: sql_drop
-- fires after the catalog rows are gone). A definition is reused only while its pg_index and
-- pg_class rows are the same row versions (xmin) and the table's qualified name and column
-- names are unchanged: those are what the text shows. Renamed operator classes, collations or
-- functions an index names reach the table through pg_depend, and such renders skip this cache.
CREATE UNLOGGED TABLE unmigrate_drill.index_defs (
    oid oid PRIMARY KEY, tbl oid NOT NULL, fingerprint text NOT NULL, def text NOT NULL
);

-- The top an object belongs to; an object no longer in the catalogs is its own top.
CREATE FUNCTION unmigrate_drill.top_of(c oid, o oid, OUT cls oid, OUT obj oid)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    k "char";
    owner oid;
BEGIN
    cls := c; obj := o;
    IF c = 'pg_class'::regclass THEN
        SELECT relkind, reltype INTO k, owner FROM pg_class WHERE oid = o;
        IF k IN ('i', 'I') THEN
            SELECT 'pg_class'::regclass, indrelid INTO cls, obj FROM pg_index WHERE indexrelid = o;
        ELSIF k = 'c' THEN
            cls := 'pg_type'::regclass; obj := owner;
        ELSIF k = 't' THEN
            SELECT 'pg_class'::regclass, r.oid INTO cls, obj FROM pg_class r WHERE r.reltoastrelid = o;
        ELSIF k = 'S' THEN
            -- An identity column's sequence is part of its column.
            SELECT d.refobjid INTO owner FROM pg_depend d
            WHERE d.classid = 'pg_class'::regclass AND d.objid = o AND d.deptype = 'i'
              AND d.refclassid = 'pg_class'::regclass;
            IF owner IS NOT NULL THEN obj := owner; END IF;
        END IF;
    ELSIF c = 'pg_constraint'::regclass THEN
        SELECT CASE WHEN conrelid <> 0 THEN 'pg_class'::regclass ELSE 'pg_type'::regclass END,
               CASE WHEN conrelid <> 0 THEN conrelid ELSE contypid END
          INTO cls, obj FROM pg_constraint WHERE oid = o;
        IF NOT FOUND THEN cls := c; obj := o; END IF;
    ELSIF c = 'pg_trigger'::regclass THEN
        SELECT 'pg_class'::regclass, tgrelid INTO cls, obj FROM pg_trigger WHERE oid = o;
        IF NOT FOUND THEN cls := c; obj := o; END IF;
    ELSIF c = 'pg_attrdef'::regclass THEN
        SELECT 'pg_class'::regclass, adrelid INTO cls, obj FROM pg_attrdef WHERE oid = o;
        IF NOT FOUND THEN cls := c; obj := o; END IF;
    ELSIF c = 'pg_rewrite'::regclass THEN
        SELECT 'pg_class'::regclass, ev_class INTO cls, obj FROM pg_rewrite WHERE oid = o;
        IF NOT FOUND THEN cls := c; obj := o; END IF;
    ELSIF c = 'pg_policy'::regclass THEN
        SELECT 'pg_class'::regclass, polrelid INTO cls, obj FROM pg_policy WHERE oid = o;
        IF NOT FOUND THEN cls := c; obj := o; END IF;
    ELSIF c = 'pg_statistic_ext'::regclass THEN
        SELECT 'pg_class'::regclass, stxrelid INTO cls, obj FROM pg_statistic_ext WHERE oid = o;
        IF NOT FOUND THEN cls := c; obj := o; END IF;
    ELSIF c = 'pg_type'::regclass THEN
        SELECT CASE
                 WHEN t.typcategory = 'A' AND t.typelem <> 0 THEN t.typelem
                 WHEN t.typtype = 'm' THEN (SELECT rngtypid FROM pg_range WHERE rngmultitypid = t.oid)
                 ELSE t.oid END,
               CASE WHEN t.typrelid <> 0 AND r.relkind <> 'c' THEN t.typrelid END
          INTO owner, obj FROM pg_type t LEFT JOIN pg_class r ON r.oid = t.typrelid
         WHERE t.oid = o;
        IF NOT FOUND THEN
            obj := o;
        ELSIF obj IS NOT NULL THEN
            cls := 'pg_class'::regclass; -- a table's row type is part of the table
        ELSE
            obj := owner;
        END IF;
    END IF;
END $$;

-- Whether a top is a user's object that snapshots list (not a system or extension object,
-- not unmigrate's own, not Prisma's bookkeeping table).
CREATE FUNCTION unmigrate_drill.listed(c oid, o oid) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    ns oid;
BEGIN
    IF o < 16384 AND c <> 'pg_namespace'::regclass THEN
        RETURN false; -- created by initdb (schemas are checked by name below: public counts)
    END IF;
    IF EXISTS (SELECT FROM pg_depend WHERE classid = c AND objid = o AND deptype = 'e') THEN
        RETURN false; -- belongs to an extension: the extension is listed instead
    END IF;
    IF c = 'pg_class'::regclass THEN
        SELECT relnamespace INTO ns FROM pg_class
         WHERE oid = o AND relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
           AND NOT (relname = '_prisma_migrations' AND relkind = 'r');
    ELSIF c = 'pg_type'::regclass THEN
        SELECT typnamespace INTO ns FROM pg_type t
         WHERE oid = o AND typtype IN ('e', 'd', 'r', 'c', 'b')
           AND NOT (typcategory = 'A' AND typelem <> 0)
           AND (typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c');
    ELSIF c = 'pg_proc'::regclass THEN
        SELECT pronamespace INTO ns FROM pg_proc WHERE oid = o;
    ELSIF c = 'pg_namespace'::regclass THEN
        ns := o;
    ELSIF c = 'pg_event_trigger'::regclass THEN
        RETURN EXISTS (SELECT FROM pg_event_trigger WHERE oid = o AND evtname NOT LIKE 'unmigrate_drill%');
    ELSIF c IN ('pg_constraint'::regclass, 'pg_trigger'::regclass, 'pg_attrdef'::regclass,
                'pg_rewrite'::regclass, 'pg_policy'::regclass, 'pg_statistic_ext'::regclass,
                'pg_description'::regclass, 'pg_depend'::regclass, 'pg_attribute'::regclass,
                'pg_default_acl'::regclass, 'pg_init_privs'::regclass) THEN
        RETURN false; -- parts of a top, or not schema at all
    ELSE
        RETURN pg_describe_object(c, o, 0) IS NOT NULL;
    END IF;
    RETURN ns IS NOT NULL
       AND NOT EXISTS (SELECT FROM pg_namespace WHERE oid = ns
                        AND (nspname IN ('pg_catalog', 'information_schema', 'pg_toast', 'unmigrate_drill')
                             OR nspname LIKE 'pg_temp%' OR nspname LIKE 'pg_toast_temp%'));
END $$;

-- Helpers below run inside render_all / take_changes, which set search_path = pg_catalog for
-- everything they call. They are PL/pgSQL, not SQL, functions so that their query plans are
-- cached for the session instead of planned again on every call.

CREATE FUNCTION unmigrate_drill.comment_on(c oid, o oid, sub int) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT ' comment ' || quote_literal(description) FROM pg_description
             WHERE classoid = c AND objoid = o AND objsubid = sub);
END $$;

-- The parts of a table, view, materialized view or composite type, one line each, in a fixed
-- order: columns by position (so "column order only" differences can be told apart), then
-- every other part by name. One query of scalar subqueries: no per-row function calls.
-- Lookups by key are written as scalar or OFFSET 0 lateral subqueries: the renders run with
-- generic plans, and for a plain join a generic plan hashes the whole other catalog.
CREATE FUNCTION unmigrate_drill.relation_lines(r oid, fresh boolean, has_index boolean,
                                               has_triggers boolean, has_rules boolean) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    names text;
    idx text;
    trg text;
    rul text;
BEGIN
    IF fresh THEN
        DELETE FROM unmigrate_drill.index_defs x WHERE x.tbl = r;
    END IF;
    -- Parts a table has never had are not queried: the flags are set while any exist.
    IF has_index THEN
        names := r::regclass::text || ' ' || (SELECT string_agg(quote_ident(attname), ',' ORDER BY attnum)
                                                 FROM pg_attribute WHERE attrelid = r AND attnum > 0 AND NOT attisdropped);
        INSERT INTO unmigrate_drill.index_defs AS x
        SELECT i.indexrelid, r, f.fp, pg_get_indexdef(i.indexrelid)
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid,
               LATERAL (SELECT i.xmin::text || ' ' || c.xmin::text || ' ' || names AS fp) f
         WHERE i.indrelid = r
           AND f.fp IS DISTINCT FROM (SELECT y.fingerprint FROM unmigrate_drill.index_defs y WHERE y.oid = i.indexrelid)
        ON CONFLICT (oid) DO UPDATE SET tbl = excluded.tbl, fingerprint = excluded.fingerprint, def = excluded.def;
        idx := (SELECT string_agg('  index ' || (SELECT x.def FROM unmigrate_drill.index_defs x WHERE x.oid = i.indexrelid)
                               || CASE WHEN NOT i.indisvalid THEN ' INVALID' ELSE '' END
                               || CASE WHEN i.indisclustered THEN ' CLUSTER' ELSE '' END
                               || CASE WHEN i.indisreplident THEN ' REPLICA IDENTITY' ELSE '' END
                               || coalesce(' with ' || array_to_string(c.reloptions, ','), '')
                               || coalesce(' comment ' || quote_literal(ds.description), ''),
                               E'\n' ORDER BY c.relname::text COLLATE "C")
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               LEFT JOIN pg_description ds ON ds.classoid = 'pg_class'::regclass AND ds.objoid = c.oid AND ds.objsubid = 0
              WHERE i.indrelid = r);
    END IF;
    IF has_triggers THEN
        trg := (SELECT string_agg('  trigger ' || pg_get_triggerdef(g.oid)
                               || CASE WHEN g.tgenabled <> 'O' THEN ' enabled ' || g.tgenabled::text ELSE '' END
                               || coalesce(' comment ' || quote_literal(ds.description), ''),
                               E'\n' ORDER BY g.tgname::text COLLATE "C")
               FROM pg_trigger g
               LEFT JOIN pg_description ds ON ds.classoid = 'pg_trigger'::regclass AND ds.objoid = g.oid AND ds.objsubid = 0
              WHERE g.tgrelid = r AND NOT g.tgisinternal);
    END IF;
    IF has_rules THEN
        rul := (SELECT string_agg('  rule ' || pg_get_ruledef(oid), E'\n' ORDER BY rulename::text COLLATE "C")
               FROM pg_rewrite WHERE ev_class = r AND rulename <> '_RETURN');
    END IF;
    RETURN concat_ws(E'\n',
        (SELECT string_agg(
               '  column ' || quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
               || CASE WHEN a.attcollation <> t.typcollation
                       THEN ' collate ' || (SELECT quote_ident(n.nspname) || '.' || quote_ident(l.collname)
                                              FROM pg_collation l JOIN pg_namespace n ON n.oid = l.collnamespace
                                             WHERE l.oid = a.attcollation) ELSE '' END
               || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
               || CASE WHEN a.attgenerated = 's' THEN ' generated always as (' || pg_get_expr(d.adbin, d.adrelid) || ') stored'
                       WHEN d.adbin IS NOT NULL THEN ' default ' || pg_get_expr(d.adbin, d.adrelid) ELSE '' END
               || CASE a.attidentity WHEN 'a' THEN ' generated always as identity'
                                     WHEN 'd' THEN ' generated by default as identity' ELSE '' END
               || CASE WHEN a.attstorage <> t.typstorage THEN ' storage ' || a.attstorage::text ELSE '' END
               || CASE WHEN a.attstattarget >= 0 THEN ' statistics ' || a.attstattarget ELSE '' END
               || coalesce(' options ' || array_to_string(a.attoptions, ','), '')
               || coalesce(' comment ' || quote_literal(ds.description), ''),
               E'\n' ORDER BY a.attnum)
           FROM pg_attribute a
           CROSS JOIN LATERAL (SELECT t.typcollation, t.typstorage FROM pg_type t WHERE t.oid = a.atttypid OFFSET 0) t
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
           LEFT JOIN pg_description ds ON ds.classoid = 'pg_class'::regclass AND ds.objoid = r AND ds.objsubid = a.attnum
          WHERE a.attrelid = r AND a.attnum > 0 AND NOT a.attisdropped),
        (SELECT string_agg('  constraint ' || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid)
                           || coalesce(' comment ' || quote_literal(ds.description), ''),
                           E'\n' ORDER BY c.conname::text COLLATE "C")
           FROM pg_constraint c
           LEFT JOIN pg_description ds ON ds.classoid = 'pg_constraint'::regclass AND ds.objoid = c.oid AND ds.objsubid = 0
          WHERE c.conrelid = r),
        idx,
        trg,
        (SELECT string_agg('  policy ' || quote_ident(polname) || ' ' || polcmd::text
                           || CASE WHEN polpermissive THEN ' permissive' ELSE ' restrictive' END
                           || ' to ' || array_to_string(ARRAY(SELECT CASE WHEN x = 0 THEN 'public' ELSE x::regrole::text END
                                                              FROM unnest(polroles) x ORDER BY 1), ',')
                           || coalesce(' using (' || pg_get_expr(polqual, polrelid) || ')', '')
                           || coalesce(' with check (' || pg_get_expr(polwithcheck, polrelid) || ')', ''),
                           E'\n' ORDER BY polname::text COLLATE "C")
           FROM pg_policy WHERE polrelid = r),
        rul,
        (SELECT string_agg('  statistics ' || pg_get_statisticsobjdef(oid), E'\n' ORDER BY stxname::text COLLATE "C")
           FROM pg_statistic_ext WHERE stxrelid = r));
END $$;

-- The key and definition of a top; no row when the object is gone or not listed.
CREATE FUNCTION unmigrate_drill.render(c oid, o oid, fresh boolean, OUT key text, OUT def text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    rel record;
    typ record;
    header text;
BEGIN
    IF NOT unmigrate_drill.listed(c, o) THEN
        key := NULL; def := NULL; RETURN;
    END IF;
    IF c = 'pg_class'::regclass THEN
        SELECT * INTO rel FROM pg_class WHERE oid = o;
        IF rel.relkind = 'S' THEN
            SELECT 'sequence ' || o::regclass::text,
                   'sequence ' || o::regclass::text || ' as ' || format_type(s.seqtypid, NULL)
                   || ' increment ' || s.seqincrement || ' minvalue ' || s.seqmin
                   || ' maxvalue ' || s.seqmax || ' start ' || s.seqstart || ' cache ' || s.seqcache
                   || CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END
                   || CASE WHEN rel.relpersistence = 'u' THEN ' unlogged' ELSE '' END
                   || coalesce((SELECT ' owned by ' || d.refobjid::regclass::text || '.' || quote_ident(a.attname)
                                  FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                                 WHERE d.classid = 'pg_class'::regclass AND d.objid = o AND d.deptype = 'a'
                                   AND d.refclassid = 'pg_class'::regclass), '')
                   || coalesce(unmigrate_drill.comment_on(c, o, 0), '')
              INTO key, def FROM pg_sequence s WHERE s.seqrelid = o;
            RETURN;
        END IF;
        header := CASE rel.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                                   WHEN 'f' THEN 'foreign table' ELSE 'table' END
                  || ' ' || o::regclass::text;
        key := header;
        IF rel.relpersistence = 'u' THEN header := header || ' unlogged'; END IF;
        IF rel.relkind = 'p' THEN header := header || ' partition by ' || pg_get_partkeydef(o); END IF;
        IF rel.relispartition THEN
            header := header || ' partition of '
                || (SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = o)
                || ' ' || pg_get_expr(rel.relpartbound, o);
        ELSE
            header := header || coalesce(' inherits ' || (SELECT string_agg(inhparent::regclass::text, ', ' ORDER BY inhseqno)
                                                           FROM pg_inherits WHERE inhrelid = o), '');
        END IF;
        IF rel.relrowsecurity THEN header := header || ' row level security'; END IF;
        IF rel.relforcerowsecurity THEN header := header || ' forced'; END IF;
        IF rel.relreplident NOT IN ('d', 'n') OR (rel.relreplident = 'n' AND rel.relkind IN ('r', 'p')) THEN
            header := header || ' replica identity ' || rel.relreplident::text;
        END IF;
        IF rel.relkind = 'm' AND NOT rel.relispopulated THEN header := header || ' with no data'; END IF;
        header := header || coalesce(' with ' || array_to_string(rel.reloptions, ','), '')
                         || coalesce(unmigrate_drill.comment_on(c, o, 0), '');
        IF rel.relkind IN ('v', 'm') THEN
            header := header || E'\n  as ' || replace(pg_get_viewdef(o), E'\n', E'\n  ');
        END IF;
        IF rel.relkind = 'f' THEN
            header := header || coalesce((SELECT E'\n  server ' || quote_ident(s.srvname)
                                                 || coalesce(' options ' || array_to_string(f.ftoptions, ','), '')
                                            FROM pg_foreign_table f JOIN pg_foreign_server s ON s.oid = f.ftserver
                                           WHERE f.ftrelid = o), '');
        END IF;
        def := header || coalesce(E'\n' || nullif(unmigrate_drill.relation_lines(o, fresh, rel.relhasindex, rel.relhastriggers, rel.relhasrules), ''), '');
    ELSIF c = 'pg_type'::regclass THEN
        SELECT * INTO typ FROM pg_type WHERE oid = o;
        key := 'type ' || o::regtype::text;
        IF typ.typtype = 'e' THEN
            def := 'enum ' || o::regtype::text || ' ('
                   || (SELECT string_agg(quote_literal(enumlabel), ', ' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = o)
                   || ')';
        ELSIF typ.typtype = 'd' THEN
            def := 'domain ' || o::regtype::text || ' as ' || format_type(typ.typbasetype, typ.typtypmod)
                   || CASE WHEN typ.typnotnull THEN ' not null' ELSE '' END
                   || coalesce(' default ' || typ.typdefault, '')
                   || coalesce((SELECT E'\n' || string_agg('  constraint ' || quote_ident(conname) || ' ' || pg_get_constraintdef(oid), E'\n' ORDER BY conname)
                                  FROM pg_constraint WHERE contypid = o), '');
        ELSIF typ.typtype = 'r' THEN
            def := (SELECT 'range ' || o::regtype::text || ' subtype ' || format_type(rngsubtype, NULL)
                           || coalesce(' subtype_diff ' || nullif(rngsubdiff, 0)::regproc::text, '')
                           || coalesce(' canonical ' || nullif(rngcanonical, 0)::regproc::text, '')
                      FROM pg_range WHERE rngtypid = o);
        ELSIF typ.typtype = 'c' THEN
            def := 'composite ' || o::regtype::text
                   || coalesce(E'\n' || nullif(unmigrate_drill.relation_lines(typ.typrelid, fresh, false, false, false), ''), '');
        ELSE
            def := 'base type ' || o::regtype::text || ' input ' || typ.typinput::text || ' output ' || typ.typoutput::text;
        END IF;
        def := def || coalesce(unmigrate_drill.comment_on(c, o, 0), '');
    ELSIF c = 'pg_proc'::regclass THEN
        SELECT CASE prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate ' ELSE 'function ' END || o::regprocedure::text,
               CASE WHEN prokind = 'a'
                    THEN (SELECT 'aggregate ' || o::regprocedure::text || ' sfunc ' || aggtransfn::text
                                 || ' stype ' || format_type(aggtranstype, NULL)
                                 || coalesce(' finalfunc ' || nullif(aggfinalfn, 0)::regproc::text, '')
                                 || coalesce(' initcond ' || quote_literal(agginitval), '')
                            FROM pg_aggregate WHERE aggfnoid = o)
                    ELSE pg_get_functiondef(o) END
               || coalesce(unmigrate_drill.comment_on(c, o, 0), '')
          INTO key, def FROM pg_proc WHERE oid = o;
    ELSIF c = 'pg_namespace'::regclass THEN
        SELECT 'schema ' || quote_ident(nspname), 'schema ' || quote_ident(nspname) || coalesce(unmigrate_drill.comment_on(c, o, 0), '')
          INTO key, def FROM pg_namespace WHERE oid = o;
    ELSIF c = 'pg_extension'::regclass THEN
        SELECT 'extension ' || quote_ident(extname),
               'extension ' || quote_ident(extname) || ' version ' || quote_literal(extversion)
               || ' schema ' || quote_ident(extnamespace::regnamespace::text)
          INTO key, def FROM pg_extension WHERE oid = o;
    ELSIF c = 'pg_event_trigger'::regclass THEN
        SELECT 'event trigger ' || quote_ident(evtname),
               'event trigger ' || quote_ident(evtname) || ' on ' || evtevent || ' execute ' || evtfoid::regprocedure::text
               || coalesce(' when tag in ' || array_to_string(evttags, ','), '') || ' enabled ' || evtenabled::text
          INTO key, def FROM pg_event_trigger WHERE oid = o;
    ELSE
        -- Other user-created objects (collations, casts, operators, text search, servers…):
        -- listed by identity, so creating or dropping one shows.
        key := 'object ' || pg_describe_object(c, o, 0);
        def := key;
    END IF;
END $$;

-- Records what a top looked like (see the rendered table); true when other objects'
-- definitions may now read differently: it was renamed, or a column (or a type's
-- definition) changed name or type. Added and dropped columns alone change no dependant.
CREATE FUNCTION unmigrate_drill.remember(c oid, o oid, new_key text, def text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    old record;
    new_sig text[];
BEGIN
    SELECT r.key, r.sig INTO old FROM unmigrate_drill.rendered r WHERE r.cls = c AND r.obj = o;
    IF new_key IS NULL THEN
        DELETE FROM unmigrate_drill.rendered r WHERE r.cls = c AND r.obj = o;
        RETURN false; -- what depended on it was dropped with it, and reported
    END IF;
    IF c = 'pg_class'::regclass THEN
        new_sig := ARRAY(SELECT a.attnum || E'\t' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                           FROM pg_attribute a WHERE a.attrelid = o AND a.attnum > 0 AND NOT a.attisdropped);
    ELSIF c = 'pg_type'::regclass THEN
        new_sig := ARRAY['0' || E'\t' || def];
    ELSE
        new_sig := '{}';
    END IF;
    INSERT INTO unmigrate_drill.rendered AS r VALUES (c, o, new_key, new_sig,
        CASE WHEN c = 'pg_class'::regclass
             THEN ARRAY(SELECT indexrelid FROM pg_index WHERE indrelid = o
                        UNION ALL SELECT oid FROM pg_statistic_ext WHERE stxrelid = o)
             ELSE '{}' END)
    ON CONFLICT (cls, obj) DO UPDATE SET key = excluded.key, sig = excluded.sig, parts = excluded.parts;
    RETURN old.key IS NOT NULL AND (old.key <> new_key OR EXISTS (
        SELECT FROM unnest(old.sig) was
         WHERE NOT was = ANY (new_sig)
           AND split_part(was, E'\t', 1) = ANY (ARRAY(SELECT split_part(now, E'\t', 1) FROM unnest(new_sig) now))));
END $$;

-- Every listed top, rendered: the full snapshot.
CREATE FUNCTION unmigrate_drill.render_all(OUT cls oid, OUT obj oid, OUT key text, OUT def text)
RETURNS SETOF record LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
    TRUNCATE unmigrate_drill.touched;
    TRUNCATE unmigrate_drill.rendered;
    TRUNCATE unmigrate_drill.index_defs;
    FOR cls, obj IN
        SELECT 'pg_namespace'::regclass::oid, oid FROM pg_namespace
        UNION ALL SELECT 'pg_class'::regclass, oid FROM pg_class WHERE relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
        UNION ALL SELECT 'pg_type'::regclass, oid FROM pg_type WHERE typtype IN ('e', 'd', 'r', 'c', 'b') AND oid >= 16384
        UNION ALL SELECT 'pg_proc'::regclass, oid FROM pg_proc WHERE oid >= 16384
        UNION ALL SELECT 'pg_extension'::regclass, oid FROM pg_extension
        UNION ALL SELECT 'pg_event_trigger'::regclass, oid FROM pg_event_trigger
        UNION ALL SELECT 'pg_collation'::regclass, oid FROM pg_collation WHERE oid >= 16384
        UNION ALL SELECT 'pg_cast'::regclass, oid FROM pg_cast WHERE oid >= 16384
        UNION ALL SELECT 'pg_operator'::regclass, oid FROM pg_operator WHERE oid >= 16384
        UNION ALL SELECT 'pg_opclass'::regclass, oid FROM pg_opclass WHERE oid >= 16384
        UNION ALL SELECT 'pg_opfamily'::regclass, oid FROM pg_opfamily WHERE oid >= 16384
        UNION ALL SELECT 'pg_ts_config'::regclass, oid FROM pg_ts_config WHERE oid >= 16384
        UNION ALL SELECT 'pg_ts_dict'::regclass, oid FROM pg_ts_dict WHERE oid >= 16384
        UNION ALL SELECT 'pg_conversion'::regclass, oid FROM pg_conversion WHERE oid >= 16384
        UNION ALL SELECT 'pg_language'::regclass, oid FROM pg_language WHERE oid >= 16384
        UNION ALL SELECT 'pg_foreign_data_wrapper'::regclass, oid FROM pg_foreign_data_wrapper
        UNION ALL SELECT 'pg_foreign_server'::regclass, oid FROM pg_foreign_server
        UNION ALL SELECT 'pg_publication'::regclass, oid FROM pg_publication
        UNION ALL SELECT 'pg_am'::regclass, oid FROM pg_am WHERE oid >= 16384
        UNION ALL SELECT 'pg_transform'::regclass, oid FROM pg_transform
    LOOP
        SELECT r.key, r.def INTO key, def FROM unmigrate_drill.render(cls, obj, true) r;
        IF key IS NOT NULL THEN
            PERFORM unmigrate_drill.remember(cls, obj, key, def);
            RETURN NEXT;
        END IF;
    END LOOP;
END $$;

-- The tops touched since the last call, and every top whose definition shows one of them by
-- name (views on a renamed table, tables using a renamed type or sequence…), rendered. A row
-- with a null key is a top that is gone or no longer listed.
-- The tops touched since the last call, rendered, and then every top whose definition names
-- one that was renamed or retyped (views on a renamed table, tables using a renamed type or
-- enum label…), level by level. A row with a null key is a top that is gone or not listed.
CREATE FUNCTION unmigrate_drill.take_changes(OUT cls oid, OUT obj oid, OUT key text, OUT def text)
RETURNS SETOF record LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
    -- Tops as (catalog << 32 | oid), so sets of them are plain bigint arrays.
    frontier bigint[];
    next bigint[];
    done bigint[] := '{}';
    top bigint;
    reached_through_depend boolean := false;
    since bigint;
    last_id bigint;
BEGIN
    -- The rows appended since the last call; a statement often reports the same object many
    -- times: find each one's top once.
    SELECT d.upto INTO since FROM unmigrate_drill.drained d;
    SELECT coalesce(array_agg(DISTINCT (t.cls::bigint << 32) | t.obj::bigint), '{}'), max(d.last)
      INTO frontier, last_id
      FROM (SELECT x.cls, x.obj, max(x.id) AS last FROM unmigrate_drill.touched x
             WHERE x.id > since GROUP BY x.cls, x.obj) d,
           unmigrate_drill.top_of(d.cls, d.obj) t;
    IF last_id IS NOT NULL THEN
        UPDATE unmigrate_drill.drained SET upto = last_id;
    END IF;
    -- What a statement does to a partitioned or inherited table it may do to the partitions
    -- and children too (a trigger or index cloned, a column added) and report only the parent.
    frontier := frontier || ARRAY(
        WITH RECURSIVE below(rel) AS (
            SELECT i.inhrelid FROM unnest(frontier) t JOIN pg_inherits i ON i.inhparent = (t & 4294967295)::oid
             WHERE (t >> 32)::oid = 'pg_class'::regclass
            UNION
            SELECT i.inhrelid FROM below b JOIN pg_inherits i ON i.inhparent = b.rel)
        SELECT ('pg_class'::regclass::oid::bigint << 32) | b.rel::bigint FROM below b);
    WHILE cardinality(frontier) > 0 LOOP
        next := '{}';
        FOREACH top IN ARRAY frontier LOOP
            CONTINUE WHEN top = ANY (done);
            done := done || top;
            cls := (top >> 32)::oid;
            obj := (top & 4294967295)::oid;
            SELECT r.key, r.def INTO key, def FROM unmigrate_drill.render(cls, obj, reached_through_depend) r;
            IF unmigrate_drill.remember(cls, obj, key, def) THEN
                next := next || ARRAY(
                    SELECT DISTINCT (t.cls::bigint << 32) | t.obj::bigint
                      FROM pg_depend d CROSS JOIN LATERAL unmigrate_drill.top_of(d.classid, d.objid) t
                     WHERE d.refclassid = (top >> 32)::oid AND d.refobjid = (top & 4294967295)::oid
                       AND d.deptype IN ('n', 'a'));
            END IF;
            RETURN NEXT;
        END LOOP;
        frontier := next;
        reached_through_depend := true;
    END LOOP;
END $$;

CREATE FUNCTION unmigrate_drill.log_ddl() RETURNS event_trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO unmigrate_drill.touched (cls, obj)
    SELECT classid, objid FROM pg_event_trigger_ddl_commands() WHERE objid IS NOT NULL AND objid <> 0;
END $$;

-- Parts of a table (constraints, triggers, defaults, policies, rules, statistics) are named
-- with their table in address_names, and the table is still there when only the part goes;
-- a dropped index's or statistics object's table is looked up in what was rendered.
CREATE FUNCTION unmigrate_drill.log_drop() RETURNS event_trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO unmigrate_drill.touched (cls, obj)
    SELECT coalesce(r.cls, p.cls, d.classid), coalesce(r.obj, p.obj, d.objid)
      FROM pg_event_trigger_dropped_objects() d
      LEFT JOIN LATERAL (
          SELECT 'pg_class'::regclass::oid AS cls, x.tbl AS obj FROM unmigrate_drill.index_defs x
           WHERE d.object_type = 'index' AND x.oid = d.objid
          UNION ALL
          SELECT s.cls, s.obj FROM unmigrate_drill.rendered s
           WHERE d.object_type = 'statistics object' AND d.objid = ANY (s.parts)
      ) r ON true
      LEFT JOIN LATERAL (
          SELECT 'pg_class'::regclass::oid AS cls, to_regclass(quote_ident(d.address_names[1]) || '.' || quote_ident(d.address_names[2]))::oid AS obj
           WHERE d.object_type IN ('table constraint', 'trigger', 'default value', 'policy', 'rule')
             AND cardinality(d.address_names) >= 3
          UNION ALL
          SELECT 'pg_type'::regclass::oid, to_regtype(quote_ident(d.address_names[1]) || '.' || quote_ident(d.address_names[2]))::oid
           WHERE d.object_type = 'domain constraint'
      ) p ON p.obj IS NOT NULL
     -- The triggers a foreign key puts on the table it references are internal (never shown)
     -- and go with the key: that table has not changed, so it is not rendered again.
     WHERE NOT (d.object_type = 'trigger' AND NOT d.original AND NOT d.normal
                AND d.address_names[3] ~ '^RI_ConstraintTrigger_[ac]_[0-9]+$');
END $$;
