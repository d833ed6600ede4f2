//! The lock queue: a strong lock without `lock_timeout`.

use crate::common::array;
use crate::outcome::*;

/// Without `lock_timeout`, a migration waiting for ACCESS EXCLUSIVE behind a long transaction
/// makes every later query on the table queue behind it. That queue needs a second session
/// holding a lock, which a drill (one connection) does not have: the test asserts the closest
/// measurable facts, that the flagged statement does take ACCESS EXCLUSIVE on a table that
/// existed before, and that the safe form's `SET lock_timeout` is in effect on Prisma's
/// connection after the file ran (a drill script check; the drill's own default is 1min).
#[test]
fn missing_lock_timeout() {
    let rule = History::Locks.rule("missing-lock-timeout");
    let require = rule.reports("require_user_email", 1, "SET NOT NULL");
    let lock = array(&require["locks"])
        .iter()
        .find(|l| l["relation"] == "\"User\"" && l["mode"] == "AccessExclusiveLock")
        .unwrap_or_else(|| panic!("no ACCESS EXCLUSIVE on \"User\": {require}"));
    assert_eq!(lock["created"], false, "an existing table: {lock}");

    rule.assert_quiet("add_user_bio_with_lock_timeout");
    let checks = array(&rule.migration("add_user_bio_with_lock_timeout")["checks"]);
    assert_eq!(checks.len(), 1, "{checks:?}");
    assert_eq!(checks[0]["passed"], true, "{checks:?}");
}
