//! Changes the previous release of the application cannot survive. During a deploy the old
//! release keeps running against the new schema (and after a rollback of the code, for
//! good); Prisma Client names every column it selects, so a dropped or renamed column or
//! table breaks its queries at once. The cure is expand/contract: add the new shape, ship
//! code that uses only it, and remove the old shape in a later release.

use super::{table_cmds, Hazard, Rule};
use crate::explain::Context;
use crate::sql::{names::quote_for_message, pb, NodeEnum, QName};
use pb::ObjectType as O;

pub fn check(ctx: &Context, node: &NodeEnum, out: &mut Vec<Hazard>) {
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
            Rule::RenameEnumValue,
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

/// `drop-column`: a column that existed before this migration.
fn drop_column(ctx: &Context, node: &NodeEnum, out: &mut Vec<Hazard>) {
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
            Rule::DropColumn,
            format!("column {table}.{} is dropped while the previous release may still select or write it: its queries fail until every instance runs the new code", quote_for_message(&cmd.name)),
            "expand/contract: release code that no longer uses the column (remove it from the Prisma schema, or mark it @ignore), deploy, then drop it in a later migration",
        ));
    }
}

/// `drop-default-of-not-null-column`: the previous release may insert rows without the
/// column, relying on the database default (Prisma's `@default(now())`, `dbgenerated(…)`,
/// `autoincrement()` are database defaults); without it those inserts fail the NOT NULL.
fn drop_default_of_not_null_column(ctx: &Context, node: &NodeEnum, out: &mut Vec<Hazard>) {
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
            Rule::DropDefaultOfNotNullColumn,
            format!("the default of NOT NULL column {table}.{} is dropped: inserts of the previous release that leave the column to its default now fail (\"violates not-null constraint\")", quote_for_message(&column.name)),
            "drop the default one release after the code that always sets the column has been deployed everywhere",
        ));
    }
}

/// `drop-table`: a table that existed before this migration.
fn drop_table(ctx: &Context, s: &pb::DropStmt, out: &mut Vec<Hazard>) {
    for object in &s.objects {
        let Some(NodeEnum::List(list)) = &object.node else {
            continue;
        };
        let table = QName::from_name_nodes(&list.items);
        if !ctx.existing(&table)
            || (s.missing_ok
                && ctx.catalog.table(&table).is_none()
                && !ctx.catalog.tables.is_empty())
        {
            continue;
        }
        out.push(Hazard::new(
            Rule::DropTable,
            format!("table {table} is dropped while the previous release may still query it"),
            "expand/contract: release code that no longer uses the table, deploy, then drop it in a later migration (and keep a backup: the undo can recreate it, not its rows)",
        ));
    }
}

/// `rename-column`, `rename-table`: to the previous release, a rename is a drop.
fn rename(ctx: &Context, s: &pb::RenameStmt, out: &mut Vec<Hazard>) {
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
            Rule::RenameColumn,
            format!("column {table}.{} is renamed to {}: the previous release still uses the old name, and its queries fail", quote_for_message(&s.subname), quote_for_message(&s.newname)),
            "expand/contract: add the new column, write both (a trigger or the code), backfill, switch reads, then drop the old column in a later release; or keep the database name and map it in the Prisma schema with @map",
        ))
        }
        O::ObjectTable => out.push(Hazard::new(
            Rule::RenameTable,
            format!("table {table} is renamed to {}: the previous release still uses the old name, and its queries fail", quote_for_message(&s.newname)),
            "keep the database name and rename only the Prisma model (@@map), or rename and leave an updatable view under the old name until every instance runs the new code",
        )),
        _ => {}
    }
}
