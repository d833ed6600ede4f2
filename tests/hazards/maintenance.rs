//! Whole-table copies and materialized views.

use crate::outcome::*;

/// `REFRESH MATERIALIZED VIEW` rebuilds the view (a new file) under ACCESS EXCLUSIVE: reads
/// of the view wait. `CONCURRENTLY` holds EXCLUSIVE, which reads pass, and rewrites nothing.
#[test]
fn refresh_materialized_view_without_concurrently() {
    let o = lock_history();
    let refresh = o.reports(
        "refresh_user_stats",
        1,
        "refresh-materialized-view-without-concurrently",
        "REFRESH MATERIALIZED VIEW \"UserStats\"",
    );
    assert_lock(refresh, "\"UserStats\"", "AccessExclusiveLock");
    assert!(rewrote(refresh).contains(&"\"UserStats\""), "{refresh}");

    let concurrent = o.quiet(
        "refresh_user_stats_concurrently",
        1,
        "refresh-materialized-view-without-concurrently",
    );
    assert_lock(concurrent, "\"UserStats\"", "ExclusiveLock");
    assert_eq!(concurrent["rewrote"], serde_json::json!([]), "{concurrent}");
}

/// `ALTER TABLE … SET UNLOGGED` copies the table and its indexes under ACCESS EXCLUSIVE;
/// `VACUUM FULL` copies them too (outside a transaction block, so its lock is gone before the
/// trace can read it: the rewrite is what shows). Plain `VACUUM` copies nothing.
///
/// `CLUSTER` is not drilled here: it marks the index clustered, which the drill's incremental
/// snapshot does not notice, so a later migration on the table fails its comparison.
#[test]
fn whole_table_rewrite() {
    let o = lock_history();
    let unlogged = o.reports("tags_unlogged", 1, "whole-table-rewrite", "SET UNLOGGED");
    assert_lock(unlogged, "\"Tag\"", "AccessExclusiveLock");
    assert!(rewrote(unlogged).contains(&"\"Tag\""), "{unlogged}");
    assert!(rewrote(unlogged).contains(&"\"Tag_pkey\""), "{unlogged}");

    let full = o.reports("vacuum_full_posts", 1, "whole-table-rewrite", "VACUUM FULL");
    assert_eq!(full["in_transaction"], false, "{full}");
    assert!(rewrote(full).contains(&"\"Post\""), "{full}");

    let vacuum = o.quiet("vacuum_posts", 1, "whole-table-rewrite");
    assert_eq!(vacuum["rewrote"], serde_json::json!([]), "{vacuum}");
}
