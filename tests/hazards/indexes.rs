//! Index builds, drops and rebuilds without CONCURRENTLY.

use crate::outcome::*;

/// A plain index build holds SHARE on the table (writes wait, reads go on) while it reads the
/// whole table. `CONCURRENTLY`, alone in its file, runs outside any transaction block and
/// holds no lock that blocks writes.
#[test]
fn create_index_without_concurrently() {
    let o = lock_history();
    let build = o.reports(
        "user_email_index",
        1,
        "create-index-without-concurrently",
        "CREATE INDEX \"User_email_idx\"",
    );
    assert_lock(build, "\"User\"", "ShareLock");
    assert_eq!(build["scanned"], serde_json::json!(["\"User\""]), "{build}");
    assert_eq!(build["in_transaction"], true, "{build}");

    o.assert_quiet(
        "user_name_index_concurrently",
        "create-index-without-concurrently",
    );
    let concurrent = o.quiet(
        "user_name_index_concurrently",
        1,
        "non-transactional-in-transaction",
    );
    assert_ran_alone(concurrent);
}

/// `DROP INDEX` locks the table itself ACCESS EXCLUSIVE: reads queue too. `DROP INDEX
/// CONCURRENTLY`, alone in its file, runs outside a transaction block.
#[test]
fn drop_index_without_concurrently() {
    let o = lock_history();
    let drop = o.reports(
        "drop_user_name_index",
        1,
        "drop-index-without-concurrently",
        "DROP INDEX \"User_name_idx\"",
    );
    assert_lock(drop, "\"User\"", "AccessExclusiveLock");

    let concurrent = o.quiet(
        "drop_post_author_index_concurrently",
        1,
        "drop-index-without-concurrently",
    );
    assert_ran_alone(concurrent);
}

/// `REINDEX` rebuilds the index (a new file) holding SHARE on the table, so writes wait, and
/// ACCESS EXCLUSIVE on the index, so every query planning to use it waits too.
#[test]
fn reindex_without_concurrently() {
    let o = lock_history();
    let reindex = o.reports(
        "reindex_user_email",
        1,
        "reindex-without-concurrently",
        "REINDEX INDEX",
    );
    assert_lock(reindex, "\"User\"", "ShareLock");
    assert_lock(reindex, "\"User_email_idx\"", "AccessExclusiveLock");
    assert_eq!(
        reindex["rewrote"],
        serde_json::json!(["\"User_email_idx\""]),
        "{reindex}"
    );

    let concurrent = o.quiet(
        "reindex_user_email_concurrently",
        1,
        "reindex-without-concurrently",
    );
    assert_ran_alone(concurrent);
}
