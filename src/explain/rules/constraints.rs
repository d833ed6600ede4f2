//! Constraints added to a table that already holds rows: validated at once (a full scan
//! under a lock that blocks writes), or backed by an index built under ACCESS EXCLUSIVE.

use super::{table_cmds, Hazard, Rule};
use crate::explain::{Context, Impact};
use crate::sql::{pb, NodeEnum, QName};
use pb::AlterTableType as At;
use pb::ConstrType as C;

/// The family's rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[Rule] = &[
    ADD_FOREIGN_KEY_WITHOUT_NOT_VALID,
    ADD_CHECK_WITHOUT_NOT_VALID,
    ADD_UNIQUE_CONSTRAINT_BUILDS_INDEX,
    VALIDATE_IN_SAME_TRANSACTION,
];

rule! {
    /// a CHECK constraint validated at once on a table in use
    ///
    /// ## What it finds
    ///
    /// `ADD CONSTRAINT … CHECK (…)` (or an inline CHECK in `ADD COLUMN`) without `NOT VALID` on a table this migration did not create.
    ///
    /// ## Why it hurts
    ///
    /// Every existing row is read to evaluate the CHECK while ACCESS EXCLUSIVE is held: no reads, no writes for the whole scan.
    ///
    /// ## Example
    ///
    /// ```sql
    /// ALTER TABLE "Score" ADD CONSTRAINT "Score_value_check" CHECK ("value" >= 0);
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// ALTER TABLE "Score" ADD CONSTRAINT "Score_value_check" CHECK ("value" >= 0) NOT VALID;
    /// -- later migration (SHARE UPDATE EXCLUSIVE):
    /// ALTER TABLE "Score" VALIDATE CONSTRAINT "Score_value_check";
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Score" ("id" TEXT PRIMARY KEY, "value" INTEGER);
    ///
    /// -- this migration
    /// ALTER TABLE "Score" ADD CONSTRAINT "Score_value_check" CHECK ("value" >= 0) NOT VALID;
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Lock: ACCESS EXCLUSIVE; scan unless NOT VALID; verified (facts notes). [https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES](https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES)
    ///
    /// ## squawk
    ///
    /// `constraint-missing-not-valid`.
    ADD_CHECK_WITHOUT_NOT_VALID = "add-check-without-not-valid";
}

rule! {
    /// a foreign key validated at once, blocking writes to both tables
    ///
    /// ## What it finds
    ///
    /// `ADD CONSTRAINT … FOREIGN KEY` (or an inline `REFERENCES` in `ADD COLUMN`) without `NOT VALID` on a table this migration did not create.
    ///
    /// ## Why it hurts
    ///
    /// Both the referencing and the referenced table are locked SHARE ROW EXCLUSIVE (writes blocked on both) while every existing row is checked against the referenced table.
    ///
    /// ## Example
    ///
    /// ```sql
    /// ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id");
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// -- migration 1: brief lock, no scan; new rows are checked from now on
    /// ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") NOT VALID;
    /// -- migration 2: SHARE UPDATE EXCLUSIVE on "Post", ROW SHARE on "User": writes continue
    /// ALTER TABLE "Post" VALIDATE CONSTRAINT "Post_authorId_fkey";
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY);
    /// CREATE TABLE "Post" ("id" TEXT PRIMARY KEY, "authorId" TEXT);
    ///
    /// -- this migration
    /// ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") NOT VALID;
    /// CREATE TABLE "Comment" ("id" TEXT PRIMARY KEY, "postId" TEXT NOT NULL);
    /// ALTER TABLE "Comment" ADD CONSTRAINT "Comment_postId_fkey" FOREIGN KEY ("postId") REFERENCES "Post"("id");
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Lock: SHARE ROW EXCLUSIVE on both tables (checked on PostgreSQL 15: the referencing table gets SHARE ROW EXCLUSIVE, not ACCESS EXCLUSIVE); scan of both unless NOT VALID. [https://www.postgresql.org/docs/current/sql-altertable.html](https://www.postgresql.org/docs/current/sql-altertable.html)
    ///
    /// ## squawk
    ///
    /// `adding-foreign-key-constraint` and `constraint-missing-not-valid`.
    ADD_FOREIGN_KEY_WITHOUT_NOT_VALID = "add-foreign-key-without-not-valid";
}

rule! {
    /// a UNIQUE, PRIMARY KEY or EXCLUDE constraint builds its index under ACCESS EXCLUSIVE
    ///
    /// ## What it finds
    ///
    /// `ADD CONSTRAINT … UNIQUE`, `PRIMARY KEY` or `EXCLUDE` without `USING INDEX` on a table this migration did not create.
    ///
    /// ## Why it hurts
    ///
    /// The constraint's index is built while ACCESS EXCLUSIVE is held: reads and writes wait for the whole build (a plain CREATE INDEX would at least let reads through). It fails if rows hold duplicates (or NULLs for a primary key).
    ///
    /// ## Example
    ///
    /// ```sql
    /// ALTER TABLE "User" ADD CONSTRAINT "User_email_key" UNIQUE ("email");
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// -- migration 1, alone in its file
    /// CREATE UNIQUE INDEX CONCURRENTLY "User_email_key" ON "User"("email");
    /// -- migration 2: a brief lock
    /// ALTER TABLE "User" ADD CONSTRAINT "User_email_key" UNIQUE USING INDEX "User_email_key";
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT NOT NULL, "email" TEXT);
    /// CREATE UNIQUE INDEX CONCURRENTLY "User_email_key" ON "User"("email");
    ///
    /// -- this migration
    /// ALTER TABLE "User" ADD CONSTRAINT "User_email_key" UNIQUE USING INDEX "User_email_key";
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Lock: ACCESS EXCLUSIVE (+ SHARE) during the build; verified for UNIQUE (facts notes). EXCLUDE has no USING INDEX form. [https://www.postgresql.org/docs/current/sql-altertable.html](https://www.postgresql.org/docs/current/sql-altertable.html)
    ///
    /// ## squawk
    ///
    /// `disallowed-unique-constraint` (squawk covers UNIQUE; `adding-serial-primary-key-field` part of PRIMARY KEY).
    ADD_UNIQUE_CONSTRAINT_BUILDS_INDEX = "add-unique-constraint-builds-index";
}

pub fn check(ctx: &Context<'_>, node: &NodeEnum, _impact: &Impact, out: &mut Vec<Hazard>) {
    let Some((table, cmds)) = table_cmds(node) else {
        return;
    };
    for cmd in cmds {
        let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
        match (At::try_from(cmd.subtype), def) {
            (Ok(At::AtAddConstraint), Some(NodeEnum::Constraint(c))) if ctx.existing(&table) => {
                added(&table, c, out)
            }
            (Ok(At::AtAddColumn), Some(NodeEnum::ColumnDef(d))) if ctx.existing(&table) => {
                for c in d.constraints.iter().filter_map(|c| match &c.node {
                    Some(NodeEnum::Constraint(c)) => Some(c),
                    _ => None,
                }) {
                    // A new column is NULL (or its constant default) everywhere; only a
                    // foreign key or CHECK over it still reads every row, and UNIQUE builds
                    // an index.
                    added(&table, c, out);
                }
            }
            (Ok(At::AtValidateConstraint), _) => {
                validate_in_same_transaction(ctx, &table, &cmd.name, out)
            }
            _ => {}
        }
    }
}

fn added(table: &QName, c: &pb::Constraint, out: &mut Vec<Hazard>) {
    let name = if c.conname.is_empty() {
        String::new()
    } else {
        format!(" {}", crate::sql::quote::Ident(&c.conname))
    };
    match C::try_from(c.contype).unwrap_or(C::Undefined) {
        C::ConstrForeign if !c.skip_validation => {
            let target = c.pktable.as_ref().map(QName::from_range_var);
            let locked = match target {
                Some(t) if &t != table => format!("both {table} and {t} are"),
                _ => format!("{table} is"),
            };
            out.push(Hazard::new(
                ADD_FOREIGN_KEY_WITHOUT_NOT_VALID,
                format!("foreign key{name} on {table} is validated at once: {locked} locked SHARE ROW EXCLUSIVE (writes blocked) while every row is checked"),
                "add it with NOT VALID (a brief lock, no scan), then VALIDATE CONSTRAINT in a later migration (SHARE UPDATE EXCLUSIVE: writes continue)",
            ));
        }
        C::ConstrCheck if !c.skip_validation => out.push(Hazard::new(
            ADD_CHECK_WITHOUT_NOT_VALID,
            format!("CHECK constraint{name} on {table} is validated at once: every row is read under ACCESS EXCLUSIVE (reads and writes blocked)"),
            "add it with NOT VALID, then VALIDATE CONSTRAINT in a later migration (SHARE UPDATE EXCLUSIVE: reads and writes continue)",
        )),
        C::ConstrPrimary | C::ConstrUnique | C::ConstrExclusion if c.indexname.is_empty() => {
            let kind = match C::try_from(c.contype) {
                Ok(C::ConstrPrimary) => "PRIMARY KEY",
                Ok(C::ConstrExclusion) => "EXCLUDE",
                _ => "UNIQUE",
            };
            let help = if kind == "EXCLUDE" {
                "an exclusion constraint has no USING INDEX or NOT VALID form: schedule it for a quiet moment, or enforce it in the application until then"
            } else {
                "CREATE UNIQUE INDEX CONCURRENTLY in its own migration, then ADD CONSTRAINT … UNIQUE/PRIMARY KEY USING INDEX (a brief lock)"
            };
            out.push(Hazard::new(
                ADD_UNIQUE_CONSTRAINT_BUILDS_INDEX,
                format!("{kind} constraint{name} on {table} builds its index under ACCESS EXCLUSIVE: reads and writes wait for the whole build"),
                help,
            ));
        }
        _ => {}
    }
}

rule! {
    /// a constraint added NOT VALID and validated in the same transaction
    ///
    /// ## What it finds
    ///
    /// `VALIDATE CONSTRAINT` in the same transaction as the `ADD CONSTRAINT … NOT VALID` that created the constraint (with Prisma ≤ 7.3, the same migration.sql).
    ///
    /// ## Why it hurts
    ///
    /// Locks are held until the transaction ends: the ADD's ACCESS EXCLUSIVE lock is still held while VALIDATE scans the table, so splitting the constraint bought nothing.
    ///
    /// ## Example
    ///
    /// ```sql
    /// ALTER TABLE "Score" ADD CONSTRAINT "Score_value_check" CHECK ("value" >= 0) NOT VALID;
    /// ALTER TABLE "Score" VALIDATE CONSTRAINT "Score_value_check";
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// -- migration 1
    /// ALTER TABLE "Score" ADD CONSTRAINT "Score_value_check" CHECK ("value" >= 0) NOT VALID;
    /// -- migration 2
    /// ALTER TABLE "Score" VALIDATE CONSTRAINT "Score_value_check";
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Score" ("id" TEXT PRIMARY KEY, "value" INTEGER);
    /// ALTER TABLE "Score" ADD CONSTRAINT "Score_value_check" CHECK ("value" >= 0) NOT VALID;
    ///
    /// -- this migration
    /// ALTER TABLE "Score" VALIDATE CONSTRAINT "Score_value_check";
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// VALIDATE takes SHARE UPDATE EXCLUSIVE only in a transaction of its own; verified (facts notes). [https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES](https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES)
    ///
    /// ## squawk
    ///
    /// squawk 2.70 reports it as `constraint-missing-not-valid`, with `--assume-in-transaction` only (checked).
    VALIDATE_IN_SAME_TRANSACTION = "validate-in-same-transaction";
}

/// `validate-in-same-transaction`: validating a constraint added NOT VALID in the same
/// transaction keeps the ADD's ACCESS EXCLUSIVE lock through the scan, so NOT VALID bought
/// nothing.
fn validate_in_same_transaction(
    ctx: &Context<'_>,
    table: &QName,
    name: &str,
    out: &mut Vec<Hazard>,
) {
    let added_here = ctx.earlier().find(|(i, node)| {
        ctx.file.same_transaction(*i, ctx.index)
            && table_cmds(node).is_some_and(|(t, mut cmds)| {
                &t == table
                    && cmds.any(|cmd| {
                        matches!(cmd.def.as_deref().and_then(|d| d.node.as_ref()),
                            Some(NodeEnum::Constraint(c)) if c.skip_validation && c.conname == name)
                    })
            })
    });
    if added_here.is_some() {
        out.push(Hazard::new(
            VALIDATE_IN_SAME_TRANSACTION,
            format!("constraint {} on {table} is added NOT VALID and validated in the same transaction: the ADD's ACCESS EXCLUSIVE lock is held through the validating scan", crate::sql::quote::Ident(name)),
            "move VALIDATE CONSTRAINT to a later migration, so it runs in a transaction of its own under SHARE UPDATE EXCLUSIVE",
        ));
    }
}
