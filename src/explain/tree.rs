//! Searches inside parse trees of any shape (through their serde form, as
//! [`crate::sql::refs::column_refs`] does): string constants and called functions.

use serde_json::Value;

use crate::sql::refs::walk;
use crate::sql::{Node, NodeEnum};

/// Whether the statement holds the string constant `value` (`'ACTIVE'`, `'ACTIVE'::"Status"`),
/// anywhere: in a default, a `SET`, a `WHERE`, an `INSERT` list. Identifiers do not count.
pub fn mentions_string(node: &NodeEnum, value: &str) -> bool {
    let Ok(tree) = serde_json::to_value(node) else {
        return false;
    };
    let mut found = false;
    walk(&tree, &mut |key, inner| {
        if key == "AConst" && inner.pointer("/val/Sval/sval").and_then(Value::as_str) == Some(value)
        {
            found = true;
        }
    });
    found
}

/// The names of the functions an expression calls, lowercased, without a schema.
pub fn called_functions(node: &Node) -> Vec<String> {
    let Ok(tree) = serde_json::to_value(node) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk(&tree, &mut |key, inner| {
        if key == "FuncCall" {
            let name = inner
                .get("funcname")
                .and_then(Value::as_array)
                .and_then(|parts| parts.last())
                .and_then(|last| last.pointer("/node/String/sval"))
                .and_then(Value::as_str);
            if let Some(name) = name {
                out.push(name.to_lowercase());
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(sql: &str) -> NodeEnum {
        crate::sql::parse_file(std::path::Path::new("t.sql"), sql)
            .expect("parses")
            .remove(0)
            .node
    }

    #[test]
    fn finds_string_constants_not_identifiers() {
        let update = first("UPDATE \"User\" SET role = 'ADMIN'::\"Role\" WHERE id = 'x'");
        assert!(mentions_string(&update, "ADMIN"));
        assert!(mentions_string(&update, "x"));
        assert!(!mentions_string(&update, "role"));
        assert!(!mentions_string(&first("SELECT \"ADMIN\" FROM t"), "ADMIN"));
    }

    #[test]
    fn finds_called_functions() {
        let NodeEnum::SelectStmt(s) = first("SELECT public.gen_random_uuid(), lower(now()::text)")
        else {
            panic!("a select");
        };
        let mut names: Vec<String> = s.target_list.iter().flat_map(called_functions).collect();
        names.sort();
        assert_eq!(names, ["gen_random_uuid", "lower", "now"]);
    }
}
