//! `ALTER … RENAME`.

use std::fmt::Write;

use super::{any_name, relation_name, Ident};
use crate::sql::{pb, NodeEnum};
use pb::{DropBehavior, ObjectType};

/// `ALTER <kind> x RENAME TO y`, `ALTER TABLE t RENAME COLUMN|CONSTRAINT a TO b`.
pub(super) fn rename(out: &mut String, s: &pb::RenameStmt) -> Option<()> {
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
