//! Index builds and drops on tables in use: without `CONCURRENTLY` they block writes (build)
//! or everything (drop, REINDEX) for as long as they run.

use super::{Hazard, Rule};
use crate::explain::Context;
use crate::sql::blocks::has_concurrently;
use crate::sql::{pb, NodeEnum, QName};

pub fn check(ctx: &Context, node: &NodeEnum, out: &mut Vec<Hazard>) {
    match node {
        NodeEnum::IndexStmt(s) if !s.concurrent => create_index(ctx, s, out),
        NodeEnum::DropStmt(s)
            if !s.concurrent && s.remove_type == pb::ObjectType::ObjectIndex as i32 =>
        {
            drop_index(ctx, s, out)
        }
        NodeEnum::ReindexStmt(s) if !has_concurrently(&s.params) => {
            if let Some(rv) = &s.relation {
                out.push(Hazard::new(
                    Rule::ReindexWithoutConcurrently,
                    format!("REINDEX of {} blocks writes to its table and every query that would use the index until the rebuild ends", QName::from_range_var(rv)),
                    "REINDEX … CONCURRENTLY (PostgreSQL ≥ 12), in a migration of its own (it cannot run in a transaction block)",
                ));
            }
        }
        _ => {}
    }
}

/// `create-index-without-concurrently`: a plain build holds SHARE on the table (writes wait)
/// for the whole build. Harmless on a table the same migration creates.
fn create_index(ctx: &Context, s: &pb::IndexStmt, out: &mut Vec<Hazard>) {
    let Some(rv) = &s.relation else { return };
    let table = QName::from_range_var(rv);
    if !ctx.existing(&table) {
        return;
    }
    let unique = if s.unique { "unique " } else { "" };
    let name = if s.idxname.is_empty() {
        String::new()
    } else {
        format!(" {}", crate::sql::names::quote_for_message(&s.idxname))
    };
    out.push(Hazard::new(
        Rule::CreateIndexWithoutConcurrently,
        format!("{unique}index{name} is built without CONCURRENTLY on existing table {table}: writes to it wait (SHARE lock) for the whole build"),
        "CREATE INDEX CONCURRENTLY, alone in its own migration.sql (Prisma runs a multi-statement file in one transaction, where CONCURRENTLY fails)",
    ));
}

/// `drop-index-without-concurrently`: DROP INDEX takes ACCESS EXCLUSIVE on the table, and
/// waits behind every running query on it while blocking every new one.
fn drop_index(ctx: &Context, s: &pb::DropStmt, out: &mut Vec<Hazard>) {
    for object in &s.objects {
        let Some(NodeEnum::List(list)) = &object.node else {
            continue;
        };
        let name = QName::from_name_nodes(&list.items);
        let index = ctx.catalog.indexes.get(&name);
        if let Some(i) = index {
            if !ctx.existing(&i.table) {
                continue;
            }
            if i.constraint.is_some() {
                continue; // a constraint's index is dropped with ALTER TABLE, never here
            }
        }
        let on = index.map(|i| format!(" {}", i.table)).unwrap_or_default();
        out.push(Hazard::new(
            Rule::DropIndexWithoutConcurrently,
            format!("DROP INDEX {name} locks its table{on} ACCESS EXCLUSIVE: reads and writes queue behind it"),
            "DROP INDEX CONCURRENTLY, alone in its own migration.sql",
        ));
    }
}
