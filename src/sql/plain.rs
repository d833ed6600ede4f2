//! The deparser's text for the statements undo rules build most (tables, columns with their
//! types and simple defaults, key constraints, enum types, renames, plain column indexes),
//! written here instead: a deparse encodes the tree to protobuf, decodes it in C and frees it
//! again, which costs far more than these statements are long.
//!
//! A statement is written here only when every field the deparser reads is one this module
//! writes the way the deparser does; anything else (another kind of expression, an option, a
//! shape not listed) gets `None` and goes to the deparser. Structs are taken apart without `..`, so a
//! field added by a pg_query upgrade must be looked at here before this compiles again. The
//! tests compare every shape and option with the deparser's own output.

use std::fmt::Write;

use super::quote::Ident;
use super::{pb, Node, NodeEnum};
use pb::{AlterTableType, ConstrType, DropBehavior, ObjectType, SortByDir, SortByNulls};

/// The deparser's text for `node`, when it is a shape written here.
pub(crate) fn write(node: &NodeEnum) -> Option<String> {
    let mut out = String::with_capacity(128);
    match node {
        NodeEnum::CreateStmt(s) => create_table(&mut out, s)?,
        NodeEnum::AlterTableStmt(s) => alter_table(&mut out, s)?,
        NodeEnum::CreateEnumStmt(s) => create_enum(&mut out, s)?,
        NodeEnum::RenameStmt(s) => rename(&mut out, s)?,
        NodeEnum::IndexStmt(s) => create_index(&mut out, s)?,
        _ => return None,
    }
    Some(out)
}

/// `CREATE TABLE t (columns…, constraints…)` without options.
fn create_table(out: &mut String, s: &pb::CreateStmt) -> Option<()> {
    let pb::CreateStmt {
        relation,
        table_elts,
        inh_relations,
        partbound,
        partspec,
        of_typename,
        constraints,
        nnconstraints,
        options,
        oncommit,
        tablespacename,
        access_method,
        if_not_exists,
    } = s;
    let relation = relation.as_ref()?;
    let plain = relation.relpersistence == "p"
        && relation.inh
        && inh_relations.is_empty()
        && partbound.is_none()
        && partspec.is_none()
        && of_typename.is_none()
        && constraints.is_empty()
        && nnconstraints.is_empty()
        && options.is_empty()
        && *oncommit == pb::OnCommitAction::OncommitNoop as i32
        && tablespacename.is_empty()
        && access_method.is_empty()
        && !*if_not_exists;
    if !plain {
        return None;
    }
    out.push_str("CREATE TABLE ");
    relation_name(out, relation)?;
    out.push_str(" (");
    for (i, element) in table_elts.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        match &element.node {
            Some(NodeEnum::ColumnDef(def)) => column_def(out, def, false)?,
            Some(NodeEnum::Constraint(c)) => key_constraint(out, c)?,
            _ => return None,
        }
    }
    out.push(')');
    Some(())
}

/// `ALTER TABLE t …` with one command: `ADD COLUMN`, `ALTER COLUMN … SET|DROP DEFAULT`,
/// `ALTER COLUMN … TYPE … USING …` or `ADD CONSTRAINT` (a key constraint).
fn alter_table(out: &mut String, s: &pb::AlterTableStmt) -> Option<()> {
    let pb::AlterTableStmt {
        relation,
        cmds,
        objtype,
        missing_ok,
    } = s;
    let [cmd] = cmds.as_slice() else {
        return None;
    };
    let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node else {
        return None;
    };
    let pb::AlterTableCmd {
        subtype,
        name,
        num,
        newowner,
        def,
        behavior,
        missing_ok: cmd_missing_ok,
        recurse,
    } = &**cmd;
    let plain = *objtype == ObjectType::ObjectTable as i32
        && !*missing_ok
        && *num == 0
        && newowner.is_none()
        && *behavior == DropBehavior::DropRestrict as i32
        && !*cmd_missing_ok
        && !*recurse;
    if !plain {
        return None;
    }
    let subtype = AlterTableType::try_from(*subtype).ok()?;
    out.push_str("ALTER TABLE ");
    relation_name(out, relation.as_ref()?)?;
    let Some(def) = def else {
        if subtype != AlterTableType::AtColumnDefault || name.is_empty() {
            return None;
        }
        let _ = write!(out, " ALTER COLUMN {} DROP DEFAULT", Ident(name));
        return Some(());
    };
    match (subtype, def.node.as_ref()?) {
        (AlterTableType::AtAddConstraint, NodeEnum::Constraint(c)) if name.is_empty() => {
            out.push_str(" ADD ");
            key_constraint(out, c)
        }
        (AlterTableType::AtAddColumn, NodeEnum::ColumnDef(c)) if name.is_empty() => {
            out.push_str(" ADD COLUMN ");
            column_def(out, c, false)
        }
        (AlterTableType::AtColumnDefault, expr) if !name.is_empty() => {
            let _ = write!(out, " ALTER COLUMN {} SET DEFAULT ", Ident(name));
            expression(out, expr)
        }
        (AlterTableType::AtAlterColumnType, NodeEnum::ColumnDef(c)) if !name.is_empty() => {
            let _ = write!(out, " ALTER COLUMN {} TYPE ", Ident(name));
            column_def(out, c, true)
        }
        _ => None,
    }
}

/// A named primary key, unique or foreign key constraint over plain columns.
fn key_constraint(out: &mut String, c: &pb::Constraint) -> Option<()> {
    let pb::Constraint {
        contype,
        conname,
        deferrable,
        initdeferred,
        is_enforced,
        skip_validation,
        initially_valid: _, // the deparser does not write it (NOT VALID comes from skip_validation)
        is_no_inherit,
        raw_expr,
        cooked_expr,
        generated_when,
        generated_kind,
        nulls_not_distinct,
        keys,
        without_overlaps,
        including,
        exclusions,
        options,
        indexname,
        indexspace,
        reset_default_tblspc,
        access_method,
        where_clause,
        pktable,
        fk_attrs,
        pk_attrs,
        fk_with_period,
        pk_with_period,
        fk_matchtype,
        fk_upd_action,
        fk_del_action,
        fk_del_set_cols,
        old_conpfeqop,
        old_pktable_oid,
        location: _,
    } = c;
    let plain = !conname.is_empty()
        && !*is_no_inherit
        && raw_expr.is_none()
        && cooked_expr.is_empty()
        && generated_when.is_empty()
        && generated_kind.is_empty()
        && !*nulls_not_distinct
        && !*without_overlaps
        && including.is_empty()
        && exclusions.is_empty()
        && options.is_empty()
        && indexname.is_empty()
        && indexspace.is_empty()
        && !*reset_default_tblspc
        && access_method.is_empty()
        && where_clause.is_none()
        && !*fk_with_period
        && !*pk_with_period
        && fk_del_set_cols.is_empty()
        && old_conpfeqop.is_empty()
        && *old_pktable_oid == 0;
    if !plain {
        return None;
    }
    let _ = write!(out, "CONSTRAINT {} ", Ident(conname));
    match ConstrType::try_from(*contype).ok()? {
        ConstrType::ConstrPrimary | ConstrType::ConstrUnique => {
            let no_reference = pktable.is_none() && fk_attrs.is_empty() && pk_attrs.is_empty();
            if keys.is_empty() || !no_reference {
                return None;
            }
            out.push_str(if *contype == ConstrType::ConstrPrimary as i32 {
                "PRIMARY KEY ("
            } else {
                "UNIQUE ("
            });
            column_list(out, keys)?;
            out.push(')');
        }
        ConstrType::ConstrForeign => {
            // NOT ENFORCED is written for foreign keys (and checks) only.
            if !keys.is_empty() || fk_attrs.is_empty() || !*is_enforced {
                return None;
            }
            out.push_str("FOREIGN KEY (");
            column_list(out, fk_attrs)?;
            out.push_str(") REFERENCES ");
            relation_name(out, pktable.as_ref()?)?;
            if !pk_attrs.is_empty() {
                out.push_str(" (");
                column_list(out, pk_attrs)?;
                out.push(')');
            }
            match fk_matchtype.as_str() {
                "" | "s" => {}
                "f" => out.push_str(" MATCH FULL"),
                _ => return None,
            }
            fk_action(out, " ON UPDATE ", fk_upd_action)?;
            fk_action(out, " ON DELETE ", fk_del_action)?;
        }
        _ => return None,
    }
    if *deferrable {
        out.push_str(" DEFERRABLE");
    }
    if *initdeferred {
        out.push_str(" INITIALLY DEFERRED");
    }
    if *skip_validation {
        out.push_str(" NOT VALID");
    }
    Some(())
}

/// `ON UPDATE …`/`ON DELETE …`; nothing for the default, NO ACTION.
fn fk_action(out: &mut String, clause: &str, action: &str) -> Option<()> {
    let action = match action {
        "" | "a" => return Some(()),
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        _ => return None,
    };
    out.push_str(clause);
    out.push_str(action);
    Some(())
}

/// `CREATE TYPE t AS ENUM ('a', 'b')`
fn create_enum(out: &mut String, s: &pb::CreateEnumStmt) -> Option<()> {
    let pb::CreateEnumStmt { type_name, vals } = s;
    out.push_str("CREATE TYPE ");
    any_name(out, type_name)?;
    out.push_str(" AS ENUM (");
    for (i, value) in vals.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        string_literal(out, string(value)?);
    }
    out.push(')');
    Some(())
}

/// `ALTER <kind> x RENAME TO y`, `ALTER TABLE t RENAME COLUMN|CONSTRAINT a TO b`.
fn rename(out: &mut String, s: &pb::RenameStmt) -> Option<()> {
    let pb::RenameStmt {
        rename_type,
        relation_type,
        relation,
        object,
        subname,
        newname,
        behavior,
        missing_ok,
    } = s;
    if *missing_ok || *behavior != DropBehavior::DropRestrict as i32 || newname.is_empty() {
        return None;
    }
    let kind = ObjectType::try_from(*rename_type).ok()?;
    let keyword = match kind {
        ObjectType::ObjectTable | ObjectType::ObjectTabconstraint => "TABLE",
        ObjectType::ObjectColumn if *relation_type == ObjectType::ObjectTable as i32 => "TABLE",
        ObjectType::ObjectIndex => "INDEX",
        ObjectType::ObjectView => "VIEW",
        ObjectType::ObjectMatview => "MATERIALIZED VIEW",
        ObjectType::ObjectSequence => "SEQUENCE",
        ObjectType::ObjectType => "TYPE",
        ObjectType::ObjectSchema => "SCHEMA",
        _ => return None,
    };
    let _ = write!(out, "ALTER {keyword} ");
    match kind {
        ObjectType::ObjectType => {
            let Some(NodeEnum::List(names)) = object.as_deref().and_then(|o| o.node.as_ref())
            else {
                return None;
            };
            if relation.is_some() || !subname.is_empty() {
                return None;
            }
            any_name(out, &names.items)?;
        }
        ObjectType::ObjectSchema => {
            if relation.is_some() || object.is_some() || subname.is_empty() {
                return None;
            }
            let _ = write!(out, "{}", Ident(subname));
        }
        _ => {
            if object.is_some() {
                return None;
            }
            relation_name(out, relation.as_ref()?)?;
            match kind {
                ObjectType::ObjectColumn | ObjectType::ObjectTabconstraint => {
                    if subname.is_empty() {
                        return None;
                    }
                    let what = if kind == ObjectType::ObjectColumn {
                        "COLUMN"
                    } else {
                        "CONSTRAINT"
                    };
                    let _ = write!(out, " RENAME {what} {}", Ident(subname));
                }
                _ if !subname.is_empty() => return None,
                _ => out.push_str(" RENAME"),
            }
            let _ = write!(out, " TO {}", Ident(newname));
            return Some(());
        }
    }
    let _ = write!(out, " RENAME TO {}", Ident(newname));
    Some(())
}

/// `CREATE [UNIQUE] INDEX [CONCURRENTLY] i ON t USING m (a, b)` over plain columns.
fn create_index(out: &mut String, s: &pb::IndexStmt) -> Option<()> {
    let pb::IndexStmt {
        idxname,
        relation,
        access_method,
        table_space,
        index_params,
        index_including_params,
        options,
        where_clause,
        exclude_op_names,
        idxcomment,
        index_oid,
        old_number,
        old_create_subid,
        old_first_relfilelocator_subid,
        unique,
        nulls_not_distinct,
        primary,
        isconstraint,
        iswithoutoverlaps,
        deferrable,
        initdeferred,
        transformed,
        concurrent,
        if_not_exists,
        reset_default_tblspc,
    } = s;
    let plain = !idxname.is_empty()
        && !access_method.is_empty()
        && table_space.is_empty()
        && !index_params.is_empty()
        && index_including_params.is_empty()
        && options.is_empty()
        && where_clause.is_none()
        && exclude_op_names.is_empty()
        && idxcomment.is_empty()
        && *index_oid == 0
        && *old_number == 0
        && *old_create_subid == 0
        && *old_first_relfilelocator_subid == 0
        && !*nulls_not_distinct
        && !*primary
        && !*isconstraint
        && !*iswithoutoverlaps
        && !*deferrable
        && !*initdeferred
        && !*transformed
        && !*if_not_exists
        && !*reset_default_tblspc;
    if !plain {
        return None;
    }
    out.push_str(if *unique {
        "CREATE UNIQUE INDEX "
    } else {
        "CREATE INDEX "
    });
    if *concurrent {
        out.push_str("CONCURRENTLY ");
    }
    let _ = write!(out, "{} ON ", Ident(idxname));
    relation_name(out, relation.as_ref()?)?;
    let _ = write!(out, " USING {} (", Ident(access_method));
    for (i, param) in index_params.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{}", Ident(plain_index_column(param)?));
    }
    out.push(')');
    Some(())
}

/// The column of an index key that is a bare column: no expression, collation, operator
/// class or ordering.
fn plain_index_column(param: &Node) -> Option<&str> {
    let Some(NodeEnum::IndexElem(e)) = &param.node else {
        return None;
    };
    let pb::IndexElem {
        name,
        expr,
        indexcolname,
        collation,
        opclass,
        opclassopts,
        ordering,
        nulls_ordering,
    } = &**e;
    let plain = !name.is_empty()
        && expr.is_none()
        && indexcolname.is_empty()
        && collation.is_empty()
        && opclass.is_empty()
        && opclassopts.is_empty()
        && *ordering == SortByDir::SortbyDefault as i32
        && *nulls_ordering == SortByNulls::SortbyNullsDefault as i32;
    plain.then_some(name.as_str())
}

/// A column: `name type [NOT NULL] [DEFAULT value]`; for `ALTER COLUMN … TYPE` (`retype`),
/// the unnamed definition `type [USING value]`.
fn column_def(out: &mut String, c: &pb::ColumnDef, retype: bool) -> Option<()> {
    let pb::ColumnDef {
        colname,
        type_name,
        compression,
        inhcount: _,
        is_local: _,
        is_not_null: _, // written from the constraints, as the deparser does
        is_from_type: _,
        storage: _,
        storage_name,
        raw_default,
        cooked_default: _,
        identity: _,
        identity_sequence: _,
        generated: _,
        coll_clause,
        coll_oid: _,
        constraints,
        fdwoptions,
        location: _,
    } = c;
    let plain = colname.is_empty() == retype
        && compression.is_empty()
        && storage_name.is_empty()
        && coll_clause.is_none()
        && fdwoptions.is_empty()
        && (retype || raw_default.is_none())
        && (!retype || constraints.is_empty());
    if !plain {
        return None;
    }
    if !retype {
        let _ = write!(out, "{} ", Ident(colname));
    }
    type_name_text(out, type_name.as_ref()?)?;
    if let Some(using) = raw_default {
        out.push_str(" USING ");
        expression(out, using.node.as_ref()?)?;
    }
    for constraint in constraints {
        let Some(NodeEnum::Constraint(constraint)) = &constraint.node else {
            return None;
        };
        out.push(' ');
        column_constraint(out, constraint)?;
    }
    Some(())
}

/// `NOT NULL` or `DEFAULT value` on a column, unnamed and without attributes.
fn column_constraint(out: &mut String, c: &pb::Constraint) -> Option<()> {
    let pb::Constraint {
        contype,
        conname,
        deferrable,
        initdeferred,
        is_enforced: _, // written for foreign keys and checks only
        skip_validation,
        initially_valid: _,
        is_no_inherit,
        raw_expr,
        cooked_expr,
        generated_when,
        generated_kind,
        nulls_not_distinct,
        keys,
        without_overlaps,
        including,
        exclusions,
        options,
        indexname,
        indexspace,
        reset_default_tblspc,
        access_method,
        where_clause,
        pktable,
        fk_attrs,
        pk_attrs,
        fk_with_period,
        pk_with_period,
        fk_matchtype,
        fk_upd_action,
        fk_del_action,
        fk_del_set_cols,
        old_conpfeqop,
        old_pktable_oid,
        location: _,
    } = c;
    let plain = conname.is_empty()
        && !*deferrable
        && !*initdeferred
        && !*skip_validation
        && !*is_no_inherit
        && cooked_expr.is_empty()
        && generated_when.is_empty()
        && generated_kind.is_empty()
        && !*nulls_not_distinct
        && keys.is_empty()
        && !*without_overlaps
        && including.is_empty()
        && exclusions.is_empty()
        && options.is_empty()
        && indexname.is_empty()
        && indexspace.is_empty()
        && !*reset_default_tblspc
        && access_method.is_empty()
        && where_clause.is_none()
        && pktable.is_none()
        && fk_attrs.is_empty()
        && pk_attrs.is_empty()
        && !*fk_with_period
        && !*pk_with_period
        && fk_matchtype.is_empty()
        && fk_upd_action.is_empty()
        && fk_del_action.is_empty()
        && fk_del_set_cols.is_empty()
        && old_conpfeqop.is_empty()
        && *old_pktable_oid == 0;
    if !plain {
        return None;
    }
    match ConstrType::try_from(*contype).ok()? {
        ConstrType::ConstrNotnull if raw_expr.is_none() => out.push_str("NOT NULL"),
        ConstrType::ConstrDefault => {
            out.push_str("DEFAULT ");
            expression(out, raw_expr.as_deref()?.node.as_ref()?)?;
        }
        _ => return None,
    }
    Some(())
}

/// A type name as `deparseTypeName` writes it: built-in `pg_catalog` types by their SQL
/// names (`int`, `timestamp(3) with time zone`), integer modifiers, array bounds.
fn type_name_text(out: &mut String, t: &pb::TypeName) -> Option<()> {
    let pb::TypeName {
        names,
        type_oid,
        setof,
        pct_type,
        typmods,
        typemod: _,
        array_bounds,
        location: _,
    } = t;
    if *type_oid != 0 || *setof || *pct_type {
        return None;
    }
    let mut with_time_zone = false;
    match names.as_slice() {
        [schema, name] if string(schema)? == "pg_catalog" => {
            let name = string(name)?;
            let sql = match name {
                "bpchar" => "char",
                "varchar" => "varchar",
                "numeric" => "numeric",
                "bool" => "boolean",
                "int2" => "smallint",
                "int4" => "int",
                "int8" => "bigint",
                "real" | "float4" => "real",
                "float8" => "double precision",
                "time" => "time",
                "timestamp" => "timestamp",
                "timetz" => {
                    with_time_zone = true;
                    "time"
                }
                "timestamptz" => {
                    with_time_zone = true;
                    "timestamp"
                }
                "interval" if typmods.is_empty() => "interval",
                "interval" => return None,
                _ => {
                    out.push_str("pg_catalog.");
                    name
                }
            };
            out.push_str(sql);
        }
        _ => any_name(out, names)?,
    }
    if with_time_zone {
        // The deparser's own spelling: `timestamp (3) with time zone`.
        out.push(' ');
        if !typmods.is_empty() {
            integer_modifiers(out, typmods)?;
            out.push(' ');
        }
        out.push_str("with time zone");
    } else if !typmods.is_empty() {
        integer_modifiers(out, typmods)?;
    }
    for bound in array_bounds {
        let Some(NodeEnum::Integer(bound)) = &bound.node else {
            return None;
        };
        if bound.ival == -1 {
            out.push_str("[]");
        } else {
            let _ = write!(out, "[{}]", bound.ival);
        }
    }
    Some(())
}

/// `(3)`, `(65, 30)`: type modifiers that are integer constants.
fn integer_modifiers(out: &mut String, typmods: &[Node]) -> Option<()> {
    out.push('(');
    for (i, typmod) in typmods.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let Some(NodeEnum::AConst(pb::AConst {
            isnull: false,
            val: Some(pb::a_const::Val::Ival(value)),
            ..
        })) = &typmod.node
        else {
            return None;
        };
        let _ = write!(out, "{}", value.ival);
    }
    out.push(')');
    Some(())
}

/// The few expressions column defaults and type conversions are mostly made of: constants,
/// `current_timestamp`/`current_date`, a column, and casts of those.
fn expression(out: &mut String, node: &NodeEnum) -> Option<()> {
    match node {
        NodeEnum::AConst(c) => constant(out, c),
        NodeEnum::SqlvalueFunction(f) => {
            let pb::SqlValueFunction {
                xpr,
                op,
                r#type,
                typmod,
                location: _,
            } = &**f;
            if xpr.is_some() || *r#type != 0 || *typmod != -1 {
                return None;
            }
            out.push_str(match pb::SqlValueFunctionOp::try_from(*op).ok()? {
                pb::SqlValueFunctionOp::SvfopCurrentTimestamp => "current_timestamp",
                pb::SqlValueFunctionOp::SvfopCurrentDate => "current_date",
                _ => return None,
            });
            Some(())
        }
        NodeEnum::ColumnRef(c) => {
            let pb::ColumnRef {
                fields,
                location: _,
            } = c;
            let [field] = fields.as_slice() else {
                return None;
            };
            let _ = write!(out, "{}", Ident(string(field)?));
            Some(())
        }
        NodeEnum::TypeCast(c) => {
            let pb::TypeCast {
                arg,
                type_name,
                location: _,
            } = &**c;
            let arg = arg.as_deref()?.node.as_ref()?;
            let type_name = type_name.as_ref()?;
            // The deparser writes some casts of constants its own way (`true`, `char 'x'`,
            // negative numbers in parentheses); those are left to it.
            match arg {
                NodeEnum::AConst(pb::AConst {
                    val: Some(pb::a_const::Val::Sval(_)),
                    isnull: false,
                    ..
                }) => {
                    let special = match type_name.names.as_slice() {
                        [schema, name] => {
                            string(schema) == Some("pg_catalog")
                                && matches!(string(name), Some("bpchar" | "bool" | "interval"))
                        }
                        [name] => string(name) == Some("point"),
                        _ => false,
                    };
                    if special {
                        return None;
                    }
                }
                NodeEnum::ColumnRef(_) | NodeEnum::TypeCast(_) => {}
                _ => return None,
            }
            expression(out, arg)?;
            out.push_str("::");
            type_name_text(out, type_name)
        }
        _ => None,
    }
}

/// A constant: a string literal, a non-negative integer, `true`/`false`, `NULL`.
fn constant(out: &mut String, c: &pb::AConst) -> Option<()> {
    let pb::AConst {
        isnull,
        location: _,
        val,
    } = c;
    match (isnull, val) {
        (true, None) => out.push_str("NULL"),
        (false, Some(pb::a_const::Val::Sval(s))) => string_literal(out, &s.sval),
        (false, Some(pb::a_const::Val::Ival(i))) if i.ival >= 0 => {
            let _ = write!(out, "{}", i.ival);
        }
        (false, Some(pb::a_const::Val::Boolval(b))) => {
            out.push_str(if b.boolval { "true" } else { "false" })
        }
        _ => return None,
    }
    Some(())
}

/// A relation as `deparseRangeVar` writes it outside FROM: `[ONLY ][schema.]name`.
fn relation_name(out: &mut String, rv: &pb::RangeVar) -> Option<()> {
    let pb::RangeVar {
        catalogname,
        schemaname,
        relname,
        inh,
        relpersistence: _, // written by CREATE statements only
        alias,
        location: _,
    } = rv;
    if !catalogname.is_empty() || alias.is_some() || relname.is_empty() {
        return None;
    }
    if !*inh {
        out.push_str("ONLY ");
    }
    if !schemaname.is_empty() {
        let _ = write!(out, "{}.", Ident(schemaname));
    }
    let _ = write!(out, "{}", Ident(relname));
    Some(())
}

/// `a, b`: names of a column list.
fn column_list(out: &mut String, columns: &[Node]) -> Option<()> {
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{}", Ident(string(column)?));
    }
    Some(())
}

/// `a.b`: a dotted name such as a type's.
fn any_name(out: &mut String, names: &[Node]) -> Option<()> {
    if names.is_empty() {
        return None;
    }
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        let _ = write!(out, "{}", Ident(string(name)?));
    }
    Some(())
}

fn string(node: &Node) -> Option<&str> {
    super::string_value(node)
}

/// A string constant as the deparser writes it: `'…'` with quotes doubled, and the `E'…'`
/// form with backslashes doubled when there are any.
fn string_literal(out: &mut String, value: &str) {
    if value.contains('\\') {
        out.push('E');
    }
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::deparse_tree;

    fn parsed(sql: &str) -> NodeEnum {
        let result = pg_query::parse(sql, 0).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let stmt = result.protobuf.stmts[0].stmt.clone();
        stmt.and_then(|n| n.node).expect("a statement")
    }

    /// Every shape and option written here, as the parser produces it: the text must be the
    /// deparser's, byte for byte.
    #[test]
    fn written_statements_are_the_deparsers_text() {
        let cases = [
            r#"ALTER TABLE "T" ADD CONSTRAINT "c" FOREIGN KEY ("a") REFERENCES "U"("id") ON DELETE CASCADE ON UPDATE CASCADE"#,
            r#"ALTER TABLE "T" ADD CONSTRAINT "c" FOREIGN KEY ("a", "B") REFERENCES "U"("id", "x") ON DELETE SET NULL ON UPDATE RESTRICT"#,
            r#"ALTER TABLE s."T" ADD CONSTRAINT "c" FOREIGN KEY ("a") REFERENCES "S"."U"("id") ON DELETE SET DEFAULT ON UPDATE SET NULL NOT VALID"#,
            r#"ALTER TABLE "T" ADD CONSTRAINT "c" FOREIGN KEY ("a") REFERENCES "U"("id") MATCH FULL ON DELETE NO ACTION ON UPDATE SET DEFAULT DEFERRABLE INITIALLY DEFERRED"#,
            r#"ALTER TABLE "T" ADD CONSTRAINT "c" FOREIGN KEY ("a") REFERENCES "U" ON DELETE RESTRICT"#,
            r#"ALTER TABLE "T" ADD CONSTRAINT "select" FOREIGN KEY ("order") REFERENCES "user"("a""b") DEFERRABLE"#,
            r#"ALTER TABLE "T" ADD CONSTRAINT "c" FOREIGN KEY ("a") REFERENCES "U"("id") MATCH SIMPLE NOT DEFERRABLE INITIALLY IMMEDIATE"#,
            r#"ALTER TABLE ONLY "T" ADD CONSTRAINT "c" FOREIGN KEY ("a") REFERENCES "U"("id")"#,
            r#"ALTER TABLE "T" ADD CONSTRAINT "T_pkey" PRIMARY KEY ("a", "b")"#,
            r#"ALTER TABLE "T" ADD CONSTRAINT "c" UNIQUE ("a", "Order") DEFERRABLE INITIALLY DEFERRED"#,
            r#"CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN', 'it''s', 'back\slash', '', 'é "q"')"#,
            r#"CREATE TYPE s."Role" AS ENUM ()"#,
            "CREATE TYPE role AS ENUM ('a')",
            r#"ALTER TYPE "Role" RENAME TO "Role_old""#,
            r#"ALTER TYPE s."Role" RENAME TO "Role_old""#,
            r#"ALTER INDEX "a" RENAME TO "b""#,
            r#"ALTER INDEX s."A" RENAME TO "table""#,
            r#"ALTER TABLE "a" RENAME TO "b""#,
            r#"ALTER TABLE ONLY "a" RENAME COLUMN "x" TO "Y""#,
            r#"ALTER TABLE "a" RENAME CONSTRAINT "x" TO "y""#,
            r#"ALTER VIEW "a" RENAME TO "b""#,
            r#"ALTER MATERIALIZED VIEW "a" RENAME TO "b""#,
            r#"ALTER SEQUENCE "a" RENAME TO "b""#,
            r#"ALTER SCHEMA "a" RENAME TO "B""#,
            r#"CREATE UNIQUE INDEX "i" ON "T"("a", "b")"#,
            r#"CREATE INDEX CONCURRENTLY "i" ON s."T" USING hash ("a")"#,
            r#"CREATE INDEX "i" ON ONLY "T" USING gin ("Data")"#,
            r#"CREATE TABLE "Job" ("id" TEXT NOT NULL, "n" INTEGER DEFAULT 0, CONSTRAINT "Job_pkey" PRIMARY KEY ("id"))"#,
            r#"CREATE TABLE s."T" ("a" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "b" TIMESTAMPTZ(6), "c" TIMESTAMPTZ, "d" TIMETZ(2), "e" TIME)"#,
            r#"CREATE TABLE "T" ("a" BOOLEAN NOT NULL DEFAULT false, "b" BOOL DEFAULT true, "c" SMALLINT, "d" BIGINT DEFAULT 42, "e" REAL, "f" DOUBLE PRECISION, "g" FLOAT4)"#,
            r#"CREATE TABLE "T" ("a" DECIMAL(65,30), "b" NUMERIC, "c" VARCHAR(255) DEFAULT 'x', "d" CHAR(2), "e" CHARACTER, "f" INTERVAL, "g" DATE DEFAULT CURRENT_DATE)"#,
            r#"CREATE TABLE "T" ("a" TEXT[], "b" INTEGER[][] NOT NULL, "c" INT[3], "d" "Role"[] DEFAULT NULL, "e" s."Type", "f" JSONB DEFAULT '{}', "g" BYTEA, "h" pg_catalog.uuid)"#,
            r#"CREATE TABLE "T" ("a" TEXT NOT NULL DEFAULT 'it''s', "b" TEXT DEFAULT 'back\slash', "c" "Role" NOT NULL DEFAULT 'USER', "d" TEXT DEFAULT 'x'::text, "e" JSONB DEFAULT '[]'::jsonb)"#,
            r#"CREATE TABLE "select" ("order" TEXT, "Group" INT, CONSTRAINT "u" UNIQUE ("order"), CONSTRAINT "f" FOREIGN KEY ("Group") REFERENCES "G"("id") ON DELETE CASCADE)"#,
            r#"CREATE TABLE "T" ()"#,
            r#"ALTER TABLE "T" ADD COLUMN "a" TEXT NOT NULL DEFAULT 'x'"#,
            r#"ALTER TABLE s."T" ADD COLUMN "a" TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP"#,
            r#"ALTER TABLE "T" ADD COLUMN "a" "Status"[]"#,
            r#"ALTER TABLE "T" ALTER COLUMN "a" SET DEFAULT 'PENDING'"#,
            r#"ALTER TABLE "T" ALTER COLUMN "a" SET DEFAULT 0"#,
            r#"ALTER TABLE "T" ALTER COLUMN "a" SET DEFAULT false"#,
            r#"ALTER TABLE "T" ALTER COLUMN "a" SET DEFAULT CURRENT_TIMESTAMP"#,
            r#"ALTER TABLE "T" ALTER COLUMN "a" SET DEFAULT '[]'::jsonb"#,
            r#"ALTER TABLE "T" ALTER COLUMN "Status" DROP DEFAULT"#,
            r#"ALTER TABLE "T" ALTER COLUMN "a" TYPE INTEGER USING "a"::INTEGER"#,
            r#"ALTER TABLE "T" ALTER COLUMN "a" TYPE "Role" USING "a"::text::"Role""#,
            r#"ALTER TABLE "T" ALTER COLUMN "a" TYPE "Role"[] USING "a"::text[]::"Role"[]"#,
            r#"ALTER TABLE "T" ALTER COLUMN "a" TYPE VARCHAR(10) USING "a"::VARCHAR(10)"#,
            r#"ALTER TABLE "T" ALTER COLUMN "a" TYPE TIMESTAMPTZ(3) USING "a"::TIMESTAMPTZ(3)"#,
            r#"ALTER TABLE "T" ALTER COLUMN "a" TYPE TEXT"#,
        ];
        for sql in cases {
            let node = parsed(sql);
            let written = write(&node).unwrap_or_else(|| panic!("not written here: {sql}"));
            assert_eq!(written, deparse_tree(node).expect("deparses"), "{sql}");
        }
    }

    /// Anything with a part this module does not write goes to the deparser.
    #[test]
    fn other_shapes_are_left_to_the_deparser() {
        let cases = [
            r#"ALTER TABLE "T" ADD CONSTRAINT "c" FOREIGN KEY ("a") REFERENCES "U"("id") NOT ENFORCED"#,
            r#"ALTER TABLE "T" ADD CONSTRAINT "c" FOREIGN KEY ("a") REFERENCES "U"("id") ON DELETE SET NULL ("a")"#,
            r#"ALTER TABLE "T" ADD FOREIGN KEY ("a") REFERENCES "U"("id")"#,
            r#"ALTER TABLE IF EXISTS "T" ADD CONSTRAINT "c" UNIQUE ("a")"#,
            r#"ALTER TABLE "T" ADD CONSTRAINT "c" UNIQUE NULLS NOT DISTINCT ("a")"#,
            r#"ALTER TABLE "T" ADD CONSTRAINT "c" UNIQUE ("a") INCLUDE ("x")"#,
            r#"ALTER TABLE "T" ADD CONSTRAINT "c" UNIQUE ("a") WITH (fillfactor=70)"#,
            r#"ALTER TABLE "T" ADD CONSTRAINT "c" UNIQUE USING INDEX "i""#,
            r#"ALTER TABLE "T" ADD CONSTRAINT "c" CHECK ("a" > 0)"#,
            r#"ALTER TABLE "T" ADD CONSTRAINT "c" UNIQUE ("a"), ADD CONSTRAINT "d" UNIQUE ("b")"#,
            r#"ALTER TABLE IF EXISTS "a" RENAME TO "b""#,
            r#"ALTER TYPE "Role" RENAME VALUE 'a' TO 'b'"#,
            r#"ALTER FUNCTION f() RENAME TO g"#,
            r#"ALTER VIEW "a" RENAME COLUMN "x" TO "y""#,
            r#"CREATE INDEX "i" ON "T"("a" DESC NULLS LAST)"#,
            r#"CREATE INDEX "i" ON "T"("a" ASC)"#,
            r#"CREATE INDEX "i" ON "T"("a" text_pattern_ops)"#,
            r#"CREATE INDEX "i" ON "T"("a" COLLATE "C")"#,
            r#"CREATE INDEX "i" ON "T"(lower("a"))"#,
            r#"CREATE INDEX "i" ON "T"("a") WHERE "b" > 0"#,
            r#"CREATE INDEX "i" ON "T"("a") INCLUDE ("c")"#,
            r#"CREATE INDEX "i" ON "T"("a") WITH (fillfactor = 70)"#,
            r#"CREATE INDEX "i" ON "T"("a") TABLESPACE foo"#,
            r#"CREATE UNIQUE INDEX "i" ON "T"("a") NULLS NOT DISTINCT"#,
            r#"CREATE INDEX ON "T"("a")"#,
            r#"CREATE INDEX IF NOT EXISTS "i" ON "T"("a")"#,
            r#"DROP TABLE "T""#,
            r#"CREATE TABLE IF NOT EXISTS "T" ("a" TEXT)"#,
            r#"CREATE UNLOGGED TABLE "T" ("a" TEXT)"#,
            r#"CREATE TABLE "T" ("a" TEXT) WITH (fillfactor = 70)"#,
            r#"CREATE TABLE "T" ("a" TEXT) PARTITION BY RANGE ("a")"#,
            r#"CREATE TABLE "T" (LIKE "U")"#,
            r#"CREATE TABLE "T" ("a" TEXT COLLATE "C")"#,
            r#"CREATE TABLE "T" ("a" TEXT, CHECK ("a" <> ''))"#,
            r#"CREATE TABLE "T" ("a" INT DEFAULT -1)"#,
            r#"CREATE TABLE "T" ("a" FLOAT DEFAULT 1.5)"#,
            r#"CREATE TABLE "T" ("a" TEXT DEFAULT gen_random_uuid())"#,
            r#"CREATE TABLE "T" ("a" TEXT[] DEFAULT ARRAY[]::TEXT[])"#,
            r#"CREATE TABLE "T" ("a" INT GENERATED ALWAYS AS IDENTITY)"#,
            r#"CREATE TABLE "T" ("a" INT GENERATED ALWAYS AS ("b" * 2) STORED)"#,
            r#"CREATE TABLE "T" ("a" INT CONSTRAINT "nn" NOT NULL)"#,
            r#"CREATE TABLE "T" ("a" INT PRIMARY KEY)"#,
            r#"CREATE TABLE "T" ("a" INTERVAL DAY)"#,
            r#"CREATE TABLE "T" ("a" BOOLEAN DEFAULT 't'::boolean)"#,
            r#"CREATE TABLE "T" ("a" TIMESTAMP DEFAULT LOCALTIMESTAMP)"#,
            r#"CREATE TABLE "T" ("a" TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP(3))"#,
            r#"CREATE TABLE "T" ("a" SETOF INT)"#,
            r#"ALTER TABLE "T" ADD COLUMN IF NOT EXISTS "a" TEXT"#,
            r#"ALTER TABLE "T" ALTER COLUMN "a" SET DEFAULT now()"#,
            r#"ALTER TABLE "T" ALTER COLUMN "a" TYPE TEXT COLLATE "C""#,
            r#"ALTER TABLE "T" ALTER COLUMN "a" TYPE INT USING "t"."a"::INT"#,
            r#"ALTER TABLE "T" ALTER COLUMN "a" TYPE INT USING ("a" + 1)::INT"#,
            r#"ALTER TABLE "T" ALTER COLUMN "a" DROP NOT NULL"#,
            r#"ALTER TABLE "T" DROP COLUMN "a""#,
        ];
        for sql in cases {
            assert_eq!(write(&parsed(sql)), None, "{sql}");
        }
    }
}
