//! Changes the previous release cannot survive, shown by its own queries.

use crate::common::{array, text};
use crate::outcome::*;

/// Asserts that the previous release's query of `migration` (its `[[check]]` in
/// `histories/compat/drill.toml`) fails after the forward migration and its re-apply with
/// SQLSTATE `code`, and works after the undo (so it is valid SQL).
fn assert_previous_release_breaks(
    migration: &str,
    rule: &'static str,
    line: u64,
    statement: &str,
    code: &str,
) {
    let rule = History::Compat.rule(rule);
    rule.assert_reports(migration, line, statement);
    let m = rule.migration(migration);
    // The drill itself passes (a dropped column comes back at the end of its table).
    assert!(text(&m["result"]).starts_with("passed"), "{m}");
    let checks = array(&m["checks"]);
    let name = checks
        .iter()
        .find(|c| c["after"] == "forward" && c["expect"] == "fail")
        .map(|c| text(&c["name"]))
        .unwrap_or_else(|| panic!("no previous-release query that fails: {m}"));
    for after in ["forward", "reapply"] {
        let check = checks
            .iter()
            .find(|c| c["name"] == *name && c["after"] == after)
            .unwrap_or_else(|| panic!("no check {name:?} after {after}: {m}"));
        assert_eq!(check["expect"], "fail", "{check}");
        assert_eq!(check["passed"], true, "{check}");
        let detail = text(&check["detail"]);
        assert!(detail.ends_with(&format!("({code})")), "{check}");
    }
    let undone = format!("{name}, after the undo");
    let check = checks
        .iter()
        .find(|c| c["name"] == undone.as_str())
        .unwrap_or_else(|| panic!("no check {undone:?}: {m}"));
    assert_eq!(check["after"], "undo", "{check}");
    assert_eq!(check["passed"], true, "{check}");
}

#[test]
fn drop_column() {
    assert_previous_release_breaks(
        "drop_user_age",
        "drop-column",
        1,
        "DROP COLUMN \"age\"",
        "42703",
    );
}

#[test]
fn rename_column() {
    assert_previous_release_breaks(
        "rename_user_email",
        "rename-column",
        1,
        "RENAME COLUMN",
        "42703",
    );
}

#[test]
fn drop_table() {
    assert_previous_release_breaks(
        "drop_comment",
        "drop-table",
        1,
        "DROP TABLE \"Comment\"",
        "42P01",
    );
}

#[test]
fn rename_table() {
    assert_previous_release_breaks(
        "rename_post_to_article",
        "rename-table",
        1,
        "RENAME TO \"Article\"",
        "42P01",
    );
}

/// The previous release still reads (and writes) the old label: its query fails with 22P02
/// ("invalid input value for enum").
#[test]
fn rename_enum_value() {
    assert_previous_release_breaks(
        "rename_role_staff_to_employee",
        "rename-enum-value",
        1,
        "RENAME VALUE",
        "22P02",
    );
}

/// The previous release inserts users leaving `name` to its database default; without the
/// default the insert fails the NOT NULL (23502). Dropping the default of a nullable column
/// is quiet, and the same insert keeps working.
#[test]
fn drop_default_of_not_null_column() {
    assert_previous_release_breaks(
        "drop_user_name_default",
        "drop-default-of-not-null-column",
        1,
        "DROP DEFAULT",
        "23502",
    );
    let rule = History::Compat.rule("drop-default-of-not-null-column");
    rule.assert_quiet("drop_user_nick_default");
    let m = rule.migration("drop_user_nick_default");
    let checks = array(&m["checks"]);
    assert_eq!(checks.len(), 3, "{m}");
    assert!(checks.iter().all(|c| c["passed"] == true), "{m}");
}
