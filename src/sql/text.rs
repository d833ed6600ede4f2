//! The few statements unmigrate writes most often (drops), written directly as text.
//! Deparsing costs a protobuf round trip into C per statement, which dominated generation
//! time; these statements hold nothing but names, and every name goes through
//! [`super::quote`], so the text is what the deparser would write. Anything with
//! expressions or types is still built as a tree and deparsed.

use super::quote::{Ident, Idents, Qualified};
use super::QName;

/// What a `DROP` removes; the keyword PostgreSQL expects for it.
#[derive(Debug, Clone, Copy)]
pub enum DropKind {
    Table,
    Index,
    View,
    MaterializedView,
    Type,
    Sequence,
}

impl DropKind {
    fn keyword(self) -> &'static str {
        match self {
            DropKind::Table => "TABLE",
            DropKind::Index => "INDEX",
            DropKind::View => "VIEW",
            DropKind::MaterializedView => "MATERIALIZED VIEW",
            DropKind::Type => "TYPE",
            DropKind::Sequence => "SEQUENCE",
        }
    }
}

/// `DROP <kind> [CONCURRENTLY] <name>`
pub fn drop(kind: DropKind, name: &QName, concurrently: bool) -> String {
    let concurrently = if concurrently { " CONCURRENTLY" } else { "" };
    format!("DROP {}{concurrently} {}", kind.keyword(), Qualified(name))
}

/// `ALTER TABLE <table> DROP COLUMN <column>`
pub fn drop_column(table: &QName, column: &str) -> String {
    format!(
        "ALTER TABLE {} DROP COLUMN {}",
        Qualified(table),
        Ident(column)
    )
}

/// `ALTER TABLE <table> DROP CONSTRAINT <name>`
pub fn drop_constraint(table: &QName, name: &str) -> String {
    format!(
        "ALTER TABLE {} DROP CONSTRAINT {}",
        Qualified(table),
        Ident(name)
    )
}

/// `ALTER TABLE <table> VALIDATE CONSTRAINT <name>`
pub fn validate_constraint(table: &QName, name: &str) -> String {
    format!(
        "ALTER TABLE {} VALIDATE CONSTRAINT {}",
        Qualified(table),
        Ident(name)
    )
}

/// `ALTER TABLE <table> ADD CONSTRAINT <name> CHECK (<column> IS NOT NULL) NOT VALID`
pub fn add_not_null_check(table: &QName, name: &str, column: &str) -> String {
    format!(
        "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID",
        Qualified(table),
        Ident(name),
        Ident(column)
    )
}

/// `CREATE UNIQUE INDEX CONCURRENTLY <name> ON <table> USING btree (<columns>)`: the index a
/// key constraint takes over with [`add_key_using_index`].
pub fn create_unique_index_concurrently(table: &QName, name: &str, columns: &[String]) -> String {
    format!(
        "CREATE UNIQUE INDEX CONCURRENTLY {} ON {} USING btree ({})",
        Ident(name),
        Qualified(table),
        Idents(columns)
    )
}

/// `ALTER TABLE <table> ADD CONSTRAINT <name> PRIMARY KEY | UNIQUE USING INDEX <index>`
pub fn add_key_using_index(table: &QName, name: &str, primary: bool, index: &str) -> String {
    let kind = if primary { "PRIMARY KEY" } else { "UNIQUE" };
    format!(
        "ALTER TABLE {} ADD CONSTRAINT {} {kind} USING INDEX {}",
        Qualified(table),
        Ident(name),
        Ident(index)
    )
}

/// `ALTER INDEX <index> RENAME TO <name>`
pub fn rename_index(index: &QName, name: &str) -> String {
    format!("ALTER INDEX {} RENAME TO {}", Qualified(index), Ident(name))
}

/// A column change that takes no value.
#[derive(Debug, Clone, Copy)]
pub enum ColumnChange {
    DropDefault,
    DropNotNull,
    SetNotNull,
}

/// `ALTER TABLE <table> ALTER COLUMN <column> DROP DEFAULT | DROP NOT NULL | SET NOT NULL`
pub fn alter_column(table: &QName, column: &str, change: ColumnChange) -> String {
    let change = match change {
        ColumnChange::DropDefault => "DROP DEFAULT",
        ColumnChange::DropNotNull => "DROP NOT NULL",
        ColumnChange::SetNotNull => "SET NOT NULL",
    };
    format!(
        "ALTER TABLE {} ALTER COLUMN {} {change}",
        Qualified(table),
        Ident(column)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::{build, deparse, pb, NodeEnum};
    use pb::{AlterTableType as At, ObjectType};

    fn alter(table: &QName, subtype: At, name: &str) -> NodeEnum {
        build::alter_table(table, vec![build::table_cmd(subtype, name, None)])
    }

    fn built_drop(kind: ObjectType, name: &QName, concurrent: bool) -> NodeEnum {
        build::drop(kind, vec![build::drop_object(name)], concurrent)
    }

    /// Deparses what the text parses to, so it can be compared with a built tree.
    fn normalised(sql: &str) -> String {
        let parsed = pg_query::parse(sql, 0).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let node = parsed.protobuf.stmts[0]
            .stmt
            .clone()
            .and_then(|n| n.node)
            .expect("a statement");
        deparse(node).expect("deparses")
    }

    /// Each written statement means exactly what the equivalent built tree means, and names
    /// are quoted as the deparser quotes them (its keywords differ: `DROP COLUMN` is spelled
    /// out here, as Prisma writes it).
    #[test]
    fn written_statements_equal_their_built_trees() {
        let table = QName::new("audit", "Order \"x\" items");
        let plain = QName::new("", "select");
        let cases = [
            (
                drop(DropKind::Table, &table, false),
                built_drop(ObjectType::ObjectTable, &table, false),
            ),
            (
                drop(DropKind::Index, &plain, true),
                built_drop(ObjectType::ObjectIndex, &plain, true),
            ),
            (
                drop(DropKind::MaterializedView, &table, false),
                built_drop(ObjectType::ObjectMatview, &table, false),
            ),
            (
                drop(DropKind::Type, &table, false),
                build::drop(
                    ObjectType::ObjectType,
                    vec![build::drop_type_object(&table)],
                    false,
                ),
            ),
            (
                drop_column(&table, "Weird\"Col"),
                alter(&table, At::AtDropColumn, "Weird\"Col"),
            ),
            (
                drop_constraint(&table, "c"),
                alter(&table, At::AtDropConstraint, "c"),
            ),
            (
                alter_column(&table, "a", ColumnChange::SetNotNull),
                alter(&table, At::AtSetNotNull, "a"),
            ),
            (
                alter_column(&table, "a", ColumnChange::DropNotNull),
                alter(&table, At::AtDropNotNull, "a"),
            ),
            (
                alter_column(&table, "a", ColumnChange::DropDefault),
                alter(&table, At::AtColumnDefault, "a"),
            ),
        ];
        for (text, tree) in cases {
            assert_eq!(
                normalised(&text),
                deparse(tree).expect("deparses"),
                "{text}"
            );
        }
        assert_eq!(
            drop_column(&table, "Weird\"Col"),
            "ALTER TABLE audit.\"Order \"\"x\"\" items\" DROP COLUMN \"Weird\"\"Col\""
        );
        assert_eq!(
            drop(DropKind::Table, &plain, false),
            "DROP TABLE \"select\""
        );
        assert_eq!(
            alter_column(&QName::new("", "User"), "type", ColumnChange::DropDefault),
            "ALTER TABLE \"User\" ALTER COLUMN type DROP DEFAULT"
        );
    }
}
