//! Whole-table copies and materialized views.

use crate::outcome::*;

/// `REFRESH MATERIALIZED VIEW` rebuilds the view (a new file) under ACCESS EXCLUSIVE: reads
/// of the view wait. `CONCURRENTLY` holds EXCLUSIVE, which reads pass, and rewrites nothing.
#[test]
fn refresh_materialized_view_without_concurrently() {
    let rule = History::Locks.rule("refresh-materialized-view-without-concurrently");
    let refresh = rule.reports(
        "refresh_user_stats",
        1,
        "REFRESH MATERIALIZED VIEW \"UserStats\"",
    );
    assert_rewrote_under_access_exclusive(refresh, "\"UserStats\"", &["\"UserStats\""]);

    let concurrent = rule.quiet("refresh_user_stats_concurrently", 1);
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
    let rule = History::Locks.rule("whole-table-rewrite");
    let unlogged = rule.reports("tags_unlogged", 1, "SET UNLOGGED");
    assert_rewrote_under_access_exclusive(unlogged, "\"Tag\"", &["\"Tag\"", "\"Tag_pkey\""]);

    let full = rule.reports("vacuum_full_posts", 1, "VACUUM FULL");
    assert_eq!(full["in_transaction"], false, "{full}");
    assert!(rewrote(full).contains(&"\"Post\""), "{full}");

    let vacuum = rule.quiet("vacuum_posts", 1);
    assert_eq!(vacuum["rewrote"], serde_json::json!([]), "{vacuum}");
}
