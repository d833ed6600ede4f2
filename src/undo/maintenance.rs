//! Maintenance statements: they rebuild storage or refresh statistics and leave the schema
//! as it was, so there is nothing to reverse. `CLUSTER` is the exception: it marks the index
//! the table is clustered on, which the model does not track.

use super::rule::{undo_rule, UndoExample, UndoRule};
use super::{Undo, Verdict};
use crate::sql::{pb, NodeEnum};

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[UNDO_MAINTENANCE, UNDO_CLUSTER];

undo_rule!(UNDO_MAINTENANCE {
    id: "undo-maintenance",
    summary: "REINDEX, VACUUM and ANALYZE change no schema: nothing to undo",
    undoes: &["REINDEX", "VACUUM", "VACUUM FULL", "ANALYZE"],
    how: r#"No statement: they rebuild storage or refresh statistics and leave the schema as it was."#,
    verdicts: r#"**exact**."#,
    examples: &[UndoExample {
        before: r#""#,
        forward: r#"REINDEX INDEX CONCURRENTLY "User_email_key";"#,
        undo: r#""#,
        verdict: Verdict::Exact,
    }],
    cases: &["reindex_vacuum_cluster"],
});

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

undo_rule!(UNDO_CLUSTER {
    id: "undo-cluster",
    summary: "CLUSTER marks a clustering index the model does not track: manual",
    undoes: &["CLUSTER"],
    how: r#"None: `CLUSTER` marks the index the table is clustered on, and unmigrate does not know the previous mark; restore it with `ALTER TABLE … CLUSTER ON` or `SET WITHOUT CLUSTER`."#,
    verdicts: r#"**manual**."#,
    examples: &[UndoExample {
        before: r#""#,
        forward: r#"CLUSTER "User" USING "User_pkey";"#,
        undo: r#""#,
        verdict: Verdict::Manual,
    }],
    cases: &["reindex_vacuum_cluster"],
});

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
