//! What the functions a `SELECT` calls write, as far as the history defines them, for the note
//! of its undo: the reader of a `SELECT pg_temp.migrate(id) FROM …` learns which tables to
//! repair by hand.

use serde_json::Value;

use crate::catalog::Catalog;
use crate::sql::plpgsql::function_statements;
use crate::sql::refs::walk;
use crate::sql::{pb, NodeEnum, QName};

/// What each function `node` calls writes, one description per function an earlier statement
/// (or the same migration) defines: `f() inserts into a, updates b`.
pub(super) fn writes_of_calls(catalog: &Catalog, node: &NodeEnum) -> Vec<String> {
    let mut out = Vec::new();
    for name in called(node) {
        let prefix = format!("{name}(");
        let mut defined = (catalog.functions.iter()).filter(|(key, _)| key.starts_with(&prefix));
        let (Some((_, function)), None) = (defined.next(), defined.next()) else {
            continue;
        };
        let said = match function_statements(&function.unpack()) {
            Ok((statements, dynamic)) => {
                let mut parts = writes(&statements);
                if dynamic {
                    parts.push("runs dynamic SQL (EXECUTE)".to_string());
                }
                if parts.is_empty() {
                    continue;
                }
                parts.join(", ")
            }
            Err(why) => format!("cannot be read ({why})"),
        };
        out.push(format!("{name}() {said}"));
    }
    out
}

/// The names of the functions a statement calls, in order, each once.
fn called(node: &NodeEnum) -> Vec<QName> {
    let mut names: Vec<QName> = Vec::new();
    let Ok(tree) = serde_json::to_value(pb::Node {
        node: Some(node.clone()),
    }) else {
        return names;
    };
    walk(&tree, &mut |key, inner| {
        if key != "FuncCall" {
            return;
        }
        let parts: Vec<String> = (inner.get("funcname").and_then(Value::as_array))
            .into_iter()
            .flatten()
            .filter_map(|p| p.pointer("/node/String/sval")?.as_str().map(str::to_string))
            .collect();
        let name = QName::from_names(&parts);
        if !names.contains(&name) {
            names.push(name);
        }
    });
    names
}

/// `inserts into a, b`, `updates c`, `deletes from d`: the tables the statements write.
fn writes(statements: &[NodeEnum]) -> Vec<String> {
    let (mut inserts, mut updates, mut deletes) = (Vec::new(), Vec::new(), Vec::new());
    for statement in statements {
        let (list, relation) = match statement {
            NodeEnum::InsertStmt(s) => (&mut inserts, s.relation.as_ref()),
            NodeEnum::UpdateStmt(s) => (&mut updates, s.relation.as_ref()),
            NodeEnum::DeleteStmt(s) => (&mut deletes, s.relation.as_ref()),
            _ => continue,
        };
        if let Some(table) = relation.map(QName::from_range_var) {
            let table = table.to_string();
            if !list.contains(&table) {
                list.push(table);
            }
        }
    }
    [
        ("inserts into", inserts),
        ("updates", updates),
        ("deletes from", deletes),
    ]
    .into_iter()
    .filter(|(_, tables)| !tables.is_empty())
    .map(|(verb, tables)| format!("{verb} {}", tables.join(", ")))
    .collect()
}
