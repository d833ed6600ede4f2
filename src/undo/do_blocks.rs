//! `DO` blocks: their PL/pgSQL body is parsed (`pg_query::parse_plpgsql`) and, when every SQL
//! statement in it changes only what the undo of the same migration removes anyway (a table
//! the migration creates, or constraints and indexes on columns it adds), there is nothing
//! more to undo. Any other body stays manual: its effects are procedural code unmigrate does
//! not follow.

use super::rule::{undo_rule, UndoRule};
use super::Undo;
use crate::catalog::Catalog;
use crate::sql::plpgsql;
use crate::sql::refs::column_refs;
use crate::sql::touches::Touches;
use crate::sql::{pb, NodeEnum, QName};
use pb::AlterTableType as At;

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[UNDO_DO_BLOCK];

undo_rule! {
    /// a DO block that only changes what the same migration creates needs no undo of its own
    ///
    /// ## Undoes
    ///
    /// - `DO blocks`
    ///
    /// ## The undo
    ///
    /// None of its own: its PL/pgSQL body is parsed, and every SQL statement in it changes a table the same migration creates (which the undo drops), or adds a constraint or index on columns the same migration adds (which the undo drops, and the constraint or index with them), or changes nothing: a `SELECT` that only reads (a check whose `RAISE EXCEPTION` stops the migration), or the `ADD CONSTRAINT` of a constraint the table already has or the `CREATE INDEX` of an index that already stands (run, it would have failed with the migration: a guard in the block skipped it, as when a migration re-applies DDL after a rebase). A foreign key it adds must point at a table the migration keeps (or at its own table): the undo does not know the key, so it could not drop a table it points at. Its expressions may call built-in functions that change nothing (`count`, `string_agg`, `jsonb_typeof`, `now`, …), written without a schema or in `pg_catalog`.
    ///
    /// ## Verdict
    ///
    /// **exact** (nothing to undo) then. **manual** for any other body: dynamic SQL (`EXECUTE`), a statement on anything else, a foreign key to another table the migration creates, a call of a function that may have side effects, a language other than PL/pgSQL; the note names what was found.
    ///
    /// ## Examples
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY);
    /// CREATE TABLE "Team" ("id" TEXT PRIMARY KEY);
    ///
    /// -- this migration
    /// ALTER TABLE "User" ADD COLUMN IF NOT EXISTS "teamId" TEXT;
    /// DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'User_teamId_fkey') THEN ALTER TABLE "User" ADD CONSTRAINT "User_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team" ("id"); END IF; END $$;
    /// ```
    ///
    /// Its undo, **lossy**:
    ///
    /// ```sql
    /// ALTER TABLE "User" DROP COLUMN "teamId";
    /// ```
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY);
    ///
    /// -- this migration
    /// DO $$ BEGIN UPDATE "User" SET "id" = lower("id"); END $$;
    /// ```
    ///
    /// Its undo, **manual**: no statement; the undo file holds a manual block that fails until it is written.
    ///
    /// ## Cases
    ///
    /// - `tests/cases/data/do_blocks.sql` (snapshot `snapshots/data__do_blocks.snap`)
    /// - `tests/cases/data/do_blocks_that_only_check.sql` (snapshot `snapshots/data__do_blocks_that_only_check.snap`)
    UNDO_DO_BLOCK = "undo-do-block";
}

/// The undo of rule `undo-do-block` (UNDO_DO_BLOCK above).
pub fn do_block(catalog: &Catalog, s: &pb::DoStmt, scope: &Touches) -> Undo {
    match changes(catalog, s, scope) {
        Ok(changed) if changed.is_empty() => Undo::nothing(format!(
            "the DO block changes nothing: {}",
            nothing_said(catalog, s)
        )),
        Ok(changed) => Undo::nothing(format!(
            "the DO block only changes {}: the undo of this migration removes it, and the block's changes with it",
            changed.join(", ")
        )),
        Err(why) => Undo::manual(format!(
            "a DO block runs procedural code whose effects unmigrate cannot see ({why}); write its reverse by hand"
        )),
    }
}

/// What the block's statements change (a description of each), or why it is not understood.
fn changes(catalog: &Catalog, s: &pb::DoStmt, scope: &Touches) -> Result<Vec<String>, String> {
    let body = plpgsql::do_body(s)?;
    let mut changed = Vec::new();
    for (sql, node) in &body.statements {
        if catalog.changes_nothing_in_block(node) {
            continue;
        }
        let what = covered(catalog, node, scope).ok_or_else(|| {
            format!(
                "`{}` changes what the migration keeps",
                plpgsql::one_line(sql)
            )
        })?;
        if !changed.contains(&what) {
            changed.push(what);
        }
    }
    Ok(changed)
}

/// Why a block that changes nothing does not: what its statements are.
fn nothing_said(catalog: &Catalog, s: &pb::DoStmt) -> &'static str {
    let body = plpgsql::do_body(s)
        .map(|b| b.statements)
        .unwrap_or_default();
    let skipped = body.iter().any(|(_, node)| {
        !matches!(node, NodeEnum::SelectStmt(_)) && catalog.changes_nothing_in_block(node)
    });
    match (body.is_empty(), skipped) {
        (true, _) => "it holds no SQL statement, only control flow and expressions that read",
        (false, false) => "its statements only read (a check that raises an error stops the migration, which then needs no undo)",
        (false, true) => "it re-adds a constraint or index that already stands, which its guard skipped (run, it would have failed the migration), and reads",
    }
}

/// What `node` changes, when the undo of the migration removes it anyway: a table the
/// migration creates, or a constraint or index on columns it adds. A foreign key must not
/// point at another table the migration creates: the undo, which does not know the key,
/// could drop that table first, and PostgreSQL refuses while the key stands.
fn covered(catalog: &Catalog, node: &NodeEnum, scope: &Touches) -> Option<String> {
    let created = |table: &QName| scope.creates(table, |t| !catalog.moves.created(t));
    let new_table = |rv: &Option<pb::RangeVar>| {
        let table = QName::from_range_var(rv.as_ref()?);
        created(&table).then(|| format!("table {table} (this migration creates it)"))
    };
    match node {
        NodeEnum::InsertStmt(s) => new_table(&s.relation),
        NodeEnum::UpdateStmt(s) => new_table(&s.relation),
        NodeEnum::DeleteStmt(s) => new_table(&s.relation),
        NodeEnum::IndexStmt(s) => new_table(&s.relation).or_else(|| {
            let table = QName::from_range_var(s.relation.as_ref()?);
            let columns = index_columns(s)?;
            added(catalog, &table, &columns)
        }),
        NodeEnum::AlterTableStmt(s) if s.objtype == pb::ObjectType::ObjectTable as i32 => {
            let table = QName::from_range_var(s.relation.as_ref()?);
            let is_new = created(&table);
            let mut columns = Vec::new();
            for cmd in &s.cmds {
                let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node else {
                    return None;
                };
                let def = cmd.def.as_deref();
                if !def.is_none_or(|d| keys_stay(d, &table, &created)) {
                    return None;
                }
                match At::try_from(cmd.subtype).ok()? {
                    At::AtAddConstraint => columns.extend(constraint_columns(def?)?),
                    At::AtAddColumn
                    | At::AtColumnDefault
                    | At::AtSetNotNull
                    | At::AtDropNotNull
                    | At::AtAlterColumnType
                    | At::AtDropConstraint
                    | At::AtDropColumn
                        if is_new => {}
                    _ => return None,
                }
            }
            if is_new {
                return Some(format!("table {table} (this migration creates it)"));
            }
            added(catalog, &table, &columns)
        }
        _ => None,
    }
}

/// Whether every foreign key in `def` (a constraint, or a column's inline ones) points at
/// `table` itself or at a table the migration keeps.
fn keys_stay(def: &pb::Node, table: &QName, created: &impl Fn(&QName) -> bool) -> bool {
    let constraints: Vec<&pb::Node> = match &def.node {
        Some(NodeEnum::Constraint(_)) => vec![def],
        Some(NodeEnum::ColumnDef(c)) => c.constraints.iter().collect(),
        _ => Vec::new(),
    };
    constraints.into_iter().all(|c| match &c.node {
        Some(NodeEnum::Constraint(c)) if c.contype == pb::ConstrType::ConstrForeign as i32 => c
            .pktable
            .as_ref()
            .map(QName::from_range_var)
            .is_some_and(|target| &target == table || !created(&target)),
        _ => true,
    })
}

/// Describes `columns` of `table` when the migration added every one of them (so the undo
/// drops them, and what is built on them goes too).
fn added(catalog: &Catalog, table: &QName, columns: &[String]) -> Option<String> {
    let all = !columns.is_empty() && columns.iter().all(|c| catalog.moves.added(table, c));
    all.then(|| {
        let names: Vec<String> = columns
            .iter()
            .map(|c| crate::sql::quote::Column(table, c).to_string())
            .collect();
        format!(
            "what is built on {} (this migration adds it)",
            names.join(", ")
        )
    })
}

/// The plain columns of an index; `None` when it has an expression (which may read others).
fn index_columns(s: &pb::IndexStmt) -> Option<Vec<String>> {
    let mut columns = Vec::new();
    for param in s.index_params.iter().chain(&s.index_including_params) {
        let Some(NodeEnum::IndexElem(e)) = &param.node else {
            return None;
        };
        if e.name.is_empty() {
            return None;
        }
        columns.push(e.name.clone());
    }
    if s.where_clause.is_some() {
        columns.extend(column_refs(s.where_clause.as_deref()?));
    }
    Some(columns)
}

/// The columns of the table a constraint is built on (its keys, or the columns a check
/// reads); `None` for a kind whose reach is not that clear.
fn constraint_columns(def: &pb::Node) -> Option<Vec<String>> {
    let Some(NodeEnum::Constraint(c)) = &def.node else {
        return None;
    };
    use pb::ConstrType as C;
    match C::try_from(c.contype).ok()? {
        C::ConstrForeign => Some(crate::sql::string_list(&c.fk_attrs)),
        C::ConstrUnique | C::ConstrPrimary if c.indexname.is_empty() => {
            Some(crate::sql::string_list(&c.keys))
        }
        C::ConstrCheck => Some(column_refs(c.raw_expr.as_deref()?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn do_stmt(sql: &str) -> pb::DoStmt {
        let parsed = pg_query::parse(sql, 0).expect("parses");
        match parsed.protobuf.stmts[0]
            .stmt
            .as_ref()
            .and_then(|n| n.node.clone())
        {
            Some(NodeEnum::DoStmt(s)) => s,
            other => panic!("not a DO: {other:?}"),
        }
    }

    #[test]
    fn dynamic_sql_and_unknown_calls_stay_manual() {
        let catalog = Catalog::default();
        let scope = Touches::of_sql(r#"CREATE TABLE "T" ("id" int);"#);
        for (sql, why) in [
            (
                r#"DO $$ BEGIN EXECUTE 'DROP TABLE "T"'; END $$"#,
                "dynamic SQL",
            ),
            (
                r#"DO $$ BEGIN INSERT INTO "T" VALUES (nextval('s')); END $$"#,
                "calls nextval()",
            ),
            (
                r#"DO $$ BEGIN IF cleanup() THEN NULL; END IF; END $$"#,
                "calls cleanup()",
            ),
            (
                r#"DO $$ BEGIN UPDATE "Other" SET "x" = 1; END $$"#,
                "changes what the migration keeps",
            ),
            ("DO LANGUAGE plperl $$ 1 $$", "its language is plperl"),
        ] {
            let undo = do_block(&catalog, &do_stmt(sql), &scope);
            assert_eq!(undo.verdict, super::super::Verdict::Manual, "{sql}");
            assert!(undo.reason.contains(why), "{sql}: {}", undo.reason);
        }
        let undo = do_block(
            &catalog,
            &do_stmt(r#"DO $$ BEGIN INSERT INTO "T" VALUES (1); END $$"#),
            &scope,
        );
        assert_eq!(
            undo.verdict,
            super::super::Verdict::Exact,
            "{}",
            undo.reason
        );
        assert!(undo.statements.is_empty());
    }
}
