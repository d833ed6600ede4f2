//! Schemas, extensions, sequences, functions, triggers and comments.

use super::{stmt, Undo};
use crate::catalog::{comment_key, function_key, Catalog};
use crate::sql::quote::Ident;
use crate::sql::{build, pb, NodeEnum, QName};
use pb::ObjectType;

/// Undoes `CREATE SCHEMA` with `DROP SCHEMA` (**exact**: objects created in it later are
/// undone first).
///
/// ```sql
/// CREATE SCHEMA "events";
/// -- undo:
/// DROP SCHEMA "events";
/// ```
pub fn create_schema(catalog: &Catalog, s: &pb::CreateSchemaStmt) -> Undo {
    if catalog.schemas.contains(&s.schemaname) || s.schemaname == crate::sql::names::DEFAULT_SCHEMA
    {
        return Undo::nothing(format!("schema {} already existed", Ident(&s.schemaname)));
    }
    if !s.schema_elts.is_empty() {
        return Undo::manual("CREATE SCHEMA with elements creates objects the model does not track; reverse it by hand");
    }
    Undo::exact(
        format!("drops schema {} again", Ident(&s.schemaname)),
        vec![stmt(build::drop(
            ObjectType::ObjectSchema,
            vec![build::string(&s.schemaname)],
            false,
        ))],
    )
}

/// Undoes `CREATE EXTENSION` with `DROP EXTENSION` (**exact**; nothing when it existed).
///
/// ```sql
/// CREATE EXTENSION IF NOT EXISTS "pg_trgm";
/// -- undo:
/// DROP EXTENSION "pg_trgm";
/// ```
pub fn create_extension(catalog: &Catalog, s: &pb::CreateExtensionStmt) -> Undo {
    if catalog.extensions.contains_key(&s.extname) {
        return Undo::nothing(format!("extension {} already existed", Ident(&s.extname)));
    }
    let mut reason = format!("drops extension {} again", Ident(&s.extname));
    if s.if_not_exists {
        reason.push_str(" (if it was installed outside the migrations, delete this statement)");
    }
    Undo::exact(
        reason,
        vec![stmt(build::drop(
            ObjectType::ObjectExtension,
            vec![build::string(&s.extname)],
            false,
        ))],
    )
}

/// Undoes `CREATE SEQUENCE` with `DROP SEQUENCE` (**exact**).
///
/// ```sql
/// CREATE SEQUENCE "ticket_seq";
/// -- undo:
/// DROP SEQUENCE "ticket_seq";
/// ```
pub fn create_sequence(catalog: &Catalog, s: &pb::CreateSeqStmt) -> Undo {
    let name = QName::from_range_var(s.sequence.as_ref().expect("sequence name"));
    if catalog.sequences.contains_key(&name) {
        return Undo::nothing(format!("sequence {name} already existed"));
    }
    Undo::exact(
        format!("drops sequence {name} again"),
        vec![stmt(build::drop(
            ObjectType::ObjectSequence,
            vec![build::drop_object(&name)],
            false,
        ))],
    )
}

/// Undoes `CREATE FUNCTION` with `DROP FUNCTION`, or `CREATE OR REPLACE FUNCTION` by restoring
/// the earlier definition.
///
/// Verdict **exact** when the earlier state is known; **manual** for `OR REPLACE` of a function
/// no earlier migration defined (it may exist with a body unmigrate never saw).
///
/// ```sql
/// CREATE FUNCTION "touch"() RETURNS trigger AS $$ … $$ LANGUAGE plpgsql;
/// -- undo:
/// DROP FUNCTION "touch"();
/// ```
pub fn create_function(catalog: &Catalog, s: &pb::CreateFunctionStmt) -> Undo {
    let key = function_key(s);
    if let Some(previous) = catalog.functions.get(&key) {
        let mut restore = previous.unpack();
        restore.replace = true;
        return Undo::exact(
            format!("restores the earlier definition of function {key}"),
            vec![stmt(NodeEnum::CreateFunctionStmt(Box::new(restore)))],
        );
    }
    if s.replace {
        return Undo::manual(format!(
            "CREATE OR REPLACE FUNCTION {key}: no earlier migration defines it, so if it existed its earlier body is unknown; restore it by hand (or DROP FUNCTION if it is new)"
        ));
    }
    let args = s
        .parameters
        .iter()
        .filter_map(|p| match &p.node {
            Some(NodeEnum::FunctionParameter(fp))
                if fp.mode != pb::FunctionParameterMode::FuncParamOut as i32 =>
            {
                fp.arg_type
                    .clone()
                    .map(|t| build::node(NodeEnum::TypeName(t)))
            }
            _ => None,
        })
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
    Undo::exact(
        format!("drops function {key} again"),
        vec![stmt(build::drop(kind, vec![object], false))],
    )
}

/// Undoes `CREATE TRIGGER` with `DROP TRIGGER` (**exact**), or restores the earlier trigger
/// for `CREATE OR REPLACE TRIGGER`.
///
/// ```sql
/// CREATE TRIGGER "touch" BEFORE UPDATE ON "User" FOR EACH ROW EXECUTE FUNCTION "touch"();
/// -- undo:
/// DROP TRIGGER "touch" ON "User";
/// ```
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
    Undo::exact(
        format!("drops trigger {} on {table} again", Ident(&s.trigname)),
        vec![stmt(build::drop(
            ObjectType::ObjectTrigger,
            vec![build::list(names)],
            false,
        ))],
    )
}

/// Undoes `COMMENT ON` by restoring the earlier comment, or removing it (**exact**).
///
/// ```sql
/// COMMENT ON TABLE "User" IS 'people';
/// -- undo:
/// COMMENT ON TABLE "User" IS NULL;
/// ```
pub fn comment(catalog: &Catalog, s: &pb::CommentStmt) -> Undo {
    let mut back = s.clone();
    back.comment = catalog
        .comments
        .get(&comment_key(s))
        .cloned()
        .unwrap_or_default();
    Undo::exact(
        "restores the earlier comment",
        vec![stmt(NodeEnum::CommentStmt(Box::new(back)))],
    )
}

/// Undoes `DROP` of schemas, extensions, sequences, functions and triggers where the model
/// holds the definition; otherwise **manual**.
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
                (Some((key, function)), None) => {
                    let mut again = function.unpack();
                    again.replace = false;
                    Undo::exact(
                        format!("creates function {key} again"),
                        vec![stmt(NodeEnum::CreateFunctionStmt(Box::new(again)))],
                    )
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
                _ => unknown(&label, &name.to_string(), s.missing_ok),
            }
        }
        _ => unknown(&label, &object_label(object), s.missing_ok),
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

fn unknown(kind: &str, name: &str, missing_ok: bool) -> Undo {
    if missing_ok {
        return Undo::manual(format!(
            "DROP {} IF EXISTS {name}: no earlier migration creates it, so whether it existed and its definition are unknown",
            kind.to_uppercase()
        ));
    }
    Undo::manual(format!(
        "{kind} {name} is not created by any earlier migration, so its definition is unknown; recreate it by hand"
    ))
}
