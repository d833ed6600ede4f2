//! Data statements and anything else without a schema-level inverse.
//!
//! A data statement leaves the schema as it found it, so its undo never has schema to
//! restore; what it cannot restore is data, and that is what the `lossy` verdict is for (as
//! for `DROP COLUMN`, whose undo brings the column back empty). The verdict is `manual` only
//! when an undo is needed and unmigrate cannot write it: rows an `INSERT` added that no key
//! identifies, or a statement that also changes other tables.

mod calls;
mod effects;
mod insert;

use effects::{delete_effects, quoted, referencing_closure, referencing_columns};
use effects::{rows_and_effects, trigger_note, updates_referenced_key};
use insert::{insert, UNDO_INSERT};

use super::rule::{undo_rule, UndoRule};
use super::{moves, DataLoss, Undo};
use crate::catalog::Catalog;
use crate::sql::touches::Touches;
use crate::sql::{pb, NodeEnum, QName};

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[
    UNDO_INSERT,
    UNDO_UPDATE,
    UNDO_DELETE,
    UNDO_TRUNCATE,
    UNDO_SELECT,
    UNDO_UNKNOWN_STATEMENT,
];

/// `INSERT`, `UPDATE`, `DELETE`: rules `undo-insert`, `undo-update` and `undo-delete`, declared
/// beside `insert`, `update` and `delete`. Rows written to a table this migration creates need
/// no undo (the undo drops them anyway), and a data-changing `WITH` makes any of them manual.
pub fn write(catalog: &Catalog, node: &NodeEnum, scope: &Touches) -> Undo {
    let (verb, relation, with) = match node {
        NodeEnum::InsertStmt(s) => ("INSERT into", s.relation.as_ref(), &s.with_clause),
        NodeEnum::UpdateStmt(s) => ("UPDATE of", s.relation.as_ref(), &s.with_clause),
        NodeEnum::DeleteStmt(s) => ("DELETE from", s.relation.as_ref(), &s.with_clause),
        _ => return Undo::manual("data change of an unknown kind; reverse it by hand"),
    };
    let Some(table) = relation.map(QName::from_range_var) else {
        return Undo::manual("data statement without a target table; reverse it by hand");
    };
    if scope.creates(&table, |t| !catalog.moves.created(t)) {
        return Undo::nothing(format!(
            "{verb} {table}, which this migration creates: the undo drops the table and these rows with it"
        ));
    }
    if with.as_ref().is_some_and(writes_in_with) {
        return Undo::manual(format!(
            "{verb} {table} has a WITH clause that changes data too (INSERT, UPDATE or DELETE inside WITH): reverse all of its changes by hand"
        ));
    }
    match node {
        NodeEnum::InsertStmt(s) => insert(catalog, &table, s),
        NodeEnum::UpdateStmt(s) => update(catalog, &table, s, scope),
        NodeEnum::DeleteStmt(_) => delete(catalog, &table),
        _ => unreachable!("matched above"),
    }
}

undo_rule! {
    /// an UPDATE is not reversed: the values it overwrote are named as lost
    ///
    /// ## Undoes
    ///
    /// - `UPDATE`
    ///
    /// ## The undo
    ///
    /// No statement: the values an `UPDATE` overwrote are gone, so the undo keeps the rows as it left them. If the previous release needs the old values, restore them from a backup in the undo file. A data move is reversed: when the migration copied a column into one it added without a default (`SET new = old`, or `old::text`) and this `UPDATE` empties the original (`SET old = NULL`, in the same statement or a later one), the undo moves the values back, `UPDATE … SET old = new WHERE old IS NULL AND new IS NOT NULL`, before the undo of the `ADD COLUMN` drops `new`.
    ///
    /// ## Verdict
    ///
    /// **lossy**: the note names the overwritten columns, `ON UPDATE` actions of foreign keys that reference them, and triggers that ran. Nothing to undo (**exact**) when it only fills columns or a table the same migration creates. **manual** with a data-changing `WITH`.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "email" TEXT);
    ///
    /// -- this migration
    /// UPDATE "User" SET "email" = lower("email");
    /// ```
    ///
    /// Its undo, **lossy**: no statement, nothing to undo.
    ///
    /// ## Cases
    ///
    /// - `tests/cases/data/data_statements.sql` (snapshot `snapshots/data__data_statements.snap`)
    /// - `tests/cases/data/keyed_inserts.sql` (snapshot `snapshots/data__keyed_inserts.snap`)
    /// - `tests/cases/data/data_move.sql` (snapshot `snapshots/data__data_move.snap`)
    UNDO_UPDATE = "undo-update";
}

/// The undo of rule `undo-update` (UNDO_UPDATE above).
fn update(catalog: &Catalog, table: &QName, s: &pb::UpdateStmt, scope: &Touches) -> Undo {
    let columns = target_columns(&s.target_list);
    let (new, old): (Vec<_>, Vec<_>) = columns
        .iter()
        .partition(|c| scope.adds_column(table, c).is_some());
    if old.is_empty() && !new.is_empty() {
        return Undo::nothing(format!(
            "UPDATE of {table} only fills columns this migration adds ({}): the undo drops them with their values",
            quoted(&columns)
        ));
    }
    let mut statements = Vec::new();
    let mut reason = format!("UPDATE of {table}: ");
    let mut moved = Vec::new();
    for (statement, note, column) in moves::moves_back(catalog, table, s) {
        statements.push(statement);
        reason.push_str(&note);
        reason.push_str("; ");
        moved.push(column);
    }
    let kept: Vec<&&String> = old.iter().filter(|c| !moved.contains(c)).collect();
    if kept.is_empty() {
        reason.push_str("rows it emptied without a copy, if any, stay NULL");
    } else {
        reason.push_str(&format!(
            "the values it overwrote in {} are not restored (the undo keeps the rows as it left them; if the previous release needs the old values, restore them from a backup)",
            quoted(&kept)
        ));
    }
    if updates_referenced_key(catalog, table, &old) {
        reason.push_str("; it changes columns that foreign keys reference, so their ON UPDATE actions changed other tables too");
    }
    reason.push_str(&trigger_note(catalog, table));
    let mut loses: Vec<DataLoss> = old
        .iter()
        .map(|c| DataLoss::Column {
            table: table.clone(),
            column: (*c).clone(),
        })
        .collect();
    loses.extend(referencing_columns(catalog, table, |fk| {
        fk.cascades_updates()
            && fk
                .references
                .as_ref()
                .is_some_and(|(_, referenced)| referenced.iter().any(|r| old.contains(&r)))
    }));
    Undo::lossy(reason, statements).losing(loses)
}

undo_rule! {
    /// a DELETE is not reversed: the removed rows are named as lost
    ///
    /// ## Undoes
    ///
    /// - `DELETE`
    ///
    /// ## The undo
    ///
    /// No statement: deleted rows cannot be brought back by SQL.
    ///
    /// ## Verdict
    ///
    /// **lossy**: the note names the rows removed, the rows that `ON DELETE CASCADE` removed and the columns `ON DELETE SET NULL/DEFAULT` reset in other tables, and triggers that ran. Nothing to undo (**exact**) for rows of a table the same migration creates; **manual** with a data-changing `WITH`.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Session" ("id" TEXT PRIMARY KEY, "expired" BOOLEAN);
    ///
    /// -- this migration
    /// DELETE FROM "Session" WHERE "expired";
    /// ```
    ///
    /// Its undo, **lossy**: no statement, nothing to undo.
    ///
    /// ## Cases
    ///
    /// - `tests/cases/data/data_statements.sql` (snapshot `snapshots/data__data_statements.snap`)
    /// - `tests/cases/data/keyed_inserts.sql` (snapshot `snapshots/data__keyed_inserts.snap`)
    UNDO_DELETE = "undo-delete";
}

/// The undo of rule `undo-delete` (UNDO_DELETE above).
fn delete(catalog: &Catalog, table: &QName) -> Undo {
    let mut reason = format!(
        "DELETE from {table}: the rows it removed are not restored (restore them from a backup if the previous release needs them)"
    );
    for effect in delete_effects(catalog, table, false) {
        reason.push_str("; ");
        reason.push_str(&effect);
    }
    reason.push_str(&trigger_note(catalog, table));
    Undo::lossy(reason, Vec::new()).losing(rows_and_effects(catalog, table))
}

undo_rule! {
    /// a TRUNCATE is not reversed: the emptied tables are named as lost
    ///
    /// ## Undoes
    ///
    /// - `TRUNCATE`
    /// - `TRUNCATE … CASCADE`
    /// - `TRUNCATE … RESTART IDENTITY`
    ///
    /// ## The undo
    ///
    /// No statement: the rows are gone, as with a `DELETE` of all of them.
    ///
    /// ## Verdict
    ///
    /// **lossy**: the note names the tables emptied (with `CASCADE`, every table whose foreign keys reach them) and sequences `RESTART IDENTITY` reset. Nothing to undo (**exact**) for tables the same migration creates, or temporary ones.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Session" ("id" TEXT PRIMARY KEY);
    ///
    /// -- this migration
    /// TRUNCATE "Session";
    /// ```
    ///
    /// Its undo, **lossy**: no statement, nothing to undo.
    ///
    /// ## Cases
    ///
    /// - `tests/cases/data/keyed_inserts.sql` (snapshot `snapshots/data__keyed_inserts.snap`)
    UNDO_TRUNCATE = "undo-truncate";
}

/// The undo of rule `undo-truncate` (UNDO_TRUNCATE above).
pub fn truncate(catalog: &Catalog, s: &pb::TruncateStmt, scope: &Touches) -> Undo {
    let tables: Vec<QName> = s
        .relations
        .iter()
        .filter_map(|r| match &r.node {
            Some(NodeEnum::RangeVar(rv)) if !catalog.is_temporary_relation(rv) => {
                Some(QName::from_range_var(rv))
            }
            _ => None,
        })
        .collect();
    let kept: Vec<String> = tables
        .iter()
        .filter(|t| !scope.creates(t, |_| true))
        .map(ToString::to_string)
        .collect();
    if kept.is_empty() {
        return Undo::nothing(
            "TRUNCATE of tables this migration creates (or temporary ones): the undo drops them with their rows",
        );
    }
    let mut reason = format!(
        "TRUNCATE of {}: the rows it removed are not restored (restore them from a backup if the previous release needs them)",
        kept.join(", ")
    );
    if s.behavior == pb::DropBehavior::DropCascade as i32 {
        reason.push_str("; CASCADE emptied the tables that reference them too");
    }
    if s.restart_seqs {
        reason.push_str("; RESTART IDENTITY reset their sequences, which stay reset");
    }
    let cascade = s.behavior == pb::DropBehavior::DropCascade as i32;
    let mut loses = Vec::new();
    for table in tables.iter().filter(|t| !scope.creates(t, |_| true)) {
        let emptied = if cascade {
            referencing_closure(catalog, table)
        } else {
            vec![table.clone()]
        };
        for table in emptied {
            let loss = DataLoss::Rows { table };
            if !loses.contains(&loss) {
                loses.push(loss);
            }
        }
    }
    Undo::lossy(reason, Vec::new()).losing(loses)
}

/// Whether a `WITH` clause holds a data-modifying statement.
fn writes_in_with(with: &pb::WithClause) -> bool {
    with.ctes.iter().any(|cte| match &cte.node {
        Some(NodeEnum::CommonTableExpr(cte)) => matches!(
            cte.ctequery.as_deref().and_then(|q| q.node.as_ref()),
            Some(NodeEnum::InsertStmt(_) | NodeEnum::UpdateStmt(_) | NodeEnum::DeleteStmt(_))
        ),
        _ => false,
    })
}

/// Column names of `SET` targets or an `INSERT` column list.
fn target_columns(targets: &[pb::Node]) -> Vec<String> {
    targets
        .iter()
        .filter_map(|t| match &t.node {
            Some(NodeEnum::ResTarget(r)) => Some(r.name.clone()),
            _ => None,
        })
        .collect()
}

undo_rule! {
    /// a SELECT runs for its side effects, which need a manual undo
    ///
    /// ## Undoes
    ///
    /// - `SELECT (such as `SELECT setval(…)`)`
    ///
    /// ## The undo
    ///
    /// None: a `SELECT` in a migration runs for the side effects of the functions it calls.
    ///
    /// ## Verdict
    ///
    /// **exact** (nothing to undo) for a `SELECT` that calls only the built-in functions that change nothing (`SELECT 1`, `SELECT count(*) FROM t`). **manual** otherwise: unmigrate cannot see or reverse what the functions did; for a function the history defines (in `LANGUAGE sql` or PL/pgSQL), the note names the tables it inserts into, updates and deletes from, so the reader knows what to repair.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE SEQUENCE "ticket_seq";
    ///
    /// -- this migration
    /// SELECT setval('ticket_seq', 1000);
    /// ```
    ///
    /// Its undo, **manual**: no statement; the undo file holds a manual block that fails until it is written.
    ///
    /// ## Cases
    ///
    /// - `tests/cases/data/select_calls.sql` (snapshot `snapshots/data__select_calls.snap`)
    UNDO_SELECT = "undo-select";
}

/// The undo of rule `undo-select` (UNDO_SELECT above).
pub fn select(catalog: &Catalog, node: &NodeEnum) -> Undo {
    let reads_only = matches!(node, NodeEnum::SelectStmt(s) if s.into_clause.is_none())
        && crate::sql::plpgsql::calls_only_pure(node).is_ok();
    if reads_only {
        return Undo::nothing(
            "the SELECT only reads: it calls no function but built-in ones that change nothing",
        );
    }
    let writes = calls::writes_of_calls(catalog, node);
    if writes.is_empty() {
        return Undo::manual("a SELECT in a migration runs for its side effects (function calls), which unmigrate cannot reverse; reverse them by hand");
    }
    Undo::manual(format!(
        "a SELECT in a migration runs for the side effects of the functions it calls: {}. Which rows they changed is only known at run time: delete the rows they added and restore what they changed or deleted (from a backup) by hand",
        writes.join("; ")
    ))
}

undo_rule! {
    /// a statement no rule covers gets a manual undo, never a silent skip
    ///
    /// ## Undoes
    ///
    /// - `any statement without an undo rule (`CREATE POLICY`, `GRANT`, …)`
    /// - `ALTER TABLE commands without a rule of their own, and ALTER on indexes, views or sequences`
    ///
    /// ## The undo
    ///
    /// None: the undo file holds a manual block that names the statement and fails until it is written.
    ///
    /// ## Verdict
    ///
    /// **manual**: these statements have no rule yet (`DO` blocks have rule `undo-do-block`).
    ///
    /// ## Example
    ///
    /// ```sql
    /// CREATE POLICY "owner_only" ON "Post" USING (true);
    /// ```
    ///
    /// Its undo, **manual**: no statement; the undo file holds a manual block that fails until it is written.
    ///
    /// ## Cases
    ///
    /// - `tests/cases/data/data_statements.sql` (snapshot `snapshots/data__data_statements.snap`)
    UNDO_UNKNOWN_STATEMENT = "undo-unknown-statement";
}

/// The undo of rule `undo-unknown-statement` (UNDO_UNKNOWN_STATEMENT above).
pub fn unsupported(node: &NodeEnum) -> Undo {
    let kind = format!("{node:?}");
    let kind = kind.split('(').next().unwrap_or("statement");
    Undo::manual(format!(
        "{kind} has no undo rule in unmigrate yet; write its reverse by hand"
    ))
}
