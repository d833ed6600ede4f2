//! Comments (`COMMENT ON`), keyed by what they are on: its kind and its name as PostgreSQL
//! resolves it (`public` for an unqualified name), so the comment of a table, a column or a
//! function is found whatever the spelling of the statement that set it. PostgreSQL drops an
//! object's comments with it; the model does too, and moves them with a rename.

use super::Catalog;
use crate::sql::{pb, string_list, NodeEnum, QName};
use pb::ObjectType;

impl Catalog {
    /// The key of the object a `COMMENT ON` statement is about. A function named without
    /// its arguments (`COMMENT ON FUNCTION f IS …`, for a name PostgreSQL finds one function
    /// of) is the one function of that name the model knows.
    pub fn comment_key(&self, s: &pb::CommentStmt) -> String {
        match s.object.as_deref().and_then(|o| o.node.as_ref()) {
            Some(NodeEnum::ObjectWithArgs(o)) if o.args_unspecified => {
                let name = QName::from_name_nodes(&o.objname);
                let prefix = format!("{name}(");
                let mut named = (self.functions.iter()).filter(|(key, _)| key.starts_with(&prefix));
                match (named.next(), named.next()) {
                    (Some((_, f)), None) => {
                        function_key(&name, &super::function_identity(&f.unpack()))
                    }
                    _ => comment_key(s),
                }
            }
            _ => comment_key(s),
        }
    }
}

/// The key of the object a `COMMENT ON` statement is about, as written.
fn comment_key(s: &pb::CommentStmt) -> String {
    let kind = ObjectType::try_from(s.objtype).unwrap_or(ObjectType::Undefined);
    match s.object.as_deref().and_then(|o| o.node.as_ref()) {
        Some(NodeEnum::List(l)) => {
            let names = string_list(&l.items);
            match (kind, names.split_last()) {
                (ObjectType::ObjectColumn, Some((column, table))) => {
                    column_key(&QName::from_names(table), column)
                }
                _ => relation_key(kind, &QName::from_names(&names)),
            }
        }
        Some(NodeEnum::String(name)) => format!("{}:{}", s.objtype, name.sval),
        Some(NodeEnum::ObjectWithArgs(o)) => {
            let args: Vec<pb::TypeName> = (o.objargs.iter())
                .filter_map(|a| match &a.node {
                    Some(NodeEnum::TypeName(t)) => Some(t.clone()),
                    _ => None,
                })
                .collect();
            function_key(&QName::from_name_nodes(&o.objname), &args)
        }
        Some(NodeEnum::TypeName(t)) => relation_key(kind, &QName::from_name_nodes(&t.names)),
        other => format!("{}:{other:?}", s.objtype),
    }
}

/// The key of the comment on a relation or type of `kind`.
pub(crate) fn relation_key(kind: ObjectType, name: &QName) -> String {
    format!("{}:{}.{}", kind as i32, name.schema, name.name)
}

/// The key of the comment on a column.
fn column_key(table: &QName, column: &str) -> String {
    format!(
        "{}:{}.{}.{column}",
        ObjectType::ObjectColumn as i32,
        table.schema,
        table.name
    )
}

/// The key of the comment on a function (or procedure) of these argument types.
fn function_key(name: &QName, args: &[pb::TypeName]) -> String {
    let args: Vec<String> = args.iter().map(type_key).collect();
    format!(
        "{}:{}.{}({})",
        ObjectType::ObjectFunction as i32,
        name.schema,
        name.name,
        args.join(",")
    )
}

/// A type as an argument of a function's identity: `integer[]` and `pg_catalog.int4[]` alike.
fn type_key(t: &pb::TypeName) -> String {
    let names = string_list(&t.names);
    let names = match names.split_first() {
        Some((first, rest)) if first == "pg_catalog" && !rest.is_empty() => rest,
        _ => &names[..],
    };
    format!("{}{}", names.join("."), "[]".repeat(t.array_bounds.len()))
}

impl Catalog {
    /// The comment on a relation (table, view, materialized view, index, sequence) or type.
    pub fn comment_on(&self, kind: ObjectType, name: &QName) -> Option<&str> {
        self.comments
            .get(&relation_key(kind, name))
            .map(String::as_str)
    }

    /// The comment on a column.
    pub fn comment_on_column(&self, table: &QName, column: &str) -> Option<&str> {
        self.comments
            .get(&column_key(table, column))
            .map(String::as_str)
    }

    /// The comments on the columns of relation `name`, by column name.
    pub fn column_comments(&self, name: &QName) -> Vec<(&str, &str)> {
        let prefix = column_key(name, "");
        (self.comments.range(prefix.clone()..))
            .take_while(|(key, _)| key.starts_with(&prefix))
            .map(|(key, text)| (&key[prefix.len()..], text.as_str()))
            .collect()
    }

    /// The comment on a function, found by its name and the types of its identity.
    pub fn comment_on_function(&self, name: &QName, args: &[pb::TypeName]) -> Option<&str> {
        self.comments
            .get(&function_key(name, args))
            .map(String::as_str)
    }

    /// Forgets the comments on relation `name` (as any of `kinds`) and on its columns.
    pub(in crate::catalog) fn forget_comments(&mut self, kinds: &[ObjectType], name: &QName) {
        for kind in kinds {
            self.comments.remove(&relation_key(*kind, name));
        }
        let columns = column_key(name, "");
        self.comments.retain(|key, _| !key.starts_with(&columns));
    }

    /// Forgets the comment on a column.
    pub(in crate::catalog) fn forget_column_comment(&mut self, table: &QName, column: &str) {
        self.comments.remove(&column_key(table, column));
    }

    /// Forgets the comments on every function named `name`.
    pub(in crate::catalog) fn forget_function_comments(&mut self, name: &QName) {
        let prefix = function_key(name, &[]);
        let prefix = prefix.trim_end_matches(')');
        self.comments.retain(|key, _| !key.starts_with(prefix));
    }

    /// Moves the comments of relation `old` (as any of `kinds`) and its columns to `new`.
    pub(in crate::catalog) fn move_comments(
        &mut self,
        kinds: &[ObjectType],
        old: &QName,
        new: &QName,
    ) {
        for kind in kinds {
            if let Some(text) = self.comments.remove(&relation_key(*kind, old)) {
                self.comments.insert(relation_key(*kind, new), text);
            }
        }
        let (from, to) = (column_key(old, ""), column_key(new, ""));
        let moved: Vec<String> = (self.comments.keys())
            .filter(|key| key.starts_with(&from))
            .cloned()
            .collect();
        for key in moved {
            if let Some(text) = self.comments.remove(&key) {
                self.comments
                    .insert(format!("{to}{}", &key[from.len()..]), text);
            }
        }
    }

    /// Moves the comment of a renamed column.
    pub(in crate::catalog) fn move_column_comment(&mut self, table: &QName, old: &str, new: &str) {
        if let Some(text) = self.comments.remove(&column_key(table, old)) {
            self.comments.insert(column_key(table, new), text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(sql: &str) -> String {
        let stmts = crate::sql::parse_file(std::path::Path::new("c.sql"), sql).expect("parses");
        match stmts.into_iter().next().map(|s| s.node) {
            Some(NodeEnum::CommentStmt(c)) => Catalog::default().comment_key(&c),
            other => panic!("not a comment: {other:?}"),
        }
    }

    #[test]
    fn a_comment_is_keyed_by_what_it_is_on_whatever_the_spelling() {
        assert_eq!(
            key("COMMENT ON TABLE users IS 'x'"),
            key("COMMENT ON TABLE public.users IS 'y'")
        );
        assert_eq!(
            key("COMMENT ON COLUMN users.id IS 'x'"),
            key("COMMENT ON COLUMN public.users.id IS 'x'")
        );
        assert_eq!(
            key("COMMENT ON FUNCTION f(integer[]) IS 'x'"),
            key("COMMENT ON FUNCTION public.f(int4[]) IS 'x'")
        );
        assert_ne!(
            key("COMMENT ON FUNCTION f(integer[]) IS 'x'"),
            key("COMMENT ON FUNCTION f(integer) IS 'x'")
        );
        assert_ne!(
            key("COMMENT ON TABLE users IS 'x'"),
            key("COMMENT ON VIEW users IS 'x'")
        );
    }

    #[test]
    fn a_function_named_without_arguments_is_its_one_function() {
        let catalog = Catalog::folded(
            "CREATE FUNCTION f(n varchar) RETURNS int LANGUAGE sql AS 'SELECT 1';
             COMMENT ON FUNCTION f IS 'one';",
        );
        let args = crate::catalog::function_identity(
            &catalog.functions.values().next().expect("f").unpack(),
        );
        assert_eq!(
            catalog.comment_on_function(&QName::new("", "f"), &args),
            Some("one")
        );
    }
}
