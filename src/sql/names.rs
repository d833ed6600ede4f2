//! Object names as PostgreSQL resolves and invents them.

use super::quote::Qualified;
use super::{pb, string_list, Node, NodeEnum};

/// PostgreSQL truncates identifiers to NAMEDATALEN - 1 bytes.
pub const MAX_IDENTIFIER_BYTES: usize = 63;

/// The schema that unqualified names resolve to. Prisma writes most names unqualified and
/// relies on the connection's search_path, so generated SQL leaves `public` names unqualified.
pub const DEFAULT_SCHEMA: &str = "public";

/// A schema-qualified object name, with identifiers as PostgreSQL stores them.
#[derive(Debug, Clone, Eq, PartialOrd, Ord)]
pub struct QName {
    pub schema: String,
    pub name: String,
}

/// Compares the names first: the model scans all its tables and indexes for one name, and
/// names usually differ where schemas (mostly `public`) do not. (Equal exactly when the
/// derived ordering says so.)
impl PartialEq for QName {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.schema == other.schema
    }
}

impl std::hash::Hash for QName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.schema.hash(state);
        self.name.hash(state);
    }
}

impl QName {
    pub fn new(schema: &str, name: &str) -> Self {
        let schema = if schema.is_empty() {
            DEFAULT_SCHEMA
        } else {
            schema
        };
        QName {
            schema: truncate_identifier(schema),
            name: truncate_identifier(name),
        }
    }

    pub fn from_range_var(rv: &pb::RangeVar) -> Self {
        QName::new(&rv.schemaname, &rv.relname)
    }

    /// From a dotted name list such as `TypeName.names` or a `DROP` object list.
    pub fn from_names(names: &[String]) -> Self {
        match names {
            [.., schema, name] => QName::new(schema, name),
            [name] => QName::new("", name),
            [] => QName::new("", ""),
        }
    }

    pub fn from_name_nodes(nodes: &[Node]) -> Self {
        QName::from_names(&string_list(nodes))
    }

    /// A sibling object in the same schema (indexes and constraints live beside their table).
    pub fn sibling(&self, name: &str) -> Self {
        QName::new(&self.schema, name)
    }

    /// Whether the name needs its schema written out in generated SQL.
    pub fn is_qualified(&self) -> bool {
        self.schema != DEFAULT_SCHEMA
    }

    /// Whether a dotted name list (`TypeName.names`) names this object, without allocating:
    /// it is compared for every column on hot paths.
    pub fn is_named_by(&self, nodes: &[Node]) -> bool {
        fn value(n: &Node) -> Option<&str> {
            match &n.node {
                Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
                _ => None,
            }
        }
        match nodes {
            [.., schema, name] => {
                value(name) == Some(self.name.as_str())
                    && value(schema) == Some(self.schema.as_str())
            }
            [name] => value(name) == Some(self.name.as_str()) && !self.is_qualified(),
            [] => false,
        }
    }

    /// `["schema", "name"]` or `["name"]`, as `String` nodes.
    pub fn to_name_nodes(&self) -> Vec<Node> {
        let mut nodes = Vec::with_capacity(2);
        if self.is_qualified() {
            nodes.push(super::build::string(&self.schema));
        }
        nodes.push(super::build::string(&self.name));
        nodes
    }
}

/// Names in JSON reports: the name as PostgreSQL stores it, unquoted, under the field's own
/// key, and its schema beside it as `schema` (`"table": "PublishedDocs", "schema": "public"`),
/// so a script reads both without parsing SQL. A [`QName`] field is serialised only through
/// these, flattened into its struct:
///
/// ```ignore
/// #[serde(flatten, serialize_with = "crate::sql::names::json::table")]
/// pub table: QName,
/// ```
///
/// (`QName` has no `Serialize` of its own: quoted text in JSON is what these replace.) Human
/// and Markdown reports keep writing names as SQL does, through `Display`.
pub mod json {
    use serde::ser::{SerializeMap, Serializer};

    use super::QName;

    /// `"table": NAME, "schema": SCHEMA`.
    pub fn table<S: Serializer>(name: &QName, s: S) -> Result<S::Ok, S::Error> {
        with_schema(name, "table", s)
    }

    /// `"name": NAME, "schema": SCHEMA`.
    pub fn name<S: Serializer>(name: &QName, s: S) -> Result<S::Ok, S::Error> {
        with_schema(name, "name", s)
    }

    fn with_schema<S: Serializer>(name: &QName, key: &str, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry(key, &name.name)?;
        map.serialize_entry("schema", &name.schema)?;
        map.end()
    }
}

impl std::fmt::Display for QName {
    /// As generated SQL writes it ([`Qualified`]): `schema.name`, or `name` in the default
    /// schema, each quoted by the one rule (written straight to the formatter: reasons name
    /// objects for every statement of a history).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Qualified(self).fmt(f)
    }
}

/// Truncates like PostgreSQL's `truncate_identifier`: at 63 bytes, on a character boundary.
pub fn truncate_identifier(name: &str) -> String {
    if name.len() <= MAX_IDENTIFIER_BYTES {
        return name.to_string();
    }
    let mut end = MAX_IDENTIFIER_BYTES;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_string()
}

/// PostgreSQL's `makeObjectName`: `name1_name2_label`, shortening the longer of the two
/// names until the result fits in 63 bytes.
pub fn make_object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    let mut overhead = if label.is_empty() { 0 } else { label.len() + 1 };
    if name2.is_some() {
        overhead += 1;
    }
    let available = MAX_IDENTIFIER_BYTES - overhead;
    let mut len1 = name1.len();
    let mut len2 = name2.map_or(0, str::len);
    while len1 + len2 > available {
        if len1 > len2 {
            len1 -= 1;
        } else {
            len2 -= 1;
        }
    }
    let mut result = clip(name1, len1).to_string();
    if let Some(name2) = name2 {
        result.push('_');
        result.push_str(clip(name2, len2));
    }
    if !label.is_empty() {
        result.push('_');
        result.push_str(label);
    }
    result
}

fn clip(name: &str, mut len: usize) -> &str {
    while !name.is_char_boundary(len) {
        len -= 1;
    }
    &name[..len]
}

/// PostgreSQL's `ChooseRelationName`/`ChooseConstraintName`: the first of `name_label`,
/// `name_label1`, `name_label2`, … that `taken` does not reject.
pub fn choose_name(
    name1: &str,
    name2: Option<&str>,
    label: &str,
    taken: impl Fn(&str) -> bool,
) -> String {
    let mut candidate = make_object_name(name1, name2, label);
    let mut pass = 0;
    while taken(&candidate) {
        pass += 1;
        candidate = make_object_name(name1, name2, &format!("{label}{pass}"));
    }
    candidate
}

/// The column part of a generated index or constraint name: names joined by `_`, as
/// PostgreSQL's `ChooseIndexNameAddition` builds it (stopping once it is long enough).
pub fn name_addition(columns: &[String]) -> String {
    let mut out = String::new();
    for column in columns {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(column);
        if out.len() >= MAX_IDENTIFIER_BYTES {
            break;
        }
    }
    truncate_identifier(&out)
}

/// The name PostgreSQL gives an index key column: the column, or for an expression the
/// function's name or `expr` (`FigureIndexColname`).
pub fn index_column_name(elem: &pb::IndexElem) -> String {
    if !elem.name.is_empty() {
        return elem.name.clone();
    }
    match elem.expr.as_deref().and_then(|n| n.node.as_ref()) {
        Some(NodeEnum::FuncCall(call)) => string_list(&call.funcname)
            .last()
            .cloned()
            .unwrap_or_else(|| "expr".into()),
        Some(NodeEnum::TypeCast(cast)) => cast
            .arg
            .as_deref()
            .and_then(|n| match &n.node {
                Some(NodeEnum::FuncCall(call)) => string_list(&call.funcname).last().cloned(),
                _ => None,
            })
            .unwrap_or_else(|| "expr".into()),
        _ => "expr".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_at_63_bytes_on_char_boundary() {
        let long = "é".repeat(40); // 80 bytes
        let t = truncate_identifier(&long);
        assert_eq!(t.len(), 62);
        assert!(t.chars().all(|c| c == 'é'));
    }

    #[test]
    fn object_names_shorten_the_longer_part() {
        assert_eq!(
            make_object_name("User", Some("email"), "key"),
            "User_email_key"
        );
        let long_table = "a".repeat(60);
        let name = make_object_name(&long_table, Some("id"), "fkey");
        assert_eq!(name.len(), 63);
        assert!(name.ends_with("_id_fkey"));
    }

    #[test]
    fn choose_name_adds_a_number_on_collision() {
        let taken = ["t_a_idx".to_string(), "t_a_idx1".to_string()];
        assert_eq!(
            choose_name("t", Some("a"), "idx", |n| taken.iter().any(|t| t == n)),
            "t_a_idx2"
        );
    }
}
