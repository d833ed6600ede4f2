//! Identifiers quoted exactly as PostgreSQL's deparser quotes them (`quote_identifier` in
//! ruleutils.c), so SQL written in Rust matches deparsed SQL byte for byte.

use std::fmt;

/// An identifier written as `quote_identifier` writes it: bare when it is lowercase letters,
/// digits and underscores (not starting with a digit) and not a keyword that needs quoting;
/// otherwise double-quoted with embedded quotes doubled.
pub struct Name<'a>(pub &'a str);

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_bare(self.0) {
            return f.write_str(self.0);
        }
        super::text::Ident(self.0).fmt(f)
    }
}

fn is_bare(ident: &str) -> bool {
    let bytes = ident.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    (first.is_ascii_lowercase() || first == b'_')
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && QUOTED_KEYWORDS.binary_search(&ident).is_err()
}

/// PostgreSQL 18's keywords other than the unreserved ones (`kwlist.h` of the libpg_query
/// that pg_query 18.1 builds): reserved, column-name and type/function-name keywords, which
/// `quote_identifier` always quotes. Sorted, for binary search; update with pg_query.
#[rustfmt::skip]
const QUOTED_KEYWORDS: &[&str] = &[
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
    "authorization", "between", "bigint", "binary", "bit", "boolean", "both", "case", "cast",
    "char", "character", "check", "coalesce", "collate", "collation", "column", "concurrently",
    "constraint", "create", "cross", "current_catalog", "current_date", "current_role",
    "current_schema", "current_time", "current_timestamp", "current_user", "dec", "decimal",
    "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "exists",
    "extract", "false", "fetch", "float", "for", "foreign", "freeze", "from", "full", "grant",
    "greatest", "group", "grouping", "having", "ilike", "in", "initially", "inner", "inout",
    "int", "integer", "intersect", "interval", "into", "is", "isnull", "join", "json",
    "json_array", "json_arrayagg", "json_exists", "json_object", "json_objectagg",
    "json_query", "json_scalar", "json_serialize", "json_table", "json_value", "lateral",
    "leading", "least", "left", "like", "limit", "localtime", "localtimestamp", "merge_action",
    "national", "natural", "nchar", "none", "normalize", "not", "notnull", "null", "nullif",
    "numeric", "offset", "on", "only", "or", "order", "out", "outer", "overlaps", "overlay",
    "placing", "position", "precision", "primary", "real", "references", "returning", "right",
    "row", "select", "session_user", "setof", "similar", "smallint", "some", "substring",
    "symmetric", "system_user", "table", "tablesample", "then", "time", "timestamp", "to",
    "trailing", "treat", "trim", "true", "union", "unique", "user", "using", "values",
    "varchar", "variadic", "verbose", "when", "where", "window", "with", "xmlattributes",
    "xmlconcat", "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi",
    "xmlroot", "xmlserialize", "xmltable",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::{build, deparse_tree, pb};

    /// What the deparser writes for `name` where it writes an identifier.
    fn deparsed(name: &str) -> String {
        let rename = build::rename_object(pb::ObjectType::ObjectSchema, None, "a", name);
        let text = deparse_tree(rename).expect("deparses");
        text.strip_prefix("ALTER SCHEMA a RENAME TO ")
            .expect("the rename")
            .to_string()
    }

    #[test]
    fn the_keyword_list_is_sorted() {
        assert!(QUOTED_KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn names_are_quoted_as_the_deparser_quotes_them() {
        let unreserved = [
            "name", "data", "action", "key", "value", "version", "type", "status",
        ];
        let others = [
            "id", "_x", "a1", "1a", "User", "userId", "a b", "a\"b", "é", "x$", "a-b",
        ];
        let names = QUOTED_KEYWORDS.iter().chain(&unreserved).chain(&others);
        for name in names {
            assert_eq!(Name(name).to_string(), deparsed(name), "{name:?}");
        }
    }
}
