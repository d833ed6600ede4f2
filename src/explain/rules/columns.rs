//! Column changes on a table that already holds rows: required columns, rewrites, scans.

use super::{table_cmds, Hazard, Rule};
use crate::explain::rewrite::{self, Rewrite};
use crate::explain::{Change, Context, Impact};
use crate::sql::quote::{Column, Ident};
use crate::sql::{pb, NodeEnum};
use pb::AlterTableType as At;

/// The family's rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[Rule] = &[
    ADD_COLUMN_NOT_NULL_WITHOUT_DEFAULT,
    ADD_COLUMN_REWRITES_TABLE,
    ALTER_COLUMN_TYPE_REWRITES_TABLE,
    SET_NOT_NULL_SCANS_TABLE,
];

rule! {
    /// a column type change that rewrites the table and its indexes
    ///
    /// ## What it finds
    ///
    /// `ALTER COLUMN … TYPE` on a table this migration did not create, when the change is not binary-coercible: e.g. `int` → `bigint`, `int` → `double precision`, `text` → `varchar(n)`, shrinking a `varchar`, `timestamp` ↔ `timestamptz`, any `USING` expression other than the bare column (Prisma's enum swaps). Widening changes are recognised as free: `varchar(n)` → `varchar(m ≥ n)`/`varchar`/`text`, `text` → `varchar`, more precision for `numeric`, `timestamp`, `timestamptz`, `time`, `interval` (checked on PostgreSQL 15: the relfilenode does not change). One hazard per statement: the columns one `ALTER TABLE` retypes share one rewrite, so they are named together.
    ///
    /// ## Why it hurts
    ///
    /// The table and its indexes are rewritten under ACCESS EXCLUSIVE: every read and write waits for the whole copy. `timestamp` → `timestamptz` skips the rewrite only when the session TimeZone is UTC (PostgreSQL ≥ 12), which a migration cannot promise, so it is reported.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Score" ("id" TEXT PRIMARY KEY, "value" INTEGER NOT NULL);
    ///
    /// -- this migration
    /// ALTER TABLE "Score" ALTER COLUMN "value" SET DATA TYPE BIGINT;
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// -- expand: a new column, filled for new rows by the application or a trigger
    /// ALTER TABLE "Score" ADD COLUMN "value_big" BIGINT;
    /// -- backfill in batches; switch reads; then contract in a later release:
    /// ALTER TABLE "Score" DROP COLUMN "value";
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Score" ("id" TEXT PRIMARY KEY, "label" VARCHAR(20), "note" VARCHAR(10), "amount" DECIMAL(10,2), "at" TIMESTAMP(3));
    ///
    /// -- this migration
    /// ALTER TABLE "Score" ALTER COLUMN "label" TYPE VARCHAR(50);
    /// ALTER TABLE "Score" ALTER COLUMN "note" TYPE TEXT;
    /// ALTER TABLE "Score" ALTER COLUMN "amount" TYPE DECIMAL(12,2);
    /// ALTER TABLE "Score" ALTER COLUMN "at" TYPE TIMESTAMP(6);
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Lock: ACCESS EXCLUSIVE; rewrite unless binary-coercible (facts notes, verified). [https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES](https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES)
    ///
    /// ## squawk
    ///
    /// `changing-column-type` (squawk reports every type change, binary-coercible ones included).
    ALTER_COLUMN_TYPE_REWRITES_TABLE = "alter-column-type-rewrites-table";
}

rule! {
    /// SET NOT NULL scans the whole table under ACCESS EXCLUSIVE
    ///
    /// ## What it finds
    ///
    /// `ALTER COLUMN … SET NOT NULL` on a table this migration did not create, when the model holds no validated `CHECK (column IS NOT NULL)` for it.
    ///
    /// ## Why it hurts
    ///
    /// PostgreSQL reads every row to prove there is no NULL, holding ACCESS EXCLUSIVE for the whole scan. Since PostgreSQL 12 the scan is skipped when a valid CHECK constraint already proves it. It also fails outright if any row holds NULL, and the previous release may still insert NULLs.
    ///
    /// ## Example
    ///
    /// ```sql
    /// ALTER TABLE "User" ALTER COLUMN "email" SET NOT NULL;
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// -- migration 1 (brief lock, no scan)
    /// ALTER TABLE "User" ADD CONSTRAINT "User_email_not_null" CHECK ("email" IS NOT NULL) NOT VALID;
    /// -- migration 2 (SHARE UPDATE EXCLUSIVE: reads and writes continue)
    /// ALTER TABLE "User" VALIDATE CONSTRAINT "User_email_not_null";
    /// -- migration 3 (no scan)
    /// ALTER TABLE "User" ALTER COLUMN "email" SET NOT NULL;
    /// ALTER TABLE "User" DROP CONSTRAINT "User_email_not_null";
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "email" TEXT);
    /// ALTER TABLE "User" ADD CONSTRAINT "User_email_not_null" CHECK ("email" IS NOT NULL) NOT VALID;
    /// ALTER TABLE "User" VALIDATE CONSTRAINT "User_email_not_null";
    ///
    /// -- this migration
    /// ALTER TABLE "User" ALTER COLUMN "email" SET NOT NULL;
    /// ALTER TABLE "User" DROP CONSTRAINT "User_email_not_null";
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Lock: ACCESS EXCLUSIVE; scan unless a valid CHECK exists; both cases verified on PostgreSQL 15.18 (facts notes). PostgreSQL 18 adds `ADD CONSTRAINT … NOT NULL … NOT VALID`. [https://www.postgresql.org/docs/current/sql-altertable.html](https://www.postgresql.org/docs/current/sql-altertable.html)
    ///
    /// ## squawk
    ///
    /// `adding-not-nullable-field`: squawk 2.70 reports it for `SET NOT NULL` ("blocks reads while the table is scanned"), without looking for a validated CHECK that makes the scan unnecessary (checked).
    SET_NOT_NULL_SCANS_TABLE = "set-not-null-scans-table";
}

pub fn check(ctx: &Context<'_>, node: &NodeEnum, impact: &Impact, out: &mut Vec<Hazard>) {
    alter_table_columns(ctx, node, impact, out);
}

/// The column commands of an `ALTER TABLE` on a table in use, in order; whether one
/// rewrites or scans is read from the statement's impact.
fn alter_table_columns(ctx: &Context<'_>, node: &NodeEnum, impact: &Impact, out: &mut Vec<Hazard>) {
    let Some((table, cmds)) = table_cmds(node) else {
        return;
    };
    if !ctx.existing(&table) {
        return;
    }
    // One statement rewrites its table once, however many of its columns change type.
    let mut retyped: Vec<(&str, String)> = Vec::new();
    for cmd in cmds {
        let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
        match (At::try_from(cmd.subtype), def) {
            (Ok(At::AtAddColumn), Some(NodeEnum::ColumnDef(d))) => {
                add_column_not_null_without_default(&table, d, out);
                let added = impact.column(&d.colname, |c| matches!(c, Change::Added(_)));
                if let Some(Change::Added(rewrite)) = added {
                    add_column_rewrites_table(&table, &d.colname, rewrite, out);
                }
            }
            (Ok(At::AtAlterColumnType), _) => {
                let changed = impact.column(&cmd.name, |c| matches!(c, Change::TypeChanged(_)));
                if let Some(Change::TypeChanged(Rewrite::Yes(why))) = changed {
                    retyped.push((&cmd.name, why.to_string()));
                }
            }
            (Ok(At::AtSetNotNull), _) => {
                let set = impact.column(&cmd.name, |c| matches!(c, Change::SetNotNull { .. }));
                if set == Some(&Change::SetNotNull { scans: true }) {
                    out.push(Hazard::new(
                        SET_NOT_NULL_SCANS_TABLE,
                        format!("SET NOT NULL on {} scans the whole table under ACCESS EXCLUSIVE", Column(&table, &cmd.name)),
                        format!("first ADD CONSTRAINT … CHECK ({} IS NOT NULL) NOT VALID, then VALIDATE CONSTRAINT in a later migration (SHARE UPDATE EXCLUSIVE), then SET NOT NULL (no scan, PostgreSQL ≥ 12) and drop the CHECK", Ident(&cmd.name)),
                    ));
                }
            }
            _ => {}
        }
    }
    if !retyped.is_empty() {
        let columns: Vec<String> = retyped
            .iter()
            .map(|(c, _)| Column(&table, c).to_string())
            .collect();
        let why = &retyped[0].1;
        out.push(Hazard::new(
            ALTER_COLUMN_TYPE_REWRITES_TABLE,
            format!("changing the type of {} rewrites the table and its indexes under ACCESS EXCLUSIVE: {why}", columns.join(", ")),
            "add a new column of the new type, backfill it in batches, switch the application over, then drop the old column (expand/contract)",
        ));
    }
}

rule! {
    /// a NOT NULL column added without a default to a table that may hold rows
    ///
    /// ## What it finds
    ///
    /// `ALTER TABLE … ADD COLUMN … NOT NULL` with no `DEFAULT` (and no identity or generated clause) on a table this migration did not create.
    ///
    /// ## Why it hurts
    ///
    /// PostgreSQL fills the new column with NULL for every existing row, so the NOT NULL check fails with `column "…" of relation "…" contains null values` as soon as the table holds one row. It passes on an empty development or shadow database and fails in production; in Prisma's one-transaction file the whole migration rolls back and `migrate deploy` stops. The previous release, which does not know the column, cannot insert rows either once it exists.
    ///
    /// ## Example
    ///
    /// ```sql
    /// ALTER TABLE "User" ADD COLUMN "email" TEXT NOT NULL;
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// -- a constant default: no rewrite since PostgreSQL 11 (the value is kept in the catalog)
    /// ALTER TABLE "User" ADD COLUMN "email" TEXT NOT NULL DEFAULT '';
    /// -- or: add it nullable, backfill in batches, then see set-not-null-scans-table
    /// ALTER TABLE "User" ADD COLUMN "email" TEXT;
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY);
    ///
    /// -- this migration
    /// ALTER TABLE "User" ADD COLUMN "active" BOOLEAN NOT NULL DEFAULT true;
    /// ALTER TABLE "User" ADD COLUMN "nickname" TEXT;
    /// CREATE TABLE "Post" ("id" TEXT PRIMARY KEY);
    /// ALTER TABLE "Post" ADD COLUMN "title" TEXT NOT NULL;
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Lock: ACCESS EXCLUSIVE on the table (brief). Fails on a non-empty table; verified on PostgreSQL 15.18 (see the facts notes). [https://www.postgresql.org/docs/current/sql-altertable.html](https://www.postgresql.org/docs/current/sql-altertable.html)
    ///
    /// ## squawk
    ///
    /// `adding-required-field` (squawk 2.70, checked).
    ADD_COLUMN_NOT_NULL_WITHOUT_DEFAULT = "add-column-not-null-without-default";
}

/// `add-column-not-null-without-default`: fails as soon as the table holds a row.
fn add_column_not_null_without_default(
    table: &crate::sql::QName,
    d: &pb::ColumnDef,
    out: &mut Vec<Hazard>,
) {
    use pb::ConstrType as C;
    let kinds: Vec<C> = d
        .constraints
        .iter()
        .filter_map(|c| match &c.node {
            Some(NodeEnum::Constraint(c)) => C::try_from(c.contype).ok(),
            _ => None,
        })
        .collect();
    let not_null = kinds
        .iter()
        .any(|k| matches!(k, C::ConstrNotnull | C::ConstrPrimary));
    let filled = kinds
        .iter()
        .any(|k| matches!(k, C::ConstrDefault | C::ConstrIdentity | C::ConstrGenerated));
    let serial = d.type_name.as_ref().is_some_and(|t| {
        matches!(
            rewrite::type_base(t).as_str(),
            "serial" | "bigserial" | "smallserial" | "serial2" | "serial4" | "serial8"
        )
    });
    if not_null && !filled && !serial {
        out.push(Hazard::new(
            ADD_COLUMN_NOT_NULL_WITHOUT_DEFAULT,
            format!("column {} is added NOT NULL without a default: the migration fails on a table that holds rows (\"contains null values\")", Column(table, &d.colname)),
            "add it with a DEFAULT (a constant default costs no rewrite since PostgreSQL 11), or add it nullable, backfill, then SET NOT NULL safely",
        ));
    }
}

rule! {
    /// a column whose default is computed per row rewrites the table
    ///
    /// ## What it finds
    ///
    /// `ADD COLUMN` whose value must be computed per row on a table this migration did not create: a VOLATILE default (`gen_random_uuid()`, `clock_timestamp()`, `random()`, `nextval()`), a `serial` type, `GENERATED … AS IDENTITY`, or `GENERATED ALWAYS AS (…) STORED`. A default calling a function unmigrate does not know is reported as *may rewrite* (user functions are VOLATILE unless declared otherwise).
    ///
    /// ## Why it hurts
    ///
    /// PostgreSQL copies the table and rebuilds all its indexes while holding ACCESS EXCLUSIVE: no reads, no writes, for as long as the copy takes. Constant and STABLE defaults (`0`, `now()`, `CURRENT_TIMESTAMP`) are stored once in the catalog (PostgreSQL ≥ 11) and cost nothing.
    ///
    /// ## Example
    ///
    /// ```sql
    /// ALTER TABLE "Job" ADD COLUMN "token" UUID NOT NULL DEFAULT gen_random_uuid();
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// ALTER TABLE "Job" ADD COLUMN "token" UUID;                              -- instant
    /// ALTER TABLE "Job" ALTER COLUMN "token" SET DEFAULT gen_random_uuid();   -- new rows only
    /// -- backfill existing rows in batches, in later migrations or a job:
    /// UPDATE "Job" SET "token" = gen_random_uuid() WHERE "id" IN (SELECT "id" FROM "Job" WHERE "token" IS NULL LIMIT 10000);
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Job" ("id" TEXT PRIMARY KEY);
    ///
    /// -- this migration
    /// ALTER TABLE "Job" ADD COLUMN "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
    /// ALTER TABLE "Job" ADD COLUMN "seenAt" TIMESTAMPTZ DEFAULT now();
    /// ALTER TABLE "Job" ADD COLUMN "tries" INTEGER NOT NULL DEFAULT 0;
    /// CREATE TABLE "Run" ("id" TEXT PRIMARY KEY);
    /// ALTER TABLE "Run" ADD COLUMN "token" UUID NOT NULL DEFAULT gen_random_uuid();
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Lock: ACCESS EXCLUSIVE; rewrite of the table and all its indexes; verified for volatile defaults, serial, identity and stored generated columns on PostgreSQL 15.18 (facts notes). [https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES](https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES)
    ///
    /// ## squawk
    ///
    /// `adding-field-with-default` (volatile defaults and generated columns); `adding-serial-primary-key-field` for part of serial (squawk 2.70).
    ADD_COLUMN_REWRITES_TABLE = "add-column-rewrites-table";
}

/// `add-column-rewrites-table`: a volatile default, serial, identity or stored generated
/// column is computed for every row, rewriting the table under ACCESS EXCLUSIVE.
fn add_column_rewrites_table(
    table: &crate::sql::QName,
    column: &str,
    rewrite: &Rewrite,
    out: &mut Vec<Hazard>,
) {
    let (certain, why) = match rewrite {
        Rewrite::Yes(why) => (true, why),
        Rewrite::Maybe(why) => (false, why),
        Rewrite::No => return,
    };
    let verb = if certain { "rewrites" } else { "may rewrite" };
    out.push(Hazard::new(
        ADD_COLUMN_REWRITES_TABLE,
        format!("adding {} {verb} the table and its indexes under ACCESS EXCLUSIVE: {why}", Column(table, column)),
        "add the column without the default (or with a constant one), set the default afterwards for new rows, and backfill existing rows in batches",
    ));
}
