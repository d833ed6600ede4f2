//! Constraints validated at once, and indexes built for them.

use crate::outcome::*;

/// A foreign key validated at once locks both tables SHARE ROW EXCLUSIVE (writes to either
/// wait) while it reads the referencing table. NOT VALID takes the same brief locks without
/// reading anything; the later VALIDATE reads under SHARE UPDATE EXCLUSIVE, which writes pass,
/// and only ROW SHARE on the referenced table.
#[test]
fn add_foreign_key_without_not_valid() {
    let o = lock_history();
    o.assert_reports(
        "post_author_fkey",
        1,
        "add-foreign-key-without-not-valid",
        "FOREIGN KEY",
    );
    let fkey = o.statement("post_author_fkey", 1);
    assert_eq!(
        strongest_lock(fkey, "\"Post\""),
        "ShareRowExclusiveLock",
        "{fkey}"
    );
    assert_eq!(
        strongest_lock(fkey, "\"User\""),
        "ShareRowExclusiveLock",
        "{fkey}"
    );
    assert!(scanned(fkey).contains(&"\"Post\""), "{fkey}");

    o.assert_quiet(
        "comment_author_fkey_not_valid",
        "add-foreign-key-without-not-valid",
    );
    let not_valid = o.statement("comment_author_fkey_not_valid", 1);
    assert_eq!(not_valid["scanned"], serde_json::json!([]), "{not_valid}");
    assert_eq!(
        strongest_lock(not_valid, "\"Comment\""),
        "ShareRowExclusiveLock",
        "{not_valid}"
    );
    let validate = o.statement("validate_comment_author_fkey", 1);
    assert!(scanned(validate).contains(&"\"Comment\""), "{validate}");
    assert_eq!(
        strongest_lock(validate, "\"Comment\""),
        "ShareUpdateExclusiveLock",
        "{validate}"
    );
    assert_eq!(
        strongest_lock(validate, "\"User\""),
        "RowShareLock",
        "{validate}"
    );
}

/// A CHECK validated at once reads every row under ACCESS EXCLUSIVE; added NOT VALID it
/// reads nothing (and the VALIDATE of a later migration reads under SHARE UPDATE EXCLUSIVE, see
/// `set_not_null_scans_table`).
#[test]
fn add_check_without_not_valid() {
    let o = lock_history();
    o.assert_reports(
        "user_age_check",
        1,
        "add-check-without-not-valid",
        "CHECK (\"age\" > 0)",
    );
    let check = o.statement("user_age_check", 1);
    assert_eq!(check["scanned"], serde_json::json!(["\"User\""]), "{check}");
    assert_eq!(
        strongest_lock(check, "\"User\""),
        "AccessExclusiveLock",
        "{check}"
    );

    o.assert_quiet(
        "user_name_not_null_check_not_valid",
        "add-check-without-not-valid",
    );
    let not_valid = o.statement("user_name_not_null_check_not_valid", 1);
    assert_eq!(not_valid["scanned"], serde_json::json!([]), "{not_valid}");
}

/// `ADD CONSTRAINT … UNIQUE` builds its index (a new relation) while holding ACCESS EXCLUSIVE
/// on the table and reading all of it. Built CONCURRENTLY first, the constraint `USING
/// INDEX` builds and reads nothing.
#[test]
fn add_unique_constraint_builds_index() {
    let o = lock_history();
    o.assert_reports(
        "user_email_unique",
        1,
        "add-unique-constraint-builds-index",
        "UNIQUE (\"email\")",
    );
    let unique = o.statement("user_email_unique", 1);
    assert_eq!(
        strongest_lock(unique, "\"User\""),
        "AccessExclusiveLock",
        "{unique}"
    );
    assert!(created(unique).contains(&"\"User_email_key\""), "{unique}");
    assert_eq!(
        unique["scanned"],
        serde_json::json!(["\"User\""]),
        "{unique}"
    );

    let concurrent = o.statement("post_slug_unique_index_concurrently", 1);
    assert_eq!(concurrent["in_transaction"], false, "{concurrent}");
    o.assert_quiet(
        "post_slug_unique_using_index",
        "add-unique-constraint-builds-index",
    );
    let using = o.statement("post_slug_unique_using_index", 1);
    assert_eq!(using["scanned"], serde_json::json!([]), "{using}");
    assert_eq!(using["rewrote"], serde_json::json!([]), "{using}");
    assert!(created(using).is_empty(), "{using}");
}

/// Validating in the file that added the constraint NOT VALID: in batch mode the file is one
/// transaction, so the VALIDATE's scan runs while the ADD's ACCESS EXCLUSIVE is still held
/// (taken by the statement before it, in the same transaction). In split mode the ADD has
/// committed (its lock released) before the VALIDATE starts, and explain stays quiet.
#[test]
fn validate_in_same_transaction() {
    let batch = transactions_batch();
    batch.assert_reports(
        "user_age_check_validated_in_same_file",
        2,
        "validate-in-same-transaction",
        "VALIDATE CONSTRAINT",
    );
    let add = batch.statement("user_age_check_validated_in_same_file", 1);
    assert_eq!(
        strongest_lock(add, "\"User\""),
        "AccessExclusiveLock",
        "{add}"
    );
    let validate = batch.statement("user_age_check_validated_in_same_file", 2);
    assert_eq!(validate["in_transaction"], true, "{validate}");
    assert_eq!(validate["earlier_in_transaction"], 1, "{validate}");
    assert_eq!(
        validate["scanned"],
        serde_json::json!(["\"User\""]),
        "{validate}"
    );

    let split = transactions_split();
    split.assert_quiet(
        "user_age_check_validated_in_same_file",
        "validate-in-same-transaction",
    );
    let validate = split.statement("user_age_check_validated_in_same_file", 2);
    assert_eq!(validate["earlier_in_transaction"], 0, "{validate}");
    assert_eq!(
        validate["scanned"],
        serde_json::json!(["\"User\""]),
        "{validate}"
    );
    assert_eq!(
        strongest_lock(validate, "\"User\""),
        "ShareUpdateExclusiveLock",
        "{validate}"
    );
}
