//! Data survival in seeded drills: which data differences a migration and its undo may cause,
//! and which ones they caused without saying so.
//!
//! The drill fingerprints the data ([`crate::rows::fingerprint`]) before the forward phase and
//! after each phase. Two rules:
//!
//! - after the undo, compared with before the forward phase, every difference must be one the
//!   undo's lossy verdict announced ([`DataLoss`]): the column a `DROP COLUMN` undo recreates
//!   empty, the rows a `DELETE` removed. Any other is data the undo lost without saying so;
//! - after the forward phase and the re-apply, data the migration does not touch (tables and
//!   columns its statements do not name, and the verdict does not announce) must be as it
//!   was before the phase (so a loss the undo caused is not reported again for the re-apply).

use std::collections::HashMap;
use std::path::Path;

use crate::drill::outcome::{Phase, PhaseDataChange};
use crate::rows::Fingerprint;
use crate::sql::touches::Touches;
use crate::sql::{self, pb, NodeEnum, QName};
use crate::undo::{DataLoss, MigrationUndo};

/// What the undo announces it loses, named as the data was named before its migration, which
/// is how the data after the undo is compared: each statement's undo names what that statement
/// saw, after the renames earlier in the migration (an `UPDATE` of a column the migration
/// renamed first loses the values of the column under its old name, once the undo renamed it
/// back).
pub fn announced_losses(undo: &MigrationUndo) -> Vec<DataLoss> {
    let mut names = Renames::default();
    let mut losses = Vec::new();
    for statement in &undo.statements {
        losses.extend(statement.undo.loses.iter().map(|loss| names.original(loss)));
        let parsed = sql::parse_file(Path::new("forward.sql"), &statement.forward);
        for node in parsed.iter().flatten().map(|s| &s.node) {
            if let NodeEnum::RenameStmt(rename) = node {
                names.follow(rename);
            }
        }
    }
    losses
}

/// The names before a migration of the tables and columns it renamed, by their names now.
#[derive(Default)]
struct Renames {
    tables: HashMap<QName, QName>,
    /// (table now, column now) → the column's name before.
    columns: HashMap<(QName, String), String>,
}

impl Renames {
    fn follow(&mut self, rename: &pb::RenameStmt) {
        let Some(relation) = rename.relation.as_ref() else {
            return;
        };
        let table = QName::from_range_var(relation);
        if rename.rename_type == pb::ObjectType::ObjectColumn as i32 {
            let before = self
                .columns
                .remove(&(table.clone(), rename.subname.clone()))
                .unwrap_or_else(|| rename.subname.clone());
            self.columns.insert((table, rename.newname.clone()), before);
        } else if rename.rename_type == pb::ObjectType::ObjectTable as i32 {
            let renamed = table.sibling(&rename.newname);
            let before = self.tables.remove(&table).unwrap_or_else(|| table.clone());
            self.tables.insert(renamed.clone(), before);
            let moved: Vec<_> = self
                .columns
                .keys()
                .filter(|(t, _)| *t == table)
                .cloned()
                .collect();
            for key in moved {
                if let Some(column) = self.columns.remove(&key) {
                    self.columns.insert((renamed.clone(), key.1), column);
                }
            }
        }
    }

    fn original(&self, loss: &DataLoss) -> DataLoss {
        let table = |t: &QName| self.tables.get(t).cloned().unwrap_or_else(|| t.clone());
        match loss {
            DataLoss::Table { table: t } => DataLoss::Table { table: table(t) },
            DataLoss::Rows { table: t } => DataLoss::Rows { table: table(t) },
            DataLoss::Column { table: t, column } => DataLoss::Column {
                table: table(t),
                column: self
                    .columns
                    .get(&(t.clone(), column.clone()))
                    .cloned()
                    .unwrap_or_else(|| column.clone()),
            },
        }
    }
}

/// Differences after `phase` (compared with `before`: the data before the forward phase for
/// the forward phase and the undo, after the undo for the re-apply), split into
/// (unannounced, announced).
/// After the undo every difference must be announced by `loses`; after the forward phase
/// and the re-apply only those outside what the migration touches count, and count as
/// unannounced.
pub fn judge(
    before: &Fingerprint,
    after: &Fingerprint,
    phase: Phase,
    touched: &Touches,
    loses: &[DataLoss],
) -> (Vec<PhaseDataChange>, Vec<PhaseDataChange>) {
    let mut unannounced = Vec::new();
    let mut announced = Vec::new();
    for change in before.changes(after) {
        let column = change.column.as_deref();
        let promised = loses.iter().any(|l| l.covers(&change.table, column));
        let expected = match phase {
            Phase::Undo => promised,
            Phase::Forward | Phase::Reapply => {
                promised || touched.may_change(&change.table, column)
            }
        };
        let change = PhaseDataChange {
            after: phase,
            change,
        };
        match (expected, phase) {
            (false, _) => unannounced.push(change),
            (true, Phase::Undo) => announced.push(change),
            (true, _) => {}
        }
    }
    (unannounced, announced)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::fingerprint::{ColumnFingerprint, TableFingerprint};
    use crate::sql::QName;

    fn q(name: &str) -> QName {
        QName::new("", name)
    }

    #[test]
    fn alter_table_touches_only_the_columns_it_names() {
        let t = Touches::of_sql(
            r#"ALTER TABLE "User" ADD COLUMN "age" int, ALTER COLUMN "email" SET NOT NULL;
               ALTER TABLE "Post" RENAME COLUMN "body" TO "content";
               CREATE INDEX "i" ON "Comment" ("postId");
               UPDATE "Tag" SET "name" = lower("name");"#,
        );
        assert_eq!(t.tables, [q("Tag")].into());
        assert_eq!(
            t.columns,
            [
                (q("User"), "age".to_string()),
                (q("User"), "email".to_string()),
                (q("Post"), "body".to_string()),
                (q("Post"), "content".to_string()),
            ]
            .into()
        );
    }

    #[test]
    fn a_do_block_touches_the_tables_its_code_names_or_any_when_it_cannot_be_followed() {
        let t = Touches::of_sql(r#"DO $$ BEGIN INSERT INTO "Setting" (id) VALUES (1); END $$;"#);
        assert!(t.may_change(&q("Setting"), None));
        assert!(!t.may_change(&q("User"), None));
        let dynamic = Touches::of_sql(r#"DO $$ BEGIN EXECUTE 'DELETE FROM ' || 'x'; END $$;"#);
        assert!(dynamic.may_change(&q("User"), Some("email")));
    }

    fn fingerprint(rows: i64, bio: &str) -> Fingerprint {
        let columns = [
            (
                "id".to_string(),
                ColumnFingerprint {
                    checksum: "1".into(),
                    nulls: 0,
                },
            ),
            (
                "bio".to_string(),
                ColumnFingerprint {
                    checksum: bio.into(),
                    nulls: 0,
                },
            ),
        ];
        Fingerprint {
            tables: [(
                q("User"),
                TableFingerprint {
                    oid: 0,
                    rows,
                    columns: columns.into(),
                },
            )]
            .into(),
        }
    }

    #[test]
    fn after_the_undo_only_announced_losses_pass() {
        let before = fingerprint(10, "7");
        let after = fingerprint(10, "0");
        let announced = [DataLoss::Column {
            table: q("User"),
            column: "bio".into(),
        }];
        let nothing = Touches::default();
        let (bad, good) = judge(&before, &after, Phase::Undo, &nothing, &announced);
        assert!(bad.is_empty());
        assert_eq!(good.len(), 1);
        let (bad, _) = judge(&before, &after, Phase::Undo, &nothing, &[]);
        assert_eq!(bad.len(), 1);
        // Rows lost are covered by a loss of rows only.
        let (bad, _) = judge(
            &before,
            &fingerprint(5, "0"),
            Phase::Undo,
            &nothing,
            &announced,
        );
        assert_eq!(bad.len(), 1, "{bad:?}");
        // After the forward phase, what the migration touches may change.
        let (bad, good) = judge(
            &before,
            &after,
            Phase::Forward,
            &Touches::of_sql(r#"UPDATE "User" SET "bio" = NULL;"#),
            &[],
        );
        assert!(bad.is_empty() && good.is_empty());
    }
}
