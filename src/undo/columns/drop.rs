//! `ALTER TABLE … DROP COLUMN`: the column added back, empty, with what the drop took with it.

use super::cmd::column_of;
use super::placeholder;
use crate::catalog::Catalog;
use crate::sql::quote::{self, Ident};
use crate::sql::{pb, QName};
use crate::undo::backfill::{self, Holds};
use crate::undo::effect::Effect;
use crate::undo::rule::undo_rule;
use crate::undo::{moves, recreate, DataLoss, Undo, COLUMN_ORDER_NOTE};

undo_rule! {
    /// a dropped column is added back, empty, with what the drop took with it
    ///
    /// ## Undoes
    ///
    /// - `ALTER TABLE … DROP COLUMN`
    /// - `ALTER TABLE … DROP COLUMN IF EXISTS`
    ///
    /// ## The undo
    ///
    /// Adds the column back with its type, default, nullability, collation and comment, then the constraints and indexes the drop removed with it, and the foreign keys of other tables that pointed at it. A NOT NULL column without a default is added with a placeholder its type accepts as its default (`ADD COLUMN … NOT NULL DEFAULT ''`: no rewrite since PostgreSQL 11), which a second statement drops (`ALTER COLUMN … DROP DEFAULT`; in the same `ALTER TABLE` PostgreSQL would drop it before adding the column), so the existing rows hold the placeholder and the schema is the one the drop removed: `''` for character types and `bytea`, `0` for numbers, `false` for booleans, `'epoch'` for dates and timestamps, `'00:00:00'` for times and intervals, the zero uuid, `'{}'` for arrays and JSON, and an enum's first value. When the migration copied the column into one it added before dropping it (`UPDATE … SET copy = col`, or `col::text`), the re-added column is refilled from the copy (`UPDATE … SET col = copy WHERE copy IS NOT NULL`, before its indexes and constraints come back), ahead of the undo that drops the copy.
    ///
    /// ## Verdict
    ///
    /// **lossy**: the column comes back empty (filled with its default, or with the placeholder the note names), at the end of the table rather than in its old position (the note says so when the order differs). Every row gets the same placeholder, so the note names a unique index or key the undo rebuilds over the column (it fails while two rows or more exist) and a CHECK or foreign key that may reject the value. A NOT NULL column without a default whose type has no known placeholder (a domain, a composite or unknown type) is re-added plainly: that fails on a table that has rows, and the note says so. **manual**, its SQL kept, when a step of the undo then needs values the column cannot have (see `src/undo/backfill.rs`): the undo rebuilds a unique index or key over the re-added column alone, or adds back a one-column foreign key from it (every row holds the placeholder), or a later step makes the empty column NOT NULL again, or builds a unique key over columns that all came back with one value. It would pass a drill on an empty database and fail on every populated one, so the file marks where the backfill goes (`MANUAL STEP`, with the `UPDATE` to complete), and a check at its top stops it, before any change, while the table has rows. **manual** when no earlier migration creates the column. Nothing to undo for `DROP COLUMN IF EXISTS` of a column that did not exist.
    ///
    /// ## Examples
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "email" TEXT, "name" TEXT);
    /// CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
    ///
    /// -- this migration
    /// ALTER TABLE "User" DROP COLUMN "email";
    /// ```
    ///
    /// Its undo, **lossy**:
    ///
    /// ```sql
    /// ALTER TABLE "User" ADD COLUMN email text;
    /// CREATE UNIQUE INDEX "User_email_key" ON "User" USING btree (email);
    /// ```
    ///
    /// A NOT NULL column comes back with a placeholder:
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Account" ("id" TEXT PRIMARY KEY, "externalId" TEXT NOT NULL);
    ///
    /// -- this migration
    /// ALTER TABLE "Account" DROP COLUMN "externalId";
    /// ```
    ///
    /// Its undo, **lossy**:
    ///
    /// ```sql
    /// ALTER TABLE "Account" ADD COLUMN "externalId" text NOT NULL DEFAULT '';
    /// ALTER TABLE "Account" ALTER COLUMN "externalId" DROP DEFAULT;
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/columns/drop_column_with_dependents.sql` (snapshot `snapshots/columns__drop_column_with_dependents.snap`)
    /// - `tests/cases/columns/drop_column_needs_backfill.sql` (snapshot `snapshots/columns__drop_column_needs_backfill.snap`)
    /// - `tests/cases/data/data_move.sql` (snapshot `snapshots/data__data_move.snap`)
    /// - `tests/cases/tables/drops_take_comments_and_triggers.sql` (snapshot `snapshots/tables__drops_take_comments_and_triggers.snap`)
    UNDO_DROP_COLUMN = "undo-drop-column";
}

/// The undo of rule `undo-drop-column` (UNDO_DROP_COLUMN above).
pub fn drop_column(catalog: &Catalog, table: &QName, cmd: &pb::AlterTableCmd) -> Undo {
    let (t, column) = match column_of(catalog, table, &cmd.name) {
        Ok(found) => found,
        Err(_) if cmd.missing_ok => {
            return Undo::nothing(format!(
                "column {} did not exist, so DROP COLUMN IF EXISTS did nothing",
                Ident(&cmd.name)
            ))
        }
        Err(undo) => return undo,
    };
    let filler = placeholder::placeholder(catalog, column);
    let (mut statements, sequences_owned) = recreate::owned_sequences(catalog, table, [column]);
    let mut added = placeholder::add_column(catalog, table, column, filler.as_ref());
    let refill = moves::refill(catalog, t, &column.name);
    // What every existing row holds once it is added, unless a copy refills it.
    let holds = match &filler {
        Some(p) => Some(Holds::Placeholder(p.shown.clone())),
        None if column.default.is_none() && column.generated.is_none() => Some(Holds::Null),
        None => None,
    };
    if let (Some(holds), None) = (holds, &refill) {
        // On its last statement (after a placeholder's DROP DEFAULT): a backfill goes there.
        let add = added.pop().expect("an ADD COLUMN");
        added.push(add.with_effect(Effect::AddsColumnWithout {
            table: table.clone(),
            column: column.name.clone(),
            holds,
        }));
    }
    statements.extend(added);
    statements.extend(refill.iter().map(|(statement, _)| statement.clone()));
    statements.extend(sequences_owned);
    if let Some(text) = catalog.comment_on_column(table, &column.name) {
        let column_object = recreate::column_object(table, &column.name);
        statements.push(recreate::comment(
            pb::ObjectType::ObjectColumn,
            column_object,
            text,
        ));
    }
    for c in t
        .constraints
        .iter()
        .filter(|c| c.columns.contains(&column.name))
    {
        statements.extend(recreate::add_constraint_online(table, c));
    }
    for i in catalog
        .indexes_on(table)
        .filter(|i| i.constraint.is_none() && i.columns.contains(&column.name))
    {
        statements.push(recreate::create_index(i, false));
    }
    for (other, fk) in catalog.foreign_keys_into(table) {
        let points_here = matches!(&fk.references, Some((_, cols)) if cols.contains(&column.name));
        if points_here && other.name != *table {
            statements.extend(recreate::add_constraint_online(&other.name, fk));
        }
    }
    let shown = quote::Column(table, &column.name);
    let mut reason = match &filler {
        Some(p) => format!(
            "re-adds column {shown} with placeholder {} for existing rows (its default while it is added, then dropped): the dropped values are lost",
            p.shown
        ),
        None => format!("re-adds column {shown} empty: its values are lost"),
    };
    if let Some((_, note)) = &refill {
        reason = reason.replace(
            "values are lost",
            "values are lost where the copy below does not hold them",
        );
        reason.push_str("; ");
        reason.push_str(note);
    }
    let reorders_columns = t.columns.last().map(|c| &c.name) != Some(&column.name);
    if reorders_columns {
        reason.push_str("; ");
        reason.push_str(COLUMN_ORDER_NOTE);
    }
    let mut backfill = None;
    if let Some(filler) = &filler {
        let conflicts = placeholder::conflicts(catalog, t, &column.name);
        reason.push_str(&match refill {
            // Only rows the copy does not hold keep the placeholder.
            Some(_) => conflicts
                .note
                .replace("every row gets", "every row the copy does not hold keeps")
                .replace(
                    "the table has two rows or more",
                    "two such rows or more exist",
                ),
            None => {
                backfill = backfill::of_own_rebuild(
                    table,
                    &column.name,
                    &filler.shown,
                    conflicts.unique_alone,
                    conflicts.foreign_alone,
                );
                conflicts.note
            }
        });
    }
    if filler.is_none() && placeholder::needs_one(column) {
        reason.push_str("; it is NOT NULL without a default and no placeholder is known for its type, so the undo fails while the table has rows");
    }
    let mut undo = Undo::lossy(reason, statements).losing([DataLoss::Column {
        table: table.clone(),
        column: column.name.clone(),
    }]);
    undo.reorders_columns = reorders_columns;
    match backfill {
        Some(backfill) => undo.needing(backfill),
        None => undo,
    }
}
