//! Index builds, drops and rebuilds without CONCURRENTLY.

use crate::outcome::*;

/// A plain index build holds SHARE on the table (writes wait, reads go on) while it reads the
/// whole table. `CONCURRENTLY`, alone in its file, runs outside any transaction block and
/// holds no lock that blocks writes.
#[test]
fn create_index_without_concurrently() {
    let o = lock_history();
    o.assert_reports(
        "user_email_index",
        1,
        "create-index-without-concurrently",
        "CREATE INDEX \"User_email_idx\"",
    );
    let build = o.statement("user_email_index", 1);
    assert_eq!(strongest_lock(build, "\"User\""), "ShareLock", "{build}");
    assert_eq!(build["scanned"], serde_json::json!(["\"User\""]), "{build}");
    assert_eq!(build["in_transaction"], true, "{build}");

    o.assert_quiet(
        "user_name_index_concurrently",
        "create-index-without-concurrently",
    );
    o.assert_quiet(
        "user_name_index_concurrently",
        "non-transactional-in-transaction",
    );
    let concurrent = o.statement("user_name_index_concurrently", 1);
    assert_eq!(concurrent["in_transaction"], false, "{concurrent}");
    assert_eq!(concurrent["failed"], false, "{concurrent}");
}

/// `DROP INDEX` locks the table itself ACCESS EXCLUSIVE: reads queue too. `DROP INDEX
/// CONCURRENTLY`, alone in its file, runs outside a transaction block.
#[test]
fn drop_index_without_concurrently() {
    let o = lock_history();
    o.assert_reports(
        "drop_user_name_index",
        1,
        "drop-index-without-concurrently",
        "DROP INDEX \"User_name_idx\"",
    );
    let drop = o.statement("drop_user_name_index", 1);
    assert_eq!(
        strongest_lock(drop, "\"User\""),
        "AccessExclusiveLock",
        "{drop}"
    );

    o.assert_quiet(
        "drop_post_author_index_concurrently",
        "drop-index-without-concurrently",
    );
    let concurrent = o.statement("drop_post_author_index_concurrently", 1);
    assert_eq!(concurrent["in_transaction"], false, "{concurrent}");
    assert_eq!(concurrent["failed"], false, "{concurrent}");
}

/// `REINDEX` rebuilds the index (a new file) holding SHARE on the table, so writes wait, and
/// ACCESS EXCLUSIVE on the index, so every query planning to use it waits too.
#[test]
fn reindex_without_concurrently() {
    let o = lock_history();
    o.assert_reports(
        "reindex_user_email",
        1,
        "reindex-without-concurrently",
        "REINDEX INDEX",
    );
    let reindex = o.statement("reindex_user_email", 1);
    assert_eq!(
        strongest_lock(reindex, "\"User\""),
        "ShareLock",
        "{reindex}"
    );
    assert_eq!(
        strongest_lock(reindex, "\"User_email_idx\""),
        "AccessExclusiveLock",
        "{reindex}"
    );
    assert_eq!(
        reindex["rewrote"],
        serde_json::json!(["\"User_email_idx\""]),
        "{reindex}"
    );

    o.assert_quiet(
        "reindex_user_email_concurrently",
        "reindex-without-concurrently",
    );
    let concurrent = o.statement("reindex_user_email_concurrently", 1);
    assert_eq!(concurrent["in_transaction"], false, "{concurrent}");
    assert_eq!(concurrent["failed"], false, "{concurrent}");
}
