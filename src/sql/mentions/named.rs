//! The fallback reading of a statement whose shape [`super::Mentions`] does not follow (and of
//! a view's query): every relation, column and type its tree names, as used.

use serde_json::Value;

use super::{relation, Act, Mention, Object};
use crate::sql::refs::walk;
use crate::sql::{Node, QName};

/// Hands `each` every relation, column and type `node`'s tree names, as used (a column is
/// taken to be of every relation the statement names: the tree does not say whose).
pub(super) fn each_named(node: &Node, mut each: impl FnMut(Mention)) {
    let Ok(value) = serde_json::to_value(node) else {
        return;
    };
    let mut relations: Vec<QName> = Vec::new();
    let mut columns: Vec<String> = Vec::new();
    let mut types: Vec<QName> = Vec::new();
    walk(&value, &mut |key, inner| {
        if let Some(name) = inner.get("relname").and_then(Value::as_str) {
            let schema = inner.get("schemaname").and_then(Value::as_str);
            let q = QName::new(schema.unwrap_or(""), name);
            if !relations.contains(&q) {
                relations.push(q);
            }
        }
        let column = match key {
            "ColumnRef" => last_string(inner.get("fields")),
            "ResTarget" | "ColumnDef" | "IndexElem" => inner
                .get(if key == "ColumnDef" {
                    "colname"
                } else {
                    "name"
                })
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                .map(str::to_string),
            _ => None,
        };
        if let Some(c) = column.filter(|c| !columns.contains(c)) {
            columns.push(c);
        }
        if matches!(key, "TypeName" | "type_name" | "typeName") {
            if let Some(names) = inner.get("names").and_then(Value::as_array) {
                let names: Vec<String> = names.iter().filter_map(string_of).collect();
                if !names.is_empty() {
                    let q = QName::from_names(&names);
                    if !types.contains(&q) {
                        types.push(q);
                    }
                }
            }
        }
    });
    for table in &relations {
        let what = format!("the statement names table {table}");
        each(Mention {
            object: relation(table.clone()),
            act: Act::Use,
            what,
        });
        for c in &columns {
            let object = Object::Column(table.clone(), c.clone());
            let what = format!("the statement names {object}");
            each(Mention {
                object,
                act: Act::Use,
                what,
            });
        }
    }
    for t in types {
        let what = format!("the statement uses type {t}");
        each(Mention {
            object: Object::Type(t),
            act: Act::Use,
            what,
        });
    }
}

fn string_of(node: &Value) -> Option<String> {
    node.pointer("/node/String/sval")
        .or_else(|| node.pointer("/String/sval"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn last_string(fields: Option<&Value>) -> Option<String> {
    fields?.as_array()?.iter().rev().find_map(string_of)
}
