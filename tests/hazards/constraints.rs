//! Constraints validated at once, and indexes built for them.

use crate::outcome::*;

/// A foreign key validated at once locks both tables SHARE ROW EXCLUSIVE (writes to either
/// wait) while it reads the referencing table. NOT VALID takes the same brief locks without
/// reading anything; the later VALIDATE reads under SHARE UPDATE EXCLUSIVE, which writes pass,
/// and only ROW SHARE on the referenced table.
#[test]
fn add_foreign_key_without_not_valid() {
    let o = lock_history();
    let fkey = o.reports(
        "post_author_fkey",
        1,
        "add-foreign-key-without-not-valid",
        "FOREIGN KEY",
    );
    assert_lock(fkey, "\"Post\"", "ShareRowExclusiveLock");
    assert_lock(fkey, "\"User\"", "ShareRowExclusiveLock");
    assert!(scanned(fkey).contains(&"\"Post\""), "{fkey}");

    let not_valid = o.quiet(
        "comment_author_fkey_not_valid",
        1,
        "add-foreign-key-without-not-valid",
    );
    assert_eq!(not_valid["scanned"], serde_json::json!([]), "{not_valid}");
    assert_lock(not_valid, "\"Comment\"", "ShareRowExclusiveLock");
    let validate = o.statement("validate_comment_author_fkey", 1);
    assert!(scanned(validate).contains(&"\"Comment\""), "{validate}");
    assert_lock(validate, "\"Comment\"", "ShareUpdateExclusiveLock");
    assert_lock(validate, "\"User\"", "RowShareLock");
}

/// A CHECK validated at once reads every row under ACCESS EXCLUSIVE; added NOT VALID it
/// reads nothing (and the VALIDATE of a later migration reads under SHARE UPDATE EXCLUSIVE, see
/// `set_not_null_scans_table`).
#[test]
fn add_check_without_not_valid() {
    let o = lock_history();
    let check = o.reports(
        "user_age_check",
        1,
        "add-check-without-not-valid",
        "CHECK (\"age\" > 0)",
    );
    assert_eq!(check["scanned"], serde_json::json!(["\"User\""]), "{check}");
    assert_lock(check, "\"User\"", "AccessExclusiveLock");

    let not_valid = o.quiet(
        "user_name_not_null_check_not_valid",
        1,
        "add-check-without-not-valid",
    );
    assert_eq!(not_valid["scanned"], serde_json::json!([]), "{not_valid}");
}

/// `ADD CONSTRAINT … UNIQUE` builds its index (a new relation) while holding ACCESS EXCLUSIVE
/// on the table and reading all of it. Built CONCURRENTLY first, the constraint `USING
/// INDEX` builds and reads nothing.
#[test]
fn add_unique_constraint_builds_index() {
    let o = lock_history();
    let unique = o.reports(
        "user_email_unique",
        1,
        "add-unique-constraint-builds-index",
        "UNIQUE (\"email\")",
    );
    assert_lock(unique, "\"User\"", "AccessExclusiveLock");
    assert!(created(unique).contains(&"\"User_email_key\""), "{unique}");
    assert_eq!(
        unique["scanned"],
        serde_json::json!(["\"User\""]),
        "{unique}"
    );

    let concurrent = o.statement("post_slug_unique_index_concurrently", 1);
    assert_eq!(concurrent["in_transaction"], false, "{concurrent}");
    let using = o.quiet(
        "post_slug_unique_using_index",
        1,
        "add-unique-constraint-builds-index",
    );
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
    assert_lock(add, "\"User\"", "AccessExclusiveLock");
    let validate = batch.statement("user_age_check_validated_in_same_file", 2);
    assert_eq!(validate["in_transaction"], true, "{validate}");
    assert_eq!(validate["earlier_in_transaction"], 1, "{validate}");
    assert_eq!(
        validate["scanned"],
        serde_json::json!(["\"User\""]),
        "{validate}"
    );

    let split = transactions_split();
    let validate = split.quiet(
        "user_age_check_validated_in_same_file",
        2,
        "validate-in-same-transaction",
    );
    assert_eq!(validate["earlier_in_transaction"], 0, "{validate}");
    assert_eq!(
        validate["scanned"],
        serde_json::json!(["\"User\""]),
        "{validate}"
    );
    assert_lock(validate, "\"User\"", "ShareUpdateExclusiveLock");
}
