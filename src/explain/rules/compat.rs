//! Changes the previous release of the application cannot survive. During a deploy the old
//! release keeps running against the new schema (and after a rollback of the code, for
//! good); Prisma Client names every column it selects, so a dropped or renamed column or
//! table breaks its queries at once. The cure is expand/contract: add the new shape, ship
//! code that uses only it, and remove the old shape in a later release.

use super::{table_cmds, Hazard, Rule};
use crate::explain::{Context, Impact};
use crate::sql::quote::{Column, Ident};
use crate::sql::{pb, NodeEnum, QName};
use pb::ObjectType as O;

/// The family's rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[Rule] = &[
    DROP_COLUMN,
    DROP_TABLE,
    RENAME_COLUMN,
    RENAME_TABLE,
    RENAME_ENUM_VALUE,
    DROP_DEFAULT_OF_NOT_NULL_COLUMN,
];

rule! {
    /// a column renamed while the previous release still uses the old name
    ///
    /// ## What it finds
    ///
    /// `ALTER TABLE … RENAME COLUMN` of a column that existed before this migration.
    ///
    /// ## Why it hurts
    ///
    /// To the previous release a rename is a drop: its queries name the old column and fail until every instance runs the new code.
    ///
    /// ## Example
    ///
    /// ```sql
    /// ALTER TABLE "User" RENAME COLUMN "name" TO "displayName";
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// // keep the database name, rename only the field (schema.prisma):
    /// displayName String @map("name")
    /// -- or expand/contract: add "displayName", write both, backfill, switch reads, drop "name" later
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Event" ("id" TEXT PRIMARY KEY, "payload" TEXT);
    ///
    /// -- this migration
    /// ALTER TABLE "Event" ADD COLUMN "payload_new" JSONB;
    /// UPDATE "Event" SET "payload_new" = "payload"::jsonb;
    /// ALTER TABLE "Event" DROP COLUMN "payload";
    /// ALTER TABLE "Event" RENAME COLUMN "payload_new" TO "payload";
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Lock: ACCESS EXCLUSIVE (brief). [https://www.postgresql.org/docs/current/sql-altertable.html](https://www.postgresql.org/docs/current/sql-altertable.html)
    ///
    /// ## squawk
    ///
    /// `renaming-column`.
    RENAME_COLUMN = "rename-column";
}

rule! {
    /// an enum value renamed while the previous release still uses it
    ///
    /// ## What it finds
    ///
    /// `ALTER TYPE … RENAME VALUE`.
    ///
    /// ## Why it hurts
    ///
    /// The previous release still writes the old value, and PostgreSQL rejects it (`invalid input value for enum`) from the moment the rename commits; rows it reads carry a value its Prisma Client does not know.
    ///
    /// ## Example
    ///
    /// ```sql
    /// ALTER TYPE "Role" RENAME VALUE 'MEMBER' TO 'VIEWER';
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// -- release N: add the new value (own migration), ship code that writes it and accepts both
    /// ALTER TYPE "Role" ADD VALUE 'VIEWER';
    // The published page ends this line with a space, which rustfmt strips from a `///` line.
    #[doc = " -- release N+1: backfill UPDATE … SET \"role\" = 'VIEWER' WHERE \"role\" = 'MEMBER'; stop using 'MEMBER' "]
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TYPE "Role" AS ENUM ('MEMBER', 'OWNER');
    ///
    /// -- this migration
    /// ALTER TYPE "Role" ADD VALUE 'VIEWER';
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Lock: ExclusiveLock on the type object. https://www.postgresql.org/docs/current/sql-altertype.html
    ///
    /// ## squawk
    ///
    /// None in squawk 2.70 (`renaming-object` is about other objects).
    RENAME_ENUM_VALUE = "rename-enum-value";
}

rule! {
    /// a table renamed while the previous release still uses the old name
    ///
    /// ## What it finds
    ///
    /// `ALTER TABLE … RENAME TO` of a table that existed before this migration.
    ///
    /// ## Why it hurts
    ///
    /// The previous release still queries the old name and fails until every instance runs the new code.
    ///
    /// ## Example
    ///
    /// ```sql
    /// ALTER TABLE "memberships" RENAME TO "project_memberships";
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// // keep the table name, rename only the model (schema.prisma):
    /// model ProjectMembership { … @@map("memberships") }
    /// -- or rename and leave a simple (auto-updatable) view under the old name for one release:
    /// ALTER TABLE "memberships" RENAME TO "project_memberships";
    /// CREATE VIEW "memberships" AS SELECT * FROM "project_memberships";
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// CREATE TABLE "tmp_members" ("id" TEXT PRIMARY KEY);
    /// ALTER TABLE "tmp_members" RENAME TO "members";
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Lock: ACCESS EXCLUSIVE (brief). [https://www.postgresql.org/docs/current/sql-altertable.html](https://www.postgresql.org/docs/current/sql-altertable.html)
    ///
    /// ## squawk
    ///
    /// `renaming-table`.
    RENAME_TABLE = "rename-table";
}

pub fn check(ctx: &Context<'_>, node: &NodeEnum, _impact: &Impact, out: &mut Vec<Hazard>) {
    match node {
        NodeEnum::AlterTableStmt(_) => {
            drop_column(ctx, node, out);
            drop_default_of_not_null_column(ctx, node, out);
        }
        NodeEnum::DropStmt(s) if s.remove_type == O::ObjectTable as i32 => {
            drop_table(ctx, s, out)
        }
        NodeEnum::RenameStmt(s) => rename(ctx, s, out),
        NodeEnum::AlterEnumStmt(s) if !s.old_val.is_empty() => out.push(Hazard::new(
            RENAME_ENUM_VALUE,
            format!(
                "enum value '{}' of {} is renamed to '{}': the previous release still reads and writes '{}', and its writes fail",
                s.old_val,
                QName::from_name_nodes(&s.type_name),
                s.new_val,
                s.old_val
            ),
            "add the new value, ship code that writes it and reads both, backfill, and only then stop using the old value",
        )),
        _ => {}
    }
}

rule! {
    /// a column dropped while the previous release may still use it
    ///
    /// ## What it finds
    ///
    /// `ALTER TABLE … DROP COLUMN` of a column that existed before this migration.
    ///
    /// ## Why it hurts
    ///
    /// During a deploy the previous release keeps running against the new schema, and Prisma Client names every column it selects: its queries fail with `column … does not exist` until every instance runs the new code (and for good if the code is rolled back). The column's data is gone; the undo can re-add the column, empty.
    ///
    /// ## Example
    ///
    /// ```sql
    /// ALTER TABLE "User" DROP COLUMN "legacy";
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// -- release N: remove the field from schema.prisma (or mark it @ignore) and deploy the code
    /// -- release N+1: drop the column
    /// ALTER TABLE "User" DROP COLUMN "legacy";
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY);
    ///
    /// -- this migration
    /// ALTER TABLE "User" ADD COLUMN "tmp" TEXT;
    /// ALTER TABLE "User" DROP COLUMN "tmp";
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Lock: ACCESS EXCLUSIVE (brief); no rewrite (the column is only hidden). [https://www.postgresql.org/docs/current/sql-altertable.html](https://www.postgresql.org/docs/current/sql-altertable.html)
    ///
    /// ## squawk
    ///
    /// `ban-drop-column`.
    DROP_COLUMN = "drop-column";
}

/// `drop-column`: a column that existed before this migration.
fn drop_column(ctx: &Context<'_>, node: &NodeEnum, out: &mut Vec<Hazard>) {
    let Some((table, cmds)) = table_cmds(node) else {
        return;
    };
    if !ctx.existing(&table) {
        return;
    }
    for cmd in cmds {
        if cmd.subtype != pb::AlterTableType::AtDropColumn as i32 {
            continue;
        }
        if !ctx.existing_column(&table, &cmd.name) {
            continue;
        }
        let known = ctx.catalog.table(&table);
        if known.is_some_and(|t| t.column(&cmd.name).is_none() && t.opaque.is_none()) {
            continue; // DROP COLUMN IF EXISTS of a column that is not there
        }
        out.push(Hazard::new(
            DROP_COLUMN,
            format!("column {} is dropped while the previous release may still select or write it: its queries fail until every instance runs the new code", Column(&table, &cmd.name)),
            "expand/contract: release code that no longer uses the column (remove it from the Prisma schema, or mark it @ignore), deploy, then drop it in a later migration",
        ));
    }
}

rule! {
    /// the default of a NOT NULL column dropped while the previous release relies on it
    ///
    /// ## What it finds
    ///
    /// `ALTER COLUMN … DROP DEFAULT` on a NOT NULL column that had a default, when the column existed
    /// before this migration.
    ///
    /// ## Why it hurts
    ///
    /// The previous release may insert rows without naming the column and rely on the database
    /// default: Prisma's `@default(now())`, `@default(autoincrement())` and `@default(dbgenerated(…))`
    /// are database defaults, and Prisma Client leaves such columns out of its INSERT. Once the default
    /// is gone, those inserts fail with `null value in column … violates not-null constraint` until
    /// every instance runs the new code.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Job" ("id" TEXT PRIMARY KEY, "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP);
    ///
    /// -- this migration
    /// ALTER TABLE "Job" ALTER COLUMN "createdAt" DROP DEFAULT;
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// -- release N: code that always sets "createdAt" (or drop @default in schema.prisma only)
    /// -- release N+1: drop the database default
    /// ALTER TABLE "Job" ALTER COLUMN "createdAt" DROP DEFAULT;
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Job" ("id" TEXT PRIMARY KEY, "note" TEXT DEFAULT '');
    ///
    /// -- this migration
    /// ALTER TABLE "Job" ALTER COLUMN "note" DROP DEFAULT;
    /// ALTER TABLE "Job" ADD COLUMN "tries" INTEGER NOT NULL DEFAULT 0;
    /// ALTER TABLE "Job" ALTER COLUMN "tries" DROP DEFAULT;
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Lock: ACCESS EXCLUSIVE (brief), no rewrite, no scan (facts notes).
    /// https://www.postgresql.org/docs/current/sql-altertable.html
    ///
    /// ## squawk
    ///
    /// `ban-drop-default` reports every dropped default, nullable columns included (6 in langfuse, 9 in
    /// trigger.dev); this rule only the ones that can make inserts fail.
    DROP_DEFAULT_OF_NOT_NULL_COLUMN = "drop-default-of-not-null-column";
}

/// `drop-default-of-not-null-column`: the previous release may insert rows without the
/// column, relying on the database default (Prisma's `@default(now())`, `dbgenerated(…)`,
/// `autoincrement()` are database defaults); without it those inserts fail the NOT NULL.
fn drop_default_of_not_null_column(ctx: &Context<'_>, node: &NodeEnum, out: &mut Vec<Hazard>) {
    let Some((table, cmds)) = table_cmds(node) else {
        return;
    };
    let cmds: Vec<_> = cmds.collect();
    for (i, cmd) in cmds.iter().enumerate() {
        let drops_default =
            cmd.subtype == pb::AlterTableType::AtColumnDefault as i32 && cmd.def.is_none();
        if !drops_default || !ctx.existing_column(&table, &cmd.name) {
            continue;
        }
        // Prisma's enum swap drops the default, converts the column and sets the default
        // again in one transaction: the previous release never sees it missing. Nor does a
        // drop matter when the column stops being NOT NULL (or goes) in the same transaction.
        use pb::AlterTableType as At;
        let same_column = |c: &pb::AlterTableCmd| c.name == cmd.name;
        let relaxes = |c: &pb::AlterTableCmd| {
            same_column(c)
                && matches!(
                    At::try_from(c.subtype),
                    Ok(At::AtDropNotNull | At::AtDropColumn)
                )
        };
        let restores = |c: &pb::AlterTableCmd| {
            same_column(c) && c.subtype == At::AtColumnDefault as i32 && c.def.is_some()
        };
        let settled_here =
            cmds.iter().any(|c| relaxes(c)) || cmds[i + 1..].iter().any(|c| restores(c));
        let in_transaction = |j: usize| j != ctx.index && ctx.file.same_transaction(ctx.index, j);
        let settled_later = ctx.file.statements().any(|(j, other)| {
            in_transaction(j)
                && table_cmds(other).is_some_and(|(t, mut other_cmds)| {
                    t == table && other_cmds.any(|c| relaxes(c) || (j > ctx.index && restores(c)))
                })
        });
        if settled_here || settled_later {
            continue;
        }
        let column = ctx.catalog.table(&table).and_then(|t| t.column(&cmd.name));
        let Some(column) = column.filter(|c| c.not_null && c.default.is_some()) else {
            continue;
        };
        out.push(Hazard::new(
            DROP_DEFAULT_OF_NOT_NULL_COLUMN,
            format!("the default of NOT NULL column {} is dropped: inserts of the previous release that leave the column to its default now fail (\"violates not-null constraint\")", Column(&table, &column.name)),
            "drop the default one release after the code that always sets the column has been deployed everywhere",
        ));
    }
}

rule! {
    /// a table dropped while the previous release may still query it
    ///
    /// ## What it finds
    ///
    /// `DROP TABLE` of a table that existed before this migration.
    ///
    /// ## Why it hurts
    ///
    /// The previous release may still query it. Dropping a table that has foreign keys also locks each referenced table ACCESS EXCLUSIVE while the FK triggers are removed (checked on PostgreSQL 15). The rows are gone: the undo recreates the table empty.
    ///
    /// ## Example
    ///
    /// ```sql
    /// DROP TABLE "Post";
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// -- release N: stop using the model; deploy
    /// -- release N+1 (after a backup):
    /// DROP TABLE "Post";
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// CREATE TABLE "Staging" ("id" TEXT PRIMARY KEY);
    /// DROP TABLE "Staging";
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Lock: ACCESS EXCLUSIVE on the table and on tables it references by foreign key. https://www.postgresql.org/docs/current/sql-droptable.html
    ///
    /// ## squawk
    ///
    /// `ban-drop-table`.
    DROP_TABLE = "drop-table";
}

/// `drop-table`: a table that existed before this migration.
fn drop_table(ctx: &Context<'_>, s: &pb::DropStmt, out: &mut Vec<Hazard>) {
    for object in &s.objects {
        let Some(NodeEnum::List(list)) = &object.node else {
            continue;
        };
        let table = QName::from_name_nodes(&list.items);
        if !ctx.existing(&table)
            || (s.missing_ok && ctx.catalog.table(&table).is_none() && !ctx.catalog.knows_nothing())
        {
            continue;
        }
        out.push(Hazard::new(
            DROP_TABLE,
            format!("table {table} is dropped while the previous release may still query it"),
            "expand/contract: release code that no longer uses the table, deploy, then drop it in a later migration (and keep a backup: the undo can recreate it, not its rows)",
        ));
    }
}

/// `rename-column`, `rename-table`: to the previous release, a rename is a drop.
fn rename(ctx: &Context<'_>, s: &pb::RenameStmt, out: &mut Vec<Hazard>) {
    let Some(rv) = &s.relation else { return };
    let table = QName::from_range_var(rv);
    if !ctx.existing(&table) {
        return;
    }
    match O::try_from(s.rename_type).unwrap_or(O::Undefined) {
        O::ObjectColumn
            if s.relation_type == O::ObjectTable as i32
                && ctx.existing_column(&table, &s.subname) =>
        {
            out.push(Hazard::new(
            RENAME_COLUMN,
            format!("column {} is renamed to {}: the previous release still uses the old name, and its queries fail", Column(&table, &s.subname), Ident(&s.newname)),
            "expand/contract: add the new column, write both (a trigger or the code), backfill, switch reads, then drop the old column in a later release; or keep the database name and map it in the Prisma schema with @map",
        ))
        }
        O::ObjectTable => out.push(Hazard::new(
            RENAME_TABLE,
            format!("table {table} is renamed to {}: the previous release still uses the old name, and its queries fail", Ident(&s.newname)),
            "keep the database name and rename only the Prisma model (@@map), or rename and leave an updatable view under the old name until every instance runs the new code",
        )),
        _ => {}
    }
}
