//! Index builds, drops and rebuilds without CONCURRENTLY.

use crate::outcome::*;

/// A plain index build holds SHARE on the table (writes wait, reads go on) while it reads the
/// whole table. `CONCURRENTLY`, alone in its file, runs outside any transaction block and
/// holds no lock that blocks writes.
#[test]
fn create_index_without_concurrently() {
    let rule = History::Locks.rule("create-index-without-concurrently");
    let build = rule.reports("user_email_index", 1, "CREATE INDEX \"User_email_idx\"");
    assert_scanned_under(build, "\"User\"", "ShareLock");
    assert_eq!(build["in_transaction"], true, "{build}");

    rule.assert_quiet("user_name_index_concurrently");
    History::Locks
        .rule("non-transactional-in-transaction")
        .assert_quiet_ran_alone("user_name_index_concurrently", 1);
}

/// `DROP INDEX` locks the table itself ACCESS EXCLUSIVE: reads queue too. `DROP INDEX
/// CONCURRENTLY`, alone in its file, runs outside a transaction block.
#[test]
fn drop_index_without_concurrently() {
    let rule = History::Locks.rule("drop-index-without-concurrently");
    let drop = rule.reports("drop_user_name_index", 1, "DROP INDEX \"User_name_idx\"");
    assert_lock(drop, "\"User\"", "AccessExclusiveLock");

    rule.assert_quiet_ran_alone("drop_post_author_index_concurrently", 1);
}

/// `REINDEX` rebuilds the index (a new file) holding SHARE on the table, so writes wait, and
/// ACCESS EXCLUSIVE on the index, so every query planning to use it waits too.
#[test]
fn reindex_without_concurrently() {
    let rule = History::Locks.rule("reindex-without-concurrently");
    let reindex = rule.reports("reindex_user_email", 1, "REINDEX INDEX");
    assert_lock(reindex, "\"User\"", "ShareLock");
    assert_lock(reindex, "\"User_email_idx\"", "AccessExclusiveLock");
    assert_eq!(
        reindex["rewrote"],
        serde_json::json!(["\"User_email_idx\""]),
        "{reindex}"
    );

    rule.assert_quiet_ran_alone("reindex_user_email_concurrently", 1);
}
