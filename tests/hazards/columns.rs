//! Column changes on tables with rows: rewrites, scans, required columns.

use crate::common::phase;
use crate::outcome::*;

/// A volatile default is computed for every row: the table and its indexes are rewritten
/// under ACCESS EXCLUSIVE. A constant default is stored once in the catalog (PostgreSQL ≥ 11):
/// no rewrite, even for a NOT NULL column.
#[test]
fn add_column_rewrites_table() {
    let rule = History::Locks.rule("add-column-rewrites-table");
    let add = rule.reports("add_user_token_volatile_default", 1, "ADD COLUMN \"token\"");
    assert_rewrote_under_access_exclusive(add, "\"User\"", &["\"User\"", "\"User_pkey\""]);

    rule.assert_quiet("add_user_active_constant_default");
    let constant = History::Locks
        .rule("add-column-not-null-without-default")
        .quiet("add_user_active_constant_default", 1);
    assert_eq!(constant["rewrote"], serde_json::json!([]), "{constant}");
    assert_eq!(constant["scanned"], serde_json::json!([]), "{constant}");
}

/// A type change that is not binary-coercible rewrites the table and every index on it; a
/// wider `VARCHAR` only changes the catalog.
#[test]
fn alter_column_type_rewrites_table() {
    let rule = History::Locks.rule("alter-column-type-rewrites-table");
    let alter = rule.reports("user_age_to_bigint", 1, "TYPE BIGINT");
    assert_rewrote_under_access_exclusive(alter, "\"User\"", &["\"User\"", "\"User_pkey\""]);

    let wider = rule.quiet("user_title_to_varchar_200", 1);
    assert_eq!(wider["rewrote"], serde_json::json!([]), "{wider}");
}

/// `SET NOT NULL` reads every row under ACCESS EXCLUSIVE. The safe form (a CHECK added NOT
/// VALID, validated in a later migration under SHARE UPDATE EXCLUSIVE) lets PostgreSQL ≥ 12
/// skip the scan: the final `SET NOT NULL` reads nothing.
#[test]
fn set_not_null_scans_table() {
    let rule = History::Locks.rule("set-not-null-scans-table");
    let require = rule.reports("require_user_email", 1, "SET NOT NULL");
    assert_scanned_under(require, "\"User\"", "AccessExclusiveLock");

    // The safe sequence.
    let add = rule.statement("user_name_not_null_check_not_valid", 1);
    assert_eq!(add["scanned"], serde_json::json!([]), "{add}");
    let validate = rule.statement("validate_user_name_not_null_check", 1);
    assert_scanned_under(validate, "\"User\"", "ShareUpdateExclusiveLock");
    let require = rule.quiet("require_user_name", 1);
    assert_eq!(require["scanned"], serde_json::json!([]), "{require}");
    assert_eq!(
        strongest_lock(require, "\"User\""),
        "AccessExclusiveLock",
        "the lock stays, only briefly: {require}"
    );
}

/// A required column without a default cannot be filled for the rows already there: the
/// forward migration fails with 23502 as soon as the table holds a row, and passes on the
/// empty shadow database (which is why it slips through). With a constant default it passes
/// over the same rows.
#[test]
fn add_column_not_null_without_default() {
    let rule = History::Seeded.rule("add-column-not-null-without-default");
    rule.assert_reports(
        "add_user_phone_required",
        1,
        "ADD COLUMN \"phone\" TEXT NOT NULL",
    );
    rule.failed_forward("add_user_phone_required", "23502");
    let required = rule.migration("add_user_phone_required");
    assert_eq!(
        required["data"]["forward_failure"], "only_with_data",
        "{required}"
    );

    // With a default the same column passes over the same rows, seeded before it.
    rule.assert_quiet("add_user_nickname_with_default");
    let with_default = rule.migration("add_user_nickname_with_default");
    assert_eq!(
        with_default["data"]["seeded"],
        serde_json::json!([{"table": "User", "schema": "public", "rows": 10}]),
        "{with_default}"
    );
    assert_eq!(with_default["result"], "passed", "{with_default}");
    assert_eq!(phase(with_default, "forward")["status"], "passed");
}
