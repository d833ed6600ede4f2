//! Constraints validated at once, and indexes built for them.

use crate::outcome::*;

/// A foreign key validated at once locks both tables SHARE ROW EXCLUSIVE (writes to either
/// wait) while it reads the referencing table. NOT VALID takes the same brief locks without
/// reading anything; the later VALIDATE reads under SHARE UPDATE EXCLUSIVE, which writes pass,
/// and only ROW SHARE on the referenced table.
#[test]
fn add_foreign_key_without_not_valid() {
    let rule = History::Locks.rule("add-foreign-key-without-not-valid");
    let fkey = rule.reports("post_author_fkey", 1, "FOREIGN KEY");
    assert_lock(fkey, "\"Post\"", "ShareRowExclusiveLock");
    assert_lock(fkey, "\"User\"", "ShareRowExclusiveLock");
    assert!(scanned(fkey).contains(&"\"Post\""), "{fkey}");

    let not_valid = rule.quiet("comment_author_fkey_not_valid", 1);
    assert_eq!(not_valid["scanned"], serde_json::json!([]), "{not_valid}");
    assert_lock(not_valid, "\"Comment\"", "ShareRowExclusiveLock");
    let validate = rule.statement("validate_comment_author_fkey", 1);
    assert!(scanned(validate).contains(&"\"Comment\""), "{validate}");
    assert_lock(validate, "\"Comment\"", "ShareUpdateExclusiveLock");
    assert_lock(validate, "\"User\"", "RowShareLock");
}

/// A CHECK validated at once reads every row under ACCESS EXCLUSIVE; added NOT VALID it
/// reads nothing (and the VALIDATE of a later migration reads under SHARE UPDATE EXCLUSIVE, see
/// `set_not_null_scans_table`).
#[test]
fn add_check_without_not_valid() {
    let rule = History::Locks.rule("add-check-without-not-valid");
    let check = rule.reports("user_age_check", 1, "CHECK (\"age\" > 0)");
    assert_scanned_under(check, "\"User\"", "AccessExclusiveLock");

    let not_valid = rule.quiet("user_name_not_null_check_not_valid", 1);
    assert_eq!(not_valid["scanned"], serde_json::json!([]), "{not_valid}");
}

/// `ADD CONSTRAINT … UNIQUE` builds its index (a new relation) while holding ACCESS EXCLUSIVE
/// on the table and reading all of it. Built CONCURRENTLY first, the constraint `USING
/// INDEX` builds and reads nothing.
#[test]
fn add_unique_constraint_builds_index() {
    let rule = History::Locks.rule("add-unique-constraint-builds-index");
    let unique = rule.reports("user_email_unique", 1, "UNIQUE (\"email\")");
    assert_scanned_under(unique, "\"User\"", "AccessExclusiveLock");
    assert!(created(unique).contains(&"\"User_email_key\""), "{unique}");

    let concurrent = rule.statement("post_slug_unique_index_concurrently", 1);
    assert_eq!(concurrent["in_transaction"], false, "{concurrent}");
    let using = rule.quiet("post_slug_unique_using_index", 1);
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
    const MIGRATION: &str = "user_age_check_validated_in_same_file";
    const RULE: &str = "validate-in-same-transaction";
    let batch = History::TransactionsBatch.rule(RULE);
    batch.assert_reports(MIGRATION, 2, "VALIDATE CONSTRAINT");
    let validate = batch.under_earlier_lock(MIGRATION, "\"User\"");
    assert_eq!(
        validate["scanned"],
        serde_json::json!(["\"User\""]),
        "{validate}"
    );

    let validate = History::TransactionsSplit.rule(RULE).quiet(MIGRATION, 2);
    assert_eq!(validate["earlier_in_transaction"], 0, "{validate}");
    assert_scanned_under(validate, "\"User\"", "ShareUpdateExclusiveLock");
}
