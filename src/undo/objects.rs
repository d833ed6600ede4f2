//! Schemas, extensions, sequences, functions, triggers and comments.

use super::rule::{undo_rule, UndoRule};
use super::{stmt, Undo};
use crate::catalog::{function_identity as identity, function_key, Catalog};
use crate::sql::quote::Ident;
use crate::sql::{build, pb, NodeEnum, QName};
use pb::ObjectType;

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[
    UNDO_CREATE_SCHEMA,
    UNDO_CREATE_EXTENSION,
    UNDO_CREATE_SEQUENCE,
    UNDO_CREATE_FUNCTION,
    UNDO_CREATE_TRIGGER,
    UNDO_COMMENT,
    UNDO_DROP_OBJECT,
];

undo_rule! {
    /// a new schema is dropped again
    ///
    /// ## Undoes
    ///
    /// - `CREATE SCHEMA`
    /// - `CREATE SCHEMA IF NOT EXISTS`
    ///
    /// ## The undo
    ///
    /// `DROP SCHEMA`; objects created in it later are undone first.
    ///
    /// ## Verdict
    ///
    /// **exact**. Nothing to undo when the schema already existed; **manual** for `CREATE SCHEMA` with elements, whose objects the model does not track.
    ///
    /// ## Example
    ///
    /// ```sql
    /// CREATE SCHEMA "events";
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// DROP SCHEMA events;
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/objects/schema_extension_sequence.sql` (snapshot `snapshots/objects__schema_extension_sequence.snap`)
    UNDO_CREATE_SCHEMA = "undo-create-schema";
}

/// The undo of rule `undo-create-schema` (UNDO_CREATE_SCHEMA above).
pub fn create_schema(catalog: &Catalog, s: &pb::CreateSchemaStmt) -> Undo {
    if catalog.schemas.contains(&s.schemaname) || s.schemaname == crate::sql::names::DEFAULT_SCHEMA
    {
        return Undo::nothing(format!("schema {} already existed", Ident(&s.schemaname)));
    }
    if !s.schema_elts.is_empty() {
        return Undo::manual("CREATE SCHEMA with elements creates objects the model does not track; reverse it by hand");
    }
    drop_again(
        format!("drops schema {} again", Ident(&s.schemaname)),
        ObjectType::ObjectSchema,
        build::string(&s.schemaname),
    )
}

undo_rule! {
    /// a new extension is dropped again
    ///
    /// ## Undoes
    ///
    /// - `CREATE EXTENSION`
    /// - `CREATE EXTENSION IF NOT EXISTS`
    ///
    /// ## The undo
    ///
    /// `DROP EXTENSION`.
    ///
    /// ## Verdict
    ///
    /// **exact**; the note of `IF NOT EXISTS` says to delete the statement if the extension was installed outside the migrations. Nothing to undo when an earlier migration created it.
    ///
    /// ## Example
    ///
    /// ```sql
    /// CREATE EXTENSION IF NOT EXISTS "pg_trgm";
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// DROP EXTENSION pg_trgm;
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/objects/schema_extension_sequence.sql` (snapshot `snapshots/objects__schema_extension_sequence.snap`)
    UNDO_CREATE_EXTENSION = "undo-create-extension";
}

/// The undo of rule `undo-create-extension` (UNDO_CREATE_EXTENSION above).
pub fn create_extension(catalog: &Catalog, s: &pb::CreateExtensionStmt) -> Undo {
    if catalog.extensions.contains_key(&s.extname) {
        return Undo::nothing(format!("extension {} already existed", Ident(&s.extname)));
    }
    let mut reason = format!("drops extension {} again", Ident(&s.extname));
    if s.if_not_exists {
        reason.push_str(" (if it was installed outside the migrations, delete this statement)");
    }
    drop_again(
        reason,
        ObjectType::ObjectExtension,
        build::string(&s.extname),
    )
}

undo_rule! {
    /// a new sequence is dropped again
    ///
    /// ## Undoes
    ///
    /// - `CREATE SEQUENCE`
    ///
    /// ## The undo
    ///
    /// `DROP SEQUENCE`.
    ///
    /// ## Verdict
    ///
    /// **exact**. Nothing to undo when an earlier migration created it.
    ///
    /// ## Example
    ///
    /// ```sql
    /// CREATE SEQUENCE "ticket_seq";
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// DROP SEQUENCE ticket_seq;
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/objects/schema_extension_sequence.sql` (snapshot `snapshots/objects__schema_extension_sequence.snap`)
    UNDO_CREATE_SEQUENCE = "undo-create-sequence";
}

/// The undo of rule `undo-create-sequence` (UNDO_CREATE_SEQUENCE above).
pub fn create_sequence(catalog: &Catalog, s: &pb::CreateSeqStmt) -> Undo {
    let name = QName::from_range_var(s.sequence.as_ref().expect("sequence name"));
    if catalog.sequences.contains_key(&name) {
        return Undo::nothing(format!("sequence {name} already existed"));
    }
    drop_again(
        format!("drops sequence {name} again"),
        ObjectType::ObjectSequence,
        build::drop_object(&name),
    )
}

undo_rule! {
    /// a new function is dropped, a replaced one gets its earlier definition back
    ///
    /// ## Undoes
    ///
    /// - `CREATE FUNCTION`
    /// - `CREATE PROCEDURE`
    /// - `CREATE OR REPLACE FUNCTION`
    ///
    /// ## The undo
    ///
    /// `DROP FUNCTION` (or `DROP PROCEDURE`) with the argument types (not `OUT` parameters nor the columns of `RETURNS TABLE`, which are no part of its identity); for a function an earlier migration defined, `CREATE OR REPLACE` with the earlier definition.
    ///
    /// ## Verdict
    ///
    /// **exact** when the earlier state is known, and for a function in `pg_temp`, which the undo drops `IF EXISTS` (it vanishes with the session that created it, and the undo may run in that session or another). **lossy** for `CREATE OR REPLACE` of a function no earlier migration defines: the history is the schema's source of truth, so the function is new and is dropped again, but the note says that a body made outside the migrations would be lost with it.
    ///
    /// ## Example
    ///
    /// ```sql
    /// CREATE FUNCTION "touch"() RETURNS trigger AS $$ BEGIN NEW."updatedAt" = now(); RETURN NEW; END $$ LANGUAGE plpgsql;
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// DROP FUNCTION touch();
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/objects/functions_and_triggers.sql` (snapshot `snapshots/objects__functions_and_triggers.snap`)
    /// - `tests/cases/objects/function_returns_table.sql` (snapshot `snapshots/objects__function_returns_table.snap`)
    /// - `tests/cases/data/select_calls.sql` (snapshot `snapshots/data__select_calls.snap`)
    UNDO_CREATE_FUNCTION = "undo-create-function";
}

/// The undo of rule `undo-create-function` (UNDO_CREATE_FUNCTION above).
pub fn create_function(catalog: &Catalog, s: &pb::CreateFunctionStmt) -> Undo {
    let key = function_key(s);
    let temporary = QName::from_name_nodes(&s.funcname).schema == "pg_temp";
    if let Some(previous) = catalog.functions.get(&key) {
        let mut restore = previous.unpack();
        restore.replace = true;
        return Undo::exact(
            format!("restores the earlier definition of function {key}"),
            vec![stmt(NodeEnum::CreateFunctionStmt(Box::new(restore)))],
        );
    }
    let args = identity(s)
        .into_iter()
        .map(|t| build::node(NodeEnum::TypeName(t)))
        .collect();
    let object = build::node(NodeEnum::ObjectWithArgs(pb::ObjectWithArgs {
        objname: s.funcname.clone(),
        objargs: args,
        ..Default::default()
    }));
    let kind = if s.is_procedure {
        ObjectType::ObjectProcedure
    } else {
        ObjectType::ObjectFunction
    };
    if temporary {
        // It vanishes with the session that created it: the undo may run in that session
        // (one connection deploys every migration) or in another.
        let mut drop = build::drop(kind, vec![object], false);
        if let NodeEnum::DropStmt(d) = &mut drop {
            d.missing_ok = true;
        }
        return Undo::exact(
            format!("drops temporary function {key} if the session still has it (it vanishes with the session that created it)"),
            vec![stmt(drop)],
        );
    }
    if s.replace {
        // The history is the schema's source of truth: the function is new. Lossy all the
        // same, as the drop would take a body made outside the migrations with it.
        return Undo::lossy(
            format!("drops function {key} again: no earlier migration defines it, so it is new to the history; if it was created outside the migrations, its earlier body is lost (restore it by hand)"),
            vec![stmt(build::drop(kind, vec![object], false))],
        );
    }
    drop_again(format!("drops function {key} again"), kind, object)
}

undo_rule! {
    /// a new trigger is dropped, a replaced one gets its earlier definition back
    ///
    /// ## Undoes
    ///
    /// - `CREATE TRIGGER`
    /// - `CREATE OR REPLACE TRIGGER`
    ///
    /// ## The undo
    ///
    /// `DROP TRIGGER … ON table`; for a trigger an earlier migration created, `CREATE OR REPLACE TRIGGER` with the earlier definition.
    ///
    /// ## Verdict
    ///
    /// **exact**; **lossy** for `CREATE OR REPLACE TRIGGER` of a trigger no earlier migration creates: it is new to the history and dropped again, and the note says that a definition made outside the migrations would be lost with it.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "updatedAt" TIMESTAMP);
    /// CREATE FUNCTION "touch"() RETURNS trigger AS $$ BEGIN NEW."updatedAt" = now(); RETURN NEW; END $$ LANGUAGE plpgsql;
    ///
    /// -- this migration
    /// CREATE TRIGGER "touch" BEFORE UPDATE ON "User" FOR EACH ROW EXECUTE FUNCTION "touch"();
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// DROP TRIGGER touch ON "User";
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/objects/functions_and_triggers.sql` (snapshot `snapshots/objects__functions_and_triggers.snap`)
    UNDO_CREATE_TRIGGER = "undo-create-trigger";
}

/// The undo of rule `undo-create-trigger` (UNDO_CREATE_TRIGGER above).
pub fn create_trigger(catalog: &Catalog, s: &pb::CreateTrigStmt) -> Undo {
    let table = QName::from_range_var(s.relation.as_ref().expect("trigger table"));
    if let Some(previous) = catalog.triggers.get(&(table.clone(), s.trigname.clone())) {
        let mut restore = previous.unpack();
        restore.replace = true;
        return Undo::exact(
            format!(
                "restores the earlier trigger {} on {table}",
                Ident(&s.trigname)
            ),
            vec![stmt(NodeEnum::CreateTrigStmt(Box::new(restore)))],
        );
    }
    let mut names = table.to_name_nodes();
    names.push(build::string(&s.trigname));
    let reason = format!("drops trigger {} on {table} again", Ident(&s.trigname));
    if s.replace {
        // As for `CREATE OR REPLACE FUNCTION`: new to the history, lossy for a trigger made
        // outside it.
        return Undo::lossy(
            format!("{reason}: no earlier migration creates it, so it is new to the history; if it was created outside the migrations, its earlier definition is lost (restore it by hand)"),
            vec![stmt(build::drop(ObjectType::ObjectTrigger, vec![build::list(names)], false))],
        );
    }
    drop_again(reason, ObjectType::ObjectTrigger, build::list(names))
}

undo_rule! {
    /// a comment is put back as it was
    ///
    /// ## Undoes
    ///
    /// - `COMMENT ON … IS`
    ///
    /// ## The undo
    ///
    /// `COMMENT ON … IS` with the earlier comment, or `IS NULL` when there was none.
    ///
    /// ## Verdict
    ///
    /// **exact**.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY);
    ///
    /// -- this migration
    /// COMMENT ON TABLE "User" IS 'people';
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// COMMENT ON TABLE "User" IS NULL;
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/objects/schema_extension_sequence.sql` (snapshot `snapshots/objects__schema_extension_sequence.snap`)
    UNDO_COMMENT = "undo-comment";
}

/// The undo of rule `undo-comment` (UNDO_COMMENT above).
pub fn comment(catalog: &Catalog, s: &pb::CommentStmt) -> Undo {
    let mut back = s.clone();
    back.comment = catalog
        .comments
        .get(&catalog.comment_key(s))
        .cloned()
        .unwrap_or_default();
    Undo::exact(
        "restores the earlier comment",
        vec![stmt(NodeEnum::CommentStmt(Box::new(back)))],
    )
}

undo_rule! {
    /// a dropped schema, extension, sequence, function or trigger is created again
    ///
    /// ## Undoes
    ///
    /// - `DROP SCHEMA`
    /// - `DROP EXTENSION`
    /// - `DROP SEQUENCE`
    /// - `DROP FUNCTION`
    /// - `DROP PROCEDURE`
    /// - `DROP TRIGGER`
    /// - `DROP of any other object`
    ///
    /// ## The undo
    ///
    /// Creates the object again from the definition an earlier migration gave it, and a function's comment with it.
    ///
    /// ## Verdict
    ///
    /// **exact** for schemas, extensions, functions and triggers; **lossy** for a sequence, which restarts at its start value. A sequence a `serial` column owns needs no `CREATE SEQUENCE` in the history (PostgreSQL made it, named `<table>_<column>_seq`): it is created again `AS` its type and `OWNED BY` its column, the column's default `nextval` is put back when `CASCADE` took it, and `setval` sets it to the largest value in the column, so new rows get new ids; **lossy** all the same, as its exact current value is lost (values handed out to rows deleted since may come again). Nothing to undo (**exact**) for `DROP … IF EXISTS` of a schema, extension, sequence, function or trigger no earlier migration creates: as far as the history knows it dropped nothing, and the note says an object made outside the migrations would be lost. **manual** for the sequence of an identity column (PostgreSQL refuses to drop it), when no earlier migration defines the object (without `IF EXISTS`, or of a kind the model does not track), for `DROP SCHEMA … CASCADE` (its contents are gone), for `DROP FUNCTION … CASCADE` (what uses the function went with it), for a function name with several overloads, and for every other kind of object.
    ///
    /// ## Examples
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE SEQUENCE "ticket_seq" START 100;
    ///
    /// -- this migration
    /// DROP SEQUENCE "ticket_seq";
    /// ```
    ///
    /// Its undo, **lossy**:
    ///
    /// ```sql
    /// CREATE SEQUENCE ticket_seq START 100;
    /// ```
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Hook" ("id" SERIAL PRIMARY KEY);
    ///
    /// -- this migration
    /// DROP SEQUENCE "Hook_id_seq" CASCADE;
    /// ```
    ///
    /// Its undo, **lossy**:
    ///
    /// ```sql
    /// CREATE SEQUENCE "Hook_id_seq" AS int OWNED BY "Hook".id;
    /// ALTER TABLE "Hook" ALTER COLUMN id SET DEFAULT nextval('"Hook_id_seq"'::regclass);
    /// SELECT setval('"Hook_id_seq"', max(id)) FROM "Hook";
    /// ```
    ///
    /// ```sql
    /// DROP POLICY "owner_only" ON "Post";
    /// ```
    ///
    /// Its undo, **manual**: no statement; the undo file holds a manual block that fails until it is written.
    ///
    /// ## Cases
    ///
    /// - `tests/cases/objects/drop_owned_sequence.sql` (snapshot `snapshots/objects__drop_owned_sequence.snap`)
    /// - `tests/cases/objects/drop_unknown_objects.sql` (snapshot `snapshots/objects__drop_unknown_objects.snap`)
    /// - `tests/cases/objects/functions_and_triggers.sql` (snapshot `snapshots/objects__functions_and_triggers.snap`)
    /// - `tests/cases/tables/drops_take_comments_and_triggers.sql` (snapshot `snapshots/tables__drops_take_comments_and_triggers.snap`)
    UNDO_DROP_OBJECT = "undo-drop-object";
}

/// The undo of rule `undo-drop-object` (UNDO_DROP_OBJECT above).
pub fn drop_object(catalog: &Catalog, s: &pb::DropStmt) -> Undo {
    let kind = ObjectType::try_from(s.remove_type).unwrap_or(ObjectType::Undefined);
    let object = &s.objects[0];
    let label = kind
        .as_str_name()
        .trim_start_matches("OBJECT_")
        .to_lowercase();
    match (kind, &object.node) {
        (ObjectType::ObjectExtension, Some(NodeEnum::String(e))) => {
            match catalog.extensions.get(&e.sval) {
                Some(created) => {
                    let mut again = created.unpack();
                    again.if_not_exists = false;
                    Undo::exact(
                        format!("creates extension {} again", Ident(&e.sval)),
                        vec![stmt(NodeEnum::CreateExtensionStmt(again))],
                    )
                }
                None => unknown(&label, &Ident(&e.sval).to_string(), s.missing_ok),
            }
        }
        (ObjectType::ObjectSchema, Some(NodeEnum::String(name)))
            if catalog.schemas.contains(&name.sval) =>
        {
            if s.behavior == pb::DropBehavior::DropCascade as i32 {
                return Undo::manual(format!(
                    "DROP SCHEMA {} CASCADE drops everything in it; recreate its contents by hand",
                    Ident(&name.sval)
                ));
            }
            Undo::exact(
                format!("creates schema {} again", Ident(&name.sval)),
                vec![stmt(NodeEnum::CreateSchemaStmt(pb::CreateSchemaStmt {
                    schemaname: name.sval.clone(),
                    ..Default::default()
                }))],
            )
        }
        (ObjectType::ObjectSchema, Some(NodeEnum::String(name)))
            if name.sval != crate::sql::names::DEFAULT_SCHEMA =>
        {
            unknown(&label, &Ident(&name.sval).to_string(), s.missing_ok)
        }
        (ObjectType::ObjectTrigger, Some(NodeEnum::List(l))) => {
            let names = crate::sql::string_list(&l.items);
            let known = names.split_last().and_then(|(trigger, table)| {
                catalog
                    .triggers
                    .get(&(QName::from_names(table), trigger.clone()))
            });
            match known {
                Some(trigger) => Undo::exact(
                    format!("creates trigger {} again", object_label(object)),
                    vec![stmt(NodeEnum::CreateTrigStmt(Box::new(trigger.unpack())))],
                ),
                None => unknown(&label, &object_label(object), s.missing_ok),
            }
        }
        (
            ObjectType::ObjectFunction | ObjectType::ObjectProcedure,
            Some(NodeEnum::ObjectWithArgs(o)),
        ) => {
            let name = QName::from_name_nodes(&o.objname);
            let prefix = format!("{name}(");
            let mut matching = catalog
                .functions
                .iter()
                .filter(|(key, _)| key.starts_with(&prefix));
            match (matching.next(), matching.next()) {
                (Some(_), _) if s.behavior == pb::DropBehavior::DropCascade as i32 => {
                    Undo::manual(format!(
                        "DROP FUNCTION {name} CASCADE also drops what uses it (triggers, indexes, defaults, views), which unmigrate does not follow; create the function again and recreate those by hand"
                    ))
                }
                (Some((key, function)), None) => {
                    let mut again = function.unpack();
                    again.replace = false;
                    let args = identity(&again);
                    let comment = catalog.comment_on_function(&name, &args).map(|text| {
                        let object = build::node(NodeEnum::ObjectWithArgs(pb::ObjectWithArgs {
                            objname: again.funcname.clone(),
                            objargs: args.into_iter().map(|t| build::node(NodeEnum::TypeName(t))).collect(),
                            ..Default::default()
                        }));
                        super::recreate::comment(kind, object, text)
                    });
                    let mut statements = vec![stmt(NodeEnum::CreateFunctionStmt(Box::new(again)))];
                    statements.extend(comment);
                    Undo::exact(format!("creates function {key} again"), statements)
                }
                (Some(_), Some(_)) => Undo::manual(format!(
                    "several functions named {name} exist; recreate the dropped overload by hand"
                )),
                _ => unknown(&label, &object_label(object), s.missing_ok),
            }
        }
        (ObjectType::ObjectSequence, _) => {
            let name = crate::catalog::object_qname(object);
            match catalog.sequences.get(&name) {
                Some(seq) if seq.owned_by.is_none() => {
                    let mut again = seq.stmt.unpack();
                    again.sequence = Some(build::range_var(&name));
                    Undo::lossy(
                        format!("creates sequence {name} again: it restarts at its start value"),
                        vec![stmt(NodeEnum::CreateSeqStmt(again))],
                    )
                }
                Some(seq) => super::sequences::drop_owned_sequence(catalog, seq),
                None => unknown(&label, &name.to_string(), s.missing_ok),
            }
        }
        _ if s.missing_ok => Undo::manual(format!(
            "DROP {} IF EXISTS {}: unmigrate does not model this kind of object, so whether it existed and its definition are unknown",
            label.to_uppercase(),
            object_label(object)
        )),
        _ => unknown(&label, &object_label(object), false),
    }
}

/// A readable name for the object of a `DROP`, for messages.
fn object_label(object: &crate::sql::Node) -> String {
    match &object.node {
        Some(NodeEnum::ObjectWithArgs(o)) => format!("{}(…)", QName::from_name_nodes(&o.objname)),
        Some(NodeEnum::String(name)) => Ident(&name.sval).to_string(),
        Some(NodeEnum::TypeName(t)) => QName::from_name_nodes(&t.names).to_string(),
        Some(NodeEnum::List(l)) => crate::sql::string_list(&l.items)
            .iter()
            .map(|n| Ident(n).to_string())
            .collect::<Vec<_>>()
            .join("."),
        _ => "object".to_string(),
    }
}

/// The undo of dropping an object no earlier migration creates. `DROP … IF EXISTS` of a kind
/// the model tracks (the caller's match arms) dropped nothing, as far as the history knows.
fn unknown(kind: &str, name: &str, missing_ok: bool) -> Undo {
    if missing_ok {
        return Undo::of_unknown_drop(kind, &name, true);
    }
    Undo::manual(format!(
        "{kind} {name} is not created by any earlier migration, so its definition is unknown; recreate it by hand"
    ))
}

/// The exact undo of a statement that created one object: drop it again.
fn drop_again(reason: String, kind: ObjectType, object: pb::Node) -> Undo {
    Undo::exact(reason, vec![stmt(build::drop(kind, vec![object], false))])
}
