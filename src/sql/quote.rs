//! How unmigrate writes an identifier, everywhere it writes one: in generated SQL, in the
//! `-- exact:`/`-- lossy:` notes beside it, and in messages. This module owns the rule; every
//! other module writes names through [`Ident`], [`Qualified`] or [`Column`].
//!
//! **The rule: quote only when needed, as PostgreSQL's deparser does** (`quote_identifier`
//! in ruleutils.c): a name is written bare when it is lowercase letters, digits and
//! underscores (not starting with a digit) and not a keyword that needs quoting; otherwise it
//! is double-quoted, with embedded quotes doubled. So `id`, `email` and `type` stay bare,
//! while `"User"`, `"userId"`, `"order"` and `"a""b"` are quoted.
//!
//! Why this rule and not "always quote", as Prisma's own migrations do:
//! - Most generated SQL is written by libpg_query's deparser (everything with expressions,
//!   views, functions, …), and it quotes this way; unmigrate does not rewrite its output.
//!   "Always quote" could only hold for the statements written in Rust, so one file would
//!   still mix `"type"` and `type`. With this rule, statements written in Rust quote as
//!   the deparser does (`sql::plain` writes its text byte for byte, `sql::text` its names).
//! - It is how PostgreSQL itself prints names (`pg_dump`, view definitions, `\d`), which is
//!   what a drill's schema dumps show beside the notes.
//! - Where quotes change what a name means (mixed case, as in Prisma's `"User"` and
//!   `"createdAt"`, keywords, spaces), they are kept: only quotes that make no difference are
//!   left out, so a name a Prisma user wrote quoted reads the same unless it is plain
//!   lowercase.
//!
//! The rule is checked against the deparser for every keyword and a set of awkward names
//! (tests below); the keyword list follows the pg_query version.

use std::fmt;

use super::QName;

/// An identifier, written as `quote_identifier` writes it: bare when it is lowercase letters,
/// digits and underscores (not starting with a digit) and not a keyword that needs quoting;
/// otherwise double-quoted with embedded quotes doubled.
pub struct Ident<'a>(pub &'a str);

impl fmt::Display for Ident<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_bare(self.0) {
            return f.write_str(self.0);
        }
        f.write_str("\"")?;
        for (i, part) in self.0.split('"').enumerate() {
            if i > 0 {
                f.write_str("\"\"")?;
            }
            f.write_str(part)?;
        }
        f.write_str("\"")
    }
}

/// A list of identifiers as SQL writes one: each an [`Ident`], separated by `, `.
pub struct Idents<'a>(pub &'a [String]);

impl fmt::Display for Idents<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, name) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            Ident(name).fmt(f)?;
        }
        Ok(())
    }
}

/// A schema-qualified name; objects in the default schema stay unqualified, as Prisma
/// writes them, so the connection's search_path decides as it did for the forward SQL.
pub struct Qualified<'a>(pub &'a QName);

impl fmt::Display for Qualified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_qualified() {
            write!(f, "{}.", Ident(&self.0.schema))?;
        }
        Ident(&self.0.name).fmt(f)
    }
}

/// A column of a table, as notes and messages name it: `"User".email`, `s."T"."userId"`.
pub struct Column<'a>(pub &'a QName, pub &'a str);

impl fmt::Display for Column<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", Qualified(self.0), Ident(self.1))
    }
}

/// A string constant, as the deparser writes it: `'…'` with quotes doubled, and the `E'…'`
/// form with backslashes doubled when there are any. For the values notes name (generated SQL
/// builds its constants as trees).
pub struct Literal<'a>(pub &'a str);

impl fmt::Display for Literal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.contains('\\') {
            f.write_str("E")?;
        }
        f.write_str("'")?;
        // Each quote or backslash is doubled: written as the run up to and including it,
        // then once more as the start of the next run.
        let mut from = 0;
        for (at, _) in self.0.match_indices(['\'', '\\']) {
            f.write_str(&self.0[from..=at])?;
            from = at;
        }
        f.write_str(&self.0[from..])?;
        f.write_str("'")
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
        let text = deparse_tree(rename).0.expect("deparses");
        text.strip_prefix("ALTER SCHEMA a RENAME TO ")
            .expect("the rename")
            .to_string()
    }

    #[test]
    fn qualified_names_and_columns_follow_the_rule() {
        let public = QName::new("", "User");
        let audit = QName::new("audit", "log");
        assert_eq!(Qualified(&public).to_string(), r#""User""#);
        assert_eq!(Qualified(&audit).to_string(), "audit.log");
        assert_eq!(Column(&public, "email").to_string(), r#""User".email"#);
        assert_eq!(Column(&public, "userId").to_string(), r#""User"."userId""#);
        assert_eq!(Column(&audit, "order").to_string(), r#"audit.log."order""#);
    }

    #[test]
    fn literals_are_written_as_the_deparser_writes_them() {
        for value in [
            "",
            "a",
            "it's",
            "''",
            "a\\b",
            "\\'\\",
            "'x'",
            "é'ü",
            "line\nnext",
        ] {
            let select = format!("SELECT $q${value}$q$");
            let tree = pg_query::parse(&select, 0).expect("parses");
            let expected = tree.deparse(Default::default()).expect("deparses");
            assert_eq!(format!("SELECT {}", Literal(value)), expected, "{value:?}");
        }
    }

    #[test]
    fn identifier_lists_quote_each_name() {
        let names = ["id".to_string(), "userId".to_string(), "order".to_string()];
        assert_eq!(Idents(&names).to_string(), r#"id, "userId", "order""#);
        assert_eq!(Idents(&[]).to_string(), "");
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
            assert_eq!(Ident(name).to_string(), deparsed(name), "{name:?}");
        }
    }
}
