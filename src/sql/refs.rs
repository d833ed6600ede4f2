//! Which columns and relations an expression or query mentions. Walks the parse tree
//! through its serde form, so every node kind is covered without a hand-written visitor.

use serde_json::Value;

use crate::sql::{Node, QName};

/// Names of the columns referenced (as `ColumnRef`) anywhere in `node`; the last field of a
/// qualified reference is taken.
pub fn column_refs(node: &Node) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(value) = serde_json::to_value(node) {
        walk(&value, &mut |key, inner| {
            if key == "ColumnRef" {
                if let Some(name) = last_string_field(inner) {
                    if !out.contains(&name) {
                        out.push(name);
                    }
                }
            }
        });
    }
    out
}

/// Relations (as `RangeVar`) referenced anywhere in `node`.
pub fn relation_refs(node: &Node) -> Vec<QName> {
    let mut out = Vec::new();
    if let Ok(value) = serde_json::to_value(node) {
        walk(&value, &mut |key, inner| {
            if key == "RangeVar" || key == "relation" || key == "rel" {
                let schema = inner.get("schemaname").and_then(Value::as_str);
                if let Some(name) = inner.get("relname").and_then(Value::as_str) {
                    let q = QName::new(schema.unwrap_or(""), name);
                    if !out.contains(&q) {
                        out.push(q);
                    }
                }
            }
        });
    }
    out
}

/// Calls `visit` with every key and value of a parse tree serialised to JSON, depth first.
pub fn walk(value: &Value, visit: &mut impl FnMut(&str, &Value)) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                visit(key, inner);
                walk(inner, visit);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, visit)),
        _ => {}
    }
}

fn last_string_field(column_ref: &Value) -> Option<String> {
    column_ref
        .get("fields")?
        .as_array()?
        .iter()
        .rev()
        .find_map(|f| f.pointer("/node/String/sval")?.as_str().map(str::to_string))
}
