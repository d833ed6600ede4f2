//! Maintenance statements: they rebuild storage or refresh statistics and leave the schema
//! as it was, so there is nothing to reverse. `CLUSTER` is the exception: it marks the index
//! the table is clustered on, which the model does not track.

use super::rule::{undo_rule, UndoRule};
use super::Undo;
use crate::sql::{pb, NodeEnum};

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[UNDO_MAINTENANCE, UNDO_CLUSTER];

undo_rule! {
    /// REINDEX, VACUUM and ANALYZE change no schema: nothing to undo
    ///
    /// ## Undoes
    ///
    /// - `REINDEX`
    /// - `VACUUM`
    /// - `VACUUM FULL`
    /// - `ANALYZE`
    ///
    /// ## The undo
    ///
    /// No statement: they rebuild storage or refresh statistics and leave the schema as it was.
    ///
    /// ## Verdict
    ///
    /// **exact**.
    ///
    /// ## Example
    ///
    /// ```sql
    /// REINDEX INDEX CONCURRENTLY "User_email_key";
    /// ```
    ///
    /// Its undo, **exact**: no statement, nothing to undo.
    ///
    /// ## Cases
    ///
    /// - `tests/cases/maintenance/reindex_vacuum_cluster.sql` (snapshot `snapshots/maintenance__reindex_vacuum_cluster.snap`)
    UNDO_MAINTENANCE = "undo-maintenance";
}

/// The undo of rule `undo-maintenance` (UNDO_MAINTENANCE above).
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

undo_rule! {
    /// CLUSTER marks a clustering index the model does not track: manual
    ///
    /// ## Undoes
    ///
    /// - `CLUSTER`
    ///
    /// ## The undo
    ///
    /// None: `CLUSTER` marks the index the table is clustered on, and unmigrate does not know the previous mark; restore it with `ALTER TABLE … CLUSTER ON` or `SET WITHOUT CLUSTER`.
    ///
    /// ## Verdict
    ///
    /// **manual**.
    ///
    /// ## Example
    ///
    /// ```sql
    /// CLUSTER "User" USING "User_pkey";
    /// ```
    ///
    /// Its undo, **manual**: no statement; the undo file holds a manual block that fails until it is written.
    ///
    /// ## Cases
    ///
    /// - `tests/cases/maintenance/reindex_vacuum_cluster.sql` (snapshot `snapshots/maintenance__reindex_vacuum_cluster.snap`)
    UNDO_CLUSTER = "undo-cluster";
}

/// The undo of rule `undo-cluster` (UNDO_CLUSTER above).
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
