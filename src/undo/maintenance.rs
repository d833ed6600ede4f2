//! Maintenance statements: they rebuild storage or refresh statistics and leave the schema
//! as it was, so there is nothing to reverse. `CLUSTER` is the exception: it marks the index
//! the table is clustered on, which the model does not track.

use super::Undo;
use crate::sql::{pb, NodeEnum};

/// `REINDEX`, `VACUUM`, `ANALYZE`: nothing to undo. `CLUSTER`: manual, since the table's
/// previous clustering index is unknown.
///
/// ```sql
/// REINDEX INDEX CONCURRENTLY "User_email_key";
/// -- undo: nothing (the index is rebuilt with the same definition)
/// ```
pub fn maintenance(node: &NodeEnum) -> Undo {
    match node {
        NodeEnum::ReindexStmt(_) => {
            Undo::nothing("REINDEX rebuilds indexes with the same definitions: nothing to undo")
        }
        NodeEnum::VacuumStmt(s) if s.is_vacuumcmd => Undo::nothing(
            "VACUUM reclaims storage (VACUUM FULL rewrites it) and changes no schema: nothing to undo",
        ),
        NodeEnum::VacuumStmt(_) => {
            Undo::nothing("ANALYZE refreshes planner statistics and changes no schema: nothing to undo")
        }
        NodeEnum::ClusterStmt(s) => cluster(s),
        _ => Undo::manual("maintenance statement of an unknown kind; check it by hand"),
    }
}

fn cluster(s: &pb::ClusterStmt) -> Undo {
    let table = s
        .relation
        .as_ref()
        .map(|rv| crate::sql::QName::from_range_var(rv).to_string())
        .unwrap_or_else(|| "every table marked for clustering".into());
    Undo::manual(format!(
        "CLUSTER {table} marks the index it is clustered on, and unmigrate does not know the previous mark: restore it with ALTER TABLE … CLUSTER ON or SET WITHOUT CLUSTER"
    ))
}
