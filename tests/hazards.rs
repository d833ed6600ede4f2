//! Every hazard rule of `unmigrate explain`, shown to be real on a real PostgreSQL.
//!
//! For each rule id in `docs/rules/`, a test writes (or shares) a tiny Prisma history where the
//! rule fires, asserts that `unmigrate explain DIR --format json` reports it on the expected
//! statement, and then reads what `unmigrate drill` measured on an embedded PostgreSQL for the
//! same statement: the error it fails with, the locks it took, the tables it rewrote or read in
//! full (`--trace`), or an application query (`[[check]]`) that stops working. Where a safe
//! form exists, a quiet counterpart shows explain staying silent and the trace measuring the
//! weaker effect.
//!
//! Drills are slow (an embedded cluster each), so a history serves several rules: it is
//! explained and drilled once, on first use, and the tests read the shared reports. Nothing is
//! mocked or skipped: without PostgreSQL every test fails with the binary's install hint.

use std::fs;
use std::sync::OnceLock;

use serde_json::Value;

mod common;
use common::{arg, array, manifest_dir, phase, text, write_history, Sandbox};

const EXIT_PASSED: i32 = 0;
const EXIT_FAILED: i32 = 1;

// ---------------------------------------------------------------------------------------------
// Histories

/// Tables with rows in them (inserted by the history, so no seeding NULLs get in the way of
/// `SET NOT NULL`), an index-backed materialized view over them.
const INIT: &str = r#"CREATE TYPE "Role" AS ENUM ('USER', 'STAFF');
CREATE TABLE "User" (
    "id" TEXT PRIMARY KEY,
    "email" TEXT,
    "name" TEXT,
    "age" INTEGER,
    "title" VARCHAR(100),
    "role" "Role" NOT NULL DEFAULT 'USER'
);
CREATE TABLE "Post" ("id" TEXT PRIMARY KEY, "authorId" TEXT NOT NULL, "slug" TEXT);
CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");
CREATE TABLE "Comment" ("id" TEXT PRIMARY KEY, "authorId" TEXT NOT NULL);
CREATE TABLE "Tag" ("id" TEXT PRIMARY KEY, "name" TEXT);
CREATE MATERIALIZED VIEW "UserStats" AS SELECT "role", count(*) AS "users" FROM "User" GROUP BY "role";
CREATE UNIQUE INDEX "UserStats_role_key" ON "UserStats"("role");
INSERT INTO "User" ("id", "email", "name", "age", "title")
VALUES ('u1', 'ann@example.com', 'Ann', 30, 'Dr'), ('u2', 'bob@example.com', 'Bob', 40, 'Mr');
INSERT INTO "Post" VALUES ('p1', 'u1', 'hello'), ('p2', 'u2', 'world');
INSERT INTO "Comment" VALUES ('c1', 'u1');
INSERT INTO "Tag" VALUES ('t1', 'rust'), ('t2', 'sql');
"#;
const INIT_NAME: &str = "20260301000000_init";

// The lock history: one migration per statement, drilled in split mode with a trace, so every
// statement runs in a transaction of its own and its own locks are the ones reported.

const VOLATILE_DEFAULT: &str = "20260301000100_add_user_token_volatile_default";
const CONSTANT_DEFAULT: &str = "20260301000200_add_user_active_constant_default";
const AGE_BIGINT: &str = "20260301000300_user_age_to_bigint";
const TITLE_WIDER: &str = "20260301000400_user_title_to_varchar_200";
const REQUIRE_EMAIL: &str = "20260301000500_require_user_email";
const NAME_CHECK_NOT_VALID: &str = "20260301000600_user_name_not_null_check_not_valid";
const VALIDATE_NAME_CHECK: &str = "20260301000700_validate_user_name_not_null_check";
const REQUIRE_NAME: &str = "20260301000800_require_user_name";
const AGE_CHECK: &str = "20260301000900_user_age_check";
const EMAIL_INDEX: &str = "20260301001000_user_email_index";
const NAME_INDEX_CONCURRENTLY: &str = "20260301001100_user_name_index_concurrently";
const REINDEX_EMAIL: &str = "20260301001200_reindex_user_email";
const REINDEX_EMAIL_CONCURRENTLY: &str = "20260301001300_reindex_user_email_concurrently";
const DROP_NAME_INDEX: &str = "20260301001400_drop_user_name_index";
const DROP_AUTHOR_INDEX_CONCURRENTLY: &str = "20260301001500_drop_post_author_index_concurrently";
const POST_AUTHOR_FKEY: &str = "20260301001600_post_author_fkey";
const COMMENT_AUTHOR_FKEY_NOT_VALID: &str = "20260301001700_comment_author_fkey_not_valid";
const VALIDATE_COMMENT_AUTHOR_FKEY: &str = "20260301001800_validate_comment_author_fkey";
const EMAIL_UNIQUE: &str = "20260301001900_user_email_unique";
const SLUG_INDEX_CONCURRENTLY: &str = "20260301002000_post_slug_unique_index_concurrently";
const SLUG_UNIQUE_USING_INDEX: &str = "20260301002100_post_slug_unique_using_index";
const REFRESH_STATS: &str = "20260301002200_refresh_user_stats";
const REFRESH_STATS_CONCURRENTLY: &str = "20260301002300_refresh_user_stats_concurrently";
const UNLOGGED_TAGS: &str = "20260301002400_tags_unlogged";
const VACUUM_FULL_POSTS: &str = "20260301002500_vacuum_full_posts";
const VACUUM_POSTS: &str = "20260301002600_vacuum_posts";
const WITH_LOCK_TIMEOUT: &str = "20260301002700_add_user_bio_with_lock_timeout";

const LOCK_HISTORY: &[(&str, &str)] = &[
    (INIT_NAME, INIT),
    (
        VOLATILE_DEFAULT,
        r#"ALTER TABLE "User" ADD COLUMN "token" DOUBLE PRECISION DEFAULT random();"#,
    ),
    (
        CONSTANT_DEFAULT,
        r#"ALTER TABLE "User" ADD COLUMN "active" BOOLEAN NOT NULL DEFAULT true;"#,
    ),
    (
        AGE_BIGINT,
        r#"ALTER TABLE "User" ALTER COLUMN "age" TYPE BIGINT;"#,
    ),
    (
        TITLE_WIDER,
        r#"ALTER TABLE "User" ALTER COLUMN "title" TYPE VARCHAR(200);"#,
    ),
    (
        REQUIRE_EMAIL,
        r#"ALTER TABLE "User" ALTER COLUMN "email" SET NOT NULL;"#,
    ),
    (
        NAME_CHECK_NOT_VALID,
        r#"ALTER TABLE "User" ADD CONSTRAINT "User_name_not_null" CHECK ("name" IS NOT NULL) NOT VALID;"#,
    ),
    (
        VALIDATE_NAME_CHECK,
        r#"ALTER TABLE "User" VALIDATE CONSTRAINT "User_name_not_null";"#,
    ),
    (
        REQUIRE_NAME,
        r#"ALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL;
ALTER TABLE "User" DROP CONSTRAINT "User_name_not_null";"#,
    ),
    (
        AGE_CHECK,
        r#"ALTER TABLE "User" ADD CONSTRAINT "User_age_check" CHECK ("age" > 0);"#,
    ),
    (
        EMAIL_INDEX,
        r#"CREATE INDEX "User_email_idx" ON "User"("email");"#,
    ),
    (
        NAME_INDEX_CONCURRENTLY,
        r#"CREATE INDEX CONCURRENTLY "User_name_idx" ON "User"("name");"#,
    ),
    (REINDEX_EMAIL, r#"REINDEX INDEX "User_email_idx";"#),
    (
        REINDEX_EMAIL_CONCURRENTLY,
        r#"REINDEX INDEX CONCURRENTLY "User_email_idx";"#,
    ),
    (DROP_NAME_INDEX, r#"DROP INDEX "User_name_idx";"#),
    (
        DROP_AUTHOR_INDEX_CONCURRENTLY,
        r#"DROP INDEX CONCURRENTLY "Post_authorId_idx";"#,
    ),
    (
        POST_AUTHOR_FKEY,
        r#"ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id");"#,
    ),
    (
        COMMENT_AUTHOR_FKEY_NOT_VALID,
        r#"ALTER TABLE "Comment" ADD CONSTRAINT "Comment_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") NOT VALID;"#,
    ),
    (
        VALIDATE_COMMENT_AUTHOR_FKEY,
        r#"ALTER TABLE "Comment" VALIDATE CONSTRAINT "Comment_authorId_fkey";"#,
    ),
    (
        EMAIL_UNIQUE,
        r#"ALTER TABLE "User" ADD CONSTRAINT "User_email_key" UNIQUE ("email");"#,
    ),
    (
        SLUG_INDEX_CONCURRENTLY,
        r#"CREATE UNIQUE INDEX CONCURRENTLY "Post_slug_key" ON "Post"("slug");"#,
    ),
    (
        SLUG_UNIQUE_USING_INDEX,
        r#"ALTER TABLE "Post" ADD CONSTRAINT "Post_slug_key" UNIQUE USING INDEX "Post_slug_key";"#,
    ),
    (REFRESH_STATS, r#"REFRESH MATERIALIZED VIEW "UserStats";"#),
    (
        REFRESH_STATS_CONCURRENTLY,
        r#"REFRESH MATERIALIZED VIEW CONCURRENTLY "UserStats";"#,
    ),
    (UNLOGGED_TAGS, r#"ALTER TABLE "Tag" SET UNLOGGED;"#),
    (VACUUM_FULL_POSTS, r#"VACUUM FULL "Post";"#),
    (VACUUM_POSTS, r#"VACUUM "Post";"#),
    (
        WITH_LOCK_TIMEOUT,
        r#"SET lock_timeout = '5s';
ALTER TABLE "User" ADD COLUMN "bio" TEXT;"#,
    ),
];

/// The lock history's drill script: split mode, traced, and one check that the quiet form of
/// `missing-lock-timeout` really sets the timeout for what follows on Prisma's connection.
const LOCK_SCRIPT: &str = r#"migrations = "migrations"
apply_mode = "split"
trace = true

[[check]]
name = "the migration's lock_timeout is in effect on the deploy's connection"
sql = "SELECT 1 / (current_setting('lock_timeout') = '5s')::int"
after = ["forward"]
migration = "20260301002700"
"#;

fn lock_history() -> &'static Outcome {
    static CELL: OnceLock<Outcome> = OnceLock::new();
    CELL.get_or_init(|| Outcome::of(LOCK_HISTORY, Some(LOCK_SCRIPT), "split", &[], None))
}

// The transaction history: statements that behave differently when the file is one
// transaction (batch, Prisma ≤ 7.3) and when each statement commits (split, Prisma ≥ 7.4).

const VALIDATE_SAME_FILE: &str = "20260301000100_user_age_check_validated_in_same_file";
const BACKFILL_SAME_FILE: &str = "20260301000200_add_user_score_and_backfill";
const ENUM_ADDED_AND_USED: &str = "20260301000300_add_admin_role_as_default";

const TRANSACTION_HISTORY: &[(&str, &str)] = &[
    (INIT_NAME, INIT),
    (
        VALIDATE_SAME_FILE,
        r#"ALTER TABLE "User" ADD CONSTRAINT "User_age_check" CHECK ("age" >= 0) NOT VALID;
ALTER TABLE "User" VALIDATE CONSTRAINT "User_age_check";"#,
    ),
    (
        BACKFILL_SAME_FILE,
        r#"ALTER TABLE "User" ADD COLUMN "score" INTEGER;
UPDATE "User" SET "score" = 0;"#,
    ),
    (
        ENUM_ADDED_AND_USED,
        r#"ALTER TYPE "Role" ADD VALUE 'ADMIN';
ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'ADMIN';"#,
    ),
];

fn transactions_batch() -> &'static Outcome {
    static CELL: OnceLock<Outcome> = OnceLock::new();
    CELL.get_or_init(|| {
        Outcome::of(
            TRANSACTION_HISTORY,
            None,
            "batch",
            &["--trace"],
            Some(ENUM_ADDED_AND_USED),
        )
    })
}

fn transactions_split() -> &'static Outcome {
    static CELL: OnceLock<Outcome> = OnceLock::new();
    CELL.get_or_init(|| Outcome::of(TRANSACTION_HISTORY, None, "split", &["--trace"], None))
}

const CONCURRENTLY_AFTER_DDL: &str = "20260301000100_add_user_nick_and_index_concurrently";

/// Separate from the transaction history: a batch drill stops at the first failing forward.
const CONCURRENTLY_HISTORY: &[(&str, &str)] = &[
    (INIT_NAME, INIT),
    (
        CONCURRENTLY_AFTER_DDL,
        r#"ALTER TABLE "User" ADD COLUMN "nick" TEXT;
CREATE INDEX CONCURRENTLY "User_nick_idx" ON "User"("nick");"#,
    ),
];

fn concurrently_batch() -> &'static Outcome {
    static CELL: OnceLock<Outcome> = OnceLock::new();
    CELL.get_or_init(|| {
        Outcome::of(
            CONCURRENTLY_HISTORY,
            None,
            "batch",
            &["--trace"],
            Some(CONCURRENTLY_AFTER_DDL),
        )
    })
}

fn concurrently_split() -> &'static Outcome {
    static CELL: OnceLock<Outcome> = OnceLock::new();
    CELL.get_or_init(|| Outcome::of(CONCURRENTLY_HISTORY, None, "split", &["--trace"], None))
}

// The seeded history: a required column, added with and without a default, over rows.

const NICKNAME_WITH_DEFAULT: &str = "20260301000100_add_user_nickname_with_default";
const PHONE_REQUIRED: &str = "20260301000200_add_user_phone_required";

const SEEDED_HISTORY: &[(&str, &str)] = &[
    (
        INIT_NAME,
        r#"CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "email" TEXT NOT NULL);"#,
    ),
    (
        NICKNAME_WITH_DEFAULT,
        r#"ALTER TABLE "User" ADD COLUMN "nickname" TEXT NOT NULL DEFAULT '';"#,
    ),
    (
        PHONE_REQUIRED,
        r#"ALTER TABLE "User" ADD COLUMN "phone" TEXT NOT NULL;"#,
    ),
];

fn seeded() -> &'static Outcome {
    static CELL: OnceLock<Outcome> = OnceLock::new();
    CELL.get_or_init(|| {
        Outcome::of(
            SEEDED_HISTORY,
            None,
            "batch",
            &["--seed-rows", "10"],
            Some(PHONE_REQUIRED),
        )
    })
}

// The compatibility history: changes the previous release of the application cannot survive,
// each with the query that release runs, which must fail after the forward migration (and its
// re-apply) and work again after the undo.

const DROP_AGE: &str = "20260301000100_drop_user_age";
const RENAME_EMAIL: &str = "20260301000200_rename_user_email";
const DROP_COMMENT: &str = "20260301000300_drop_comment";
const RENAME_POST: &str = "20260301000400_rename_post_to_article";
const RENAME_STAFF: &str = "20260301000500_rename_role_staff_to_employee";
const DROP_NAME_DEFAULT: &str = "20260301000600_drop_user_name_default";
const DROP_NICK_DEFAULT: &str = "20260301000700_drop_user_nick_default";

const COMPAT_HISTORY: &[(&str, &str)] = &[
    (
        INIT_NAME,
        r#"CREATE TYPE "Role" AS ENUM ('USER', 'STAFF');
CREATE TABLE "User" (
    "id" TEXT PRIMARY KEY,
    "email" TEXT,
    "age" INTEGER,
    "name" TEXT NOT NULL DEFAULT 'anonymous',
    "nick" TEXT DEFAULT 'anon',
    "role" "Role" NOT NULL DEFAULT 'USER'
);
CREATE TABLE "Post" ("id" TEXT PRIMARY KEY, "title" TEXT);
CREATE TABLE "Comment" ("id" TEXT PRIMARY KEY, "body" TEXT);
"#,
    ),
    (DROP_AGE, r#"ALTER TABLE "User" DROP COLUMN "age";"#),
    (
        RENAME_EMAIL,
        r#"ALTER TABLE "User" RENAME COLUMN "email" TO "emailAddress";"#,
    ),
    (DROP_COMMENT, r#"DROP TABLE "Comment";"#),
    (RENAME_POST, r#"ALTER TABLE "Post" RENAME TO "Article";"#),
    (
        RENAME_STAFF,
        r#"ALTER TYPE "Role" RENAME VALUE 'STAFF' TO 'EMPLOYEE';"#,
    ),
    (
        DROP_NAME_DEFAULT,
        r#"ALTER TABLE "User" ALTER COLUMN "name" DROP DEFAULT;"#,
    ),
    (
        DROP_NICK_DEFAULT,
        r#"ALTER TABLE "User" ALTER COLUMN "nick" DROP DEFAULT;"#,
    ),
];

/// (migration, check name, the previous release's SQL, the SQLSTATE it fails with after the
/// forward migration, or `None` where it must keep working).
const PREVIOUS_RELEASE: &[(&str, &str, &str, Option<&str>)] = &[
    (
        DROP_AGE,
        "previous release selects User.age",
        r#"SELECT "id", "age" FROM "User""#,
        Some("42703"),
    ),
    (
        RENAME_EMAIL,
        "previous release selects User.email",
        r#"SELECT "id", "email" FROM "User""#,
        Some("42703"),
    ),
    (
        DROP_COMMENT,
        "previous release lists comments",
        r#"SELECT "id", "body" FROM "Comment""#,
        Some("42P01"),
    ),
    (
        RENAME_POST,
        "previous release lists posts",
        r#"SELECT "id", "title" FROM "Post""#,
        Some("42P01"),
    ),
    (
        RENAME_STAFF,
        "previous release lists staff",
        r#"SELECT "id" FROM "User" WHERE "role" = 'STAFF'"#,
        Some("22P02"),
    ),
    (
        DROP_NAME_DEFAULT,
        "previous release creates a user without a name",
        r#"INSERT INTO "User" ("id") VALUES ('new-user')"#,
        Some("23502"),
    ),
    (
        DROP_NICK_DEFAULT,
        "previous release creates a user without a nick",
        r#"INSERT INTO "User" ("id", "name") VALUES ('new-user', 'New')"#,
        None,
    ),
];

fn compat() -> &'static Outcome {
    static CELL: OnceLock<Outcome> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut script = String::from("migrations = \"migrations\"\n");
        for (migration, name, sql, fails) in PREVIOUS_RELEASE {
            let expect = if fails.is_some() { "fail" } else { "succeed" };
            // A TOML basic string: the SQL quotes identifiers with `"`.
            let sql = format!("\"{}\"", sql.replace('\\', "\\\\").replace('"', "\\\""));
            script.push_str(&format!(
                "\n[[check]]\nname = \"{name}\"\nsql = {sql}\nafter = [\"forward\", \"reapply\"]\n\
                 migration = \"{migration}\"\nexpect = \"{expect}\"\n\
                 \n[[check]]\nname = \"{name}, after the undo\"\nsql = {sql}\nafter = [\"undo\"]\n\
                 migration = \"{migration}\"\n"
            ));
        }
        Outcome::of(COMPAT_HISTORY, Some(&script), "batch", &[], None)
    })
}

// ---------------------------------------------------------------------------------------------
// Columns

/// A volatile default is computed for every row: the table and its indexes are rewritten
/// under ACCESS EXCLUSIVE. A constant default is stored once in the catalog (PostgreSQL ≥ 11):
/// no rewrite, even for a NOT NULL column.
#[test]
fn add_column_rewrites_table() {
    let o = lock_history();
    o.assert_reports(
        VOLATILE_DEFAULT,
        1,
        "add-column-rewrites-table",
        "ADD COLUMN \"token\"",
    );
    let add = o.statement(VOLATILE_DEFAULT, 1);
    assert!(rewrote(add).contains(&"\"User\""), "{add}");
    assert!(rewrote(add).contains(&"\"User_pkey\""), "{add}");
    assert_eq!(
        strongest_lock(add, "\"User\""),
        "AccessExclusiveLock",
        "{add}"
    );

    o.assert_quiet(CONSTANT_DEFAULT, "add-column-rewrites-table");
    o.assert_quiet(CONSTANT_DEFAULT, "add-column-not-null-without-default");
    let constant = o.statement(CONSTANT_DEFAULT, 1);
    assert_eq!(constant["rewrote"], serde_json::json!([]), "{constant}");
    assert_eq!(constant["scanned"], serde_json::json!([]), "{constant}");
}

/// A type change that is not binary-coercible rewrites the table and every index on it; a
/// wider `VARCHAR` only changes the catalog.
#[test]
fn alter_column_type_rewrites_table() {
    let o = lock_history();
    o.assert_reports(
        AGE_BIGINT,
        1,
        "alter-column-type-rewrites-table",
        "TYPE BIGINT",
    );
    let alter = o.statement(AGE_BIGINT, 1);
    assert!(rewrote(alter).contains(&"\"User\""), "{alter}");
    assert!(rewrote(alter).contains(&"\"User_pkey\""), "{alter}");
    assert_eq!(
        strongest_lock(alter, "\"User\""),
        "AccessExclusiveLock",
        "{alter}"
    );

    o.assert_quiet(TITLE_WIDER, "alter-column-type-rewrites-table");
    let wider = o.statement(TITLE_WIDER, 1);
    assert_eq!(wider["rewrote"], serde_json::json!([]), "{wider}");
}

/// `SET NOT NULL` reads every row under ACCESS EXCLUSIVE. The safe form (a CHECK added NOT
/// VALID, validated in a later migration under SHARE UPDATE EXCLUSIVE) lets PostgreSQL ≥ 12
/// skip the scan: the final `SET NOT NULL` reads nothing.
#[test]
fn set_not_null_scans_table() {
    let o = lock_history();
    o.assert_reports(REQUIRE_EMAIL, 1, "set-not-null-scans-table", "SET NOT NULL");
    let require = o.statement(REQUIRE_EMAIL, 1);
    assert_eq!(
        require["scanned"],
        serde_json::json!(["\"User\""]),
        "{require}"
    );
    assert_eq!(
        strongest_lock(require, "\"User\""),
        "AccessExclusiveLock",
        "{require}"
    );

    // The safe sequence.
    let add = o.statement(NAME_CHECK_NOT_VALID, 1);
    assert_eq!(add["scanned"], serde_json::json!([]), "{add}");
    let validate = o.statement(VALIDATE_NAME_CHECK, 1);
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
    o.assert_quiet(REQUIRE_NAME, "set-not-null-scans-table");
    let require = o.statement(REQUIRE_NAME, 1);
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
    let o = seeded();
    o.assert_reports(
        PHONE_REQUIRED,
        1,
        "add-column-not-null-without-default",
        "ADD COLUMN \"phone\" TEXT NOT NULL",
    );
    assert_eq!(o.code, EXIT_FAILED, "{}", o.drill);
    let required = o.migration(PHONE_REQUIRED);
    let forward = phase(required, "forward");
    assert_eq!(forward["status"], "error", "{forward}");
    assert_eq!(forward["code"], "23502", "{forward}");
    assert_eq!(
        required["data"]["forward_failure"], "only_with_data",
        "{required}"
    );

    // With a default the same column passes over the same rows, seeded before it.
    o.assert_quiet(NICKNAME_WITH_DEFAULT, "add-column-not-null-without-default");
    let with_default = o.migration(NICKNAME_WITH_DEFAULT);
    assert_eq!(
        with_default["data"]["seeded"],
        serde_json::json!([{"table": "\"User\"", "rows": 10}]),
        "{with_default}"
    );
    assert_eq!(with_default["result"], "passed", "{with_default}");
    assert_eq!(phase(with_default, "forward")["status"], "passed");
}

// ---------------------------------------------------------------------------------------------
// Indexes

/// A plain index build holds SHARE on the table (writes wait, reads go on) while it reads the
/// whole table. `CONCURRENTLY`, alone in its file, runs outside any transaction block and
/// holds no lock that blocks writes.
#[test]
fn create_index_without_concurrently() {
    let o = lock_history();
    o.assert_reports(
        EMAIL_INDEX,
        1,
        "create-index-without-concurrently",
        "CREATE INDEX \"User_email_idx\"",
    );
    let build = o.statement(EMAIL_INDEX, 1);
    assert_eq!(strongest_lock(build, "\"User\""), "ShareLock", "{build}");
    assert_eq!(build["scanned"], serde_json::json!(["\"User\""]), "{build}");
    assert_eq!(build["in_transaction"], true, "{build}");

    o.assert_quiet(NAME_INDEX_CONCURRENTLY, "create-index-without-concurrently");
    o.assert_quiet(NAME_INDEX_CONCURRENTLY, "non-transactional-in-transaction");
    let concurrent = o.statement(NAME_INDEX_CONCURRENTLY, 1);
    assert_eq!(concurrent["in_transaction"], false, "{concurrent}");
    assert_eq!(concurrent["failed"], false, "{concurrent}");
}

/// `DROP INDEX` locks the table itself ACCESS EXCLUSIVE: reads queue too. `DROP INDEX
/// CONCURRENTLY`, alone in its file, runs outside a transaction block.
#[test]
fn drop_index_without_concurrently() {
    let o = lock_history();
    o.assert_reports(
        DROP_NAME_INDEX,
        1,
        "drop-index-without-concurrently",
        "DROP INDEX \"User_name_idx\"",
    );
    let drop = o.statement(DROP_NAME_INDEX, 1);
    assert_eq!(
        strongest_lock(drop, "\"User\""),
        "AccessExclusiveLock",
        "{drop}"
    );

    o.assert_quiet(
        DROP_AUTHOR_INDEX_CONCURRENTLY,
        "drop-index-without-concurrently",
    );
    let concurrent = o.statement(DROP_AUTHOR_INDEX_CONCURRENTLY, 1);
    assert_eq!(concurrent["in_transaction"], false, "{concurrent}");
    assert_eq!(concurrent["failed"], false, "{concurrent}");
}

/// `REINDEX` rebuilds the index (a new file) holding SHARE on the table, so writes wait, and
/// ACCESS EXCLUSIVE on the index, so every query planning to use it waits too.
#[test]
fn reindex_without_concurrently() {
    let o = lock_history();
    o.assert_reports(
        REINDEX_EMAIL,
        1,
        "reindex-without-concurrently",
        "REINDEX INDEX",
    );
    let reindex = o.statement(REINDEX_EMAIL, 1);
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

    o.assert_quiet(REINDEX_EMAIL_CONCURRENTLY, "reindex-without-concurrently");
    let concurrent = o.statement(REINDEX_EMAIL_CONCURRENTLY, 1);
    assert_eq!(concurrent["in_transaction"], false, "{concurrent}");
    assert_eq!(concurrent["failed"], false, "{concurrent}");
}

// ---------------------------------------------------------------------------------------------
// Constraints

/// A foreign key validated at once locks both tables SHARE ROW EXCLUSIVE (writes to either
/// wait) while it reads the referencing table. NOT VALID takes the same brief locks without
/// reading anything; the later VALIDATE reads under SHARE UPDATE EXCLUSIVE, which writes pass,
/// and only ROW SHARE on the referenced table.
#[test]
fn add_foreign_key_without_not_valid() {
    let o = lock_history();
    o.assert_reports(
        POST_AUTHOR_FKEY,
        1,
        "add-foreign-key-without-not-valid",
        "FOREIGN KEY",
    );
    let fkey = o.statement(POST_AUTHOR_FKEY, 1);
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
        COMMENT_AUTHOR_FKEY_NOT_VALID,
        "add-foreign-key-without-not-valid",
    );
    let not_valid = o.statement(COMMENT_AUTHOR_FKEY_NOT_VALID, 1);
    assert_eq!(not_valid["scanned"], serde_json::json!([]), "{not_valid}");
    assert_eq!(
        strongest_lock(not_valid, "\"Comment\""),
        "ShareRowExclusiveLock",
        "{not_valid}"
    );
    let validate = o.statement(VALIDATE_COMMENT_AUTHOR_FKEY, 1);
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
        AGE_CHECK,
        1,
        "add-check-without-not-valid",
        "CHECK (\"age\" > 0)",
    );
    let check = o.statement(AGE_CHECK, 1);
    assert_eq!(check["scanned"], serde_json::json!(["\"User\""]), "{check}");
    assert_eq!(
        strongest_lock(check, "\"User\""),
        "AccessExclusiveLock",
        "{check}"
    );

    o.assert_quiet(NAME_CHECK_NOT_VALID, "add-check-without-not-valid");
    let not_valid = o.statement(NAME_CHECK_NOT_VALID, 1);
    assert_eq!(not_valid["scanned"], serde_json::json!([]), "{not_valid}");
}

/// `ADD CONSTRAINT … UNIQUE` builds its index (a new relation) while holding ACCESS EXCLUSIVE
/// on the table and reading all of it. Built CONCURRENTLY first, the constraint `USING
/// INDEX` builds and reads nothing.
#[test]
fn add_unique_constraint_builds_index() {
    let o = lock_history();
    o.assert_reports(
        EMAIL_UNIQUE,
        1,
        "add-unique-constraint-builds-index",
        "UNIQUE (\"email\")",
    );
    let unique = o.statement(EMAIL_UNIQUE, 1);
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

    let concurrent = o.statement(SLUG_INDEX_CONCURRENTLY, 1);
    assert_eq!(concurrent["in_transaction"], false, "{concurrent}");
    o.assert_quiet(
        SLUG_UNIQUE_USING_INDEX,
        "add-unique-constraint-builds-index",
    );
    let using = o.statement(SLUG_UNIQUE_USING_INDEX, 1);
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
        VALIDATE_SAME_FILE,
        2,
        "validate-in-same-transaction",
        "VALIDATE CONSTRAINT",
    );
    let add = batch.statement(VALIDATE_SAME_FILE, 1);
    assert_eq!(
        strongest_lock(add, "\"User\""),
        "AccessExclusiveLock",
        "{add}"
    );
    let validate = batch.statement(VALIDATE_SAME_FILE, 2);
    assert_eq!(validate["in_transaction"], true, "{validate}");
    assert_eq!(validate["earlier_in_transaction"], 1, "{validate}");
    assert_eq!(
        validate["scanned"],
        serde_json::json!(["\"User\""]),
        "{validate}"
    );

    let split = transactions_split();
    split.assert_quiet(VALIDATE_SAME_FILE, "validate-in-same-transaction");
    let validate = split.statement(VALIDATE_SAME_FILE, 2);
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

// ---------------------------------------------------------------------------------------------
// Transactions

/// `CREATE INDEX CONCURRENTLY` after another statement of its file: batch mode sends the file
/// as one implicit transaction, and PostgreSQL refuses with 25001 (the whole file rolls back).
/// Split mode runs it on its own, outside a transaction block, and explain stays quiet.
#[test]
fn non_transactional_in_transaction() {
    let batch = concurrently_batch();
    batch.assert_reports(
        CONCURRENTLY_AFTER_DDL,
        2,
        "non-transactional-in-transaction",
        "CREATE INDEX CONCURRENTLY",
    );
    assert_eq!(batch.code, EXIT_FAILED, "{}", batch.drill);
    let forward = phase(batch.migration(CONCURRENTLY_AFTER_DDL), "forward");
    assert_eq!(forward["status"], "error", "{forward}");
    assert_eq!(forward["code"], "25001", "{forward}");
    assert_eq!(forward["line"], 2, "{forward}");
    assert!(
        text(&forward["effect"]).starts_with("rolled back"),
        "{forward}"
    );

    let split = concurrently_split();
    split.assert_quiet(CONCURRENTLY_AFTER_DDL, "non-transactional-in-transaction");
    assert_eq!(split.code, EXIT_PASSED, "{}", split.drill);
    let index = split.statement(CONCURRENTLY_AFTER_DDL, 2);
    assert_eq!(index["in_transaction"], false, "{index}");
    assert_eq!(index["failed"], false, "{index}");
}

/// An enum value added and used in one transaction: batch mode fails with 55P04 ("unsafe use
/// of new value"); split mode commits the ADD VALUE first and passes.
#[test]
fn enum_value_added_and_used() {
    let batch = transactions_batch();
    batch.assert_reports(
        ENUM_ADDED_AND_USED,
        1,
        "enum-value-added-and-used",
        "ADD VALUE 'ADMIN'",
    );
    assert_eq!(batch.code, EXIT_FAILED, "{}", batch.drill);
    let forward = phase(batch.migration(ENUM_ADDED_AND_USED), "forward");
    assert_eq!(forward["status"], "error", "{forward}");
    assert_eq!(forward["code"], "55P04", "{forward}");
    assert_eq!(forward["line"], 2, "{forward}");

    let split = transactions_split();
    split.assert_quiet(ENUM_ADDED_AND_USED, "enum-value-added-and-used");
    assert_eq!(split.code, EXIT_PASSED, "{}", split.drill);
    let migration = split.migration(ENUM_ADDED_AND_USED);
    assert_eq!(
        phase(migration, "forward")["status"],
        "passed",
        "{migration}"
    );
}

/// A backfill in the transaction of the DDL before it runs under that DDL's lock: in batch
/// mode the UPDATE comes after the ACCESS EXCLUSIVE `ADD COLUMN` in the same transaction, so
/// that lock is held for the whole backfill. In split mode the ADD COLUMN has committed first,
/// and the UPDATE holds only ROW EXCLUSIVE (reads and other writes go on).
#[test]
fn backfill_holding_ddl_lock() {
    let batch = transactions_batch();
    batch.assert_reports(
        BACKFILL_SAME_FILE,
        2,
        "backfill-holding-ddl-lock",
        "UPDATE \"User\"",
    );
    let add = batch.statement(BACKFILL_SAME_FILE, 1);
    assert_eq!(
        strongest_lock(add, "\"User\""),
        "AccessExclusiveLock",
        "{add}"
    );
    let update = batch.statement(BACKFILL_SAME_FILE, 2);
    assert_eq!(update["in_transaction"], true, "{update}");
    assert_eq!(update["earlier_in_transaction"], 1, "{update}");
    assert!(scanned(update).contains(&"\"User\""), "{update}");

    let split = transactions_split();
    split.assert_quiet(BACKFILL_SAME_FILE, "backfill-holding-ddl-lock");
    let update = split.statement(BACKFILL_SAME_FILE, 2);
    assert_eq!(update["earlier_in_transaction"], 0, "{update}");
    assert_eq!(
        strongest_lock(update, "\"User\""),
        "RowExclusiveLock",
        "{update}"
    );
}

// ---------------------------------------------------------------------------------------------
// Maintenance

/// `REFRESH MATERIALIZED VIEW` rebuilds the view (a new file) under ACCESS EXCLUSIVE: reads
/// of the view wait. `CONCURRENTLY` holds EXCLUSIVE, which reads pass, and rewrites nothing.
#[test]
fn refresh_materialized_view_without_concurrently() {
    let o = lock_history();
    o.assert_reports(
        REFRESH_STATS,
        1,
        "refresh-materialized-view-without-concurrently",
        "REFRESH MATERIALIZED VIEW \"UserStats\"",
    );
    let refresh = o.statement(REFRESH_STATS, 1);
    assert_eq!(
        strongest_lock(refresh, "\"UserStats\""),
        "AccessExclusiveLock",
        "{refresh}"
    );
    assert!(rewrote(refresh).contains(&"\"UserStats\""), "{refresh}");

    o.assert_quiet(
        REFRESH_STATS_CONCURRENTLY,
        "refresh-materialized-view-without-concurrently",
    );
    let concurrent = o.statement(REFRESH_STATS_CONCURRENTLY, 1);
    assert_eq!(
        strongest_lock(concurrent, "\"UserStats\""),
        "ExclusiveLock",
        "{concurrent}"
    );
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
    let o = lock_history();
    o.assert_reports(UNLOGGED_TAGS, 1, "whole-table-rewrite", "SET UNLOGGED");
    let unlogged = o.statement(UNLOGGED_TAGS, 1);
    assert_eq!(
        strongest_lock(unlogged, "\"Tag\""),
        "AccessExclusiveLock",
        "{unlogged}"
    );
    assert!(rewrote(unlogged).contains(&"\"Tag\""), "{unlogged}");
    assert!(rewrote(unlogged).contains(&"\"Tag_pkey\""), "{unlogged}");

    o.assert_reports(VACUUM_FULL_POSTS, 1, "whole-table-rewrite", "VACUUM FULL");
    let full = o.statement(VACUUM_FULL_POSTS, 1);
    assert_eq!(full["in_transaction"], false, "{full}");
    assert!(rewrote(full).contains(&"\"Post\""), "{full}");

    o.assert_quiet(VACUUM_POSTS, "whole-table-rewrite");
    let vacuum = o.statement(VACUUM_POSTS, 1);
    assert_eq!(vacuum["rewrote"], serde_json::json!([]), "{vacuum}");
}

/// Without `lock_timeout`, a migration waiting for ACCESS EXCLUSIVE behind a long transaction
/// makes every later query on the table queue behind it. That queue needs a second session
/// holding a lock, which a drill (one connection) does not have: the test asserts the closest
/// measurable facts, that the flagged statement does take ACCESS EXCLUSIVE on a table that
/// existed before, and that the safe form's `SET lock_timeout` is in effect on Prisma's
/// connection after the file ran (a drill script check; the drill's own default is 1min).
#[test]
fn missing_lock_timeout() {
    let o = lock_history();
    o.assert_reports(REQUIRE_EMAIL, 1, "missing-lock-timeout", "SET NOT NULL");
    let require = o.statement(REQUIRE_EMAIL, 1);
    let lock = array(&require["locks"])
        .iter()
        .find(|l| l["relation"] == "\"User\"" && l["mode"] == "AccessExclusiveLock")
        .unwrap_or_else(|| panic!("no ACCESS EXCLUSIVE on \"User\": {require}"));
    assert_eq!(lock["created"], false, "an existing table: {lock}");

    o.assert_quiet(WITH_LOCK_TIMEOUT, "missing-lock-timeout");
    let checks = array(&o.migration(WITH_LOCK_TIMEOUT)["checks"]);
    assert_eq!(checks.len(), 1, "{checks:?}");
    assert_eq!(checks[0]["passed"], true, "{checks:?}");
}

// ---------------------------------------------------------------------------------------------
// The previous release

/// Asserts that the previous release's query of `migration` fails after the forward
/// migration and its re-apply with `code`, and works after the undo (so it is valid SQL).
fn assert_previous_release_breaks(migration: &str, rule: &str, line: u64, statement: &str) {
    let o = compat();
    o.assert_reports(migration, line, rule, statement);
    let (_, name, _, code) = PREVIOUS_RELEASE
        .iter()
        .find(|(m, ..)| *m == migration)
        .expect("a previous-release query for the migration");
    let code = code.expect("a query that breaks");
    let m = o.migration(migration);
    // The drill itself passes (a dropped column comes back at the end of its table).
    assert!(text(&m["result"]).starts_with("passed"), "{m}");
    let checks = array(&m["checks"]);
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
    assert_previous_release_breaks(DROP_AGE, "drop-column", 1, "DROP COLUMN \"age\"");
}

#[test]
fn rename_column() {
    assert_previous_release_breaks(RENAME_EMAIL, "rename-column", 1, "RENAME COLUMN");
}

#[test]
fn drop_table() {
    assert_previous_release_breaks(DROP_COMMENT, "drop-table", 1, "DROP TABLE \"Comment\"");
}

#[test]
fn rename_table() {
    assert_previous_release_breaks(RENAME_POST, "rename-table", 1, "RENAME TO \"Article\"");
}

/// The previous release still reads (and writes) the old label: its query fails with 22P02
/// ("invalid input value for enum").
#[test]
fn rename_enum_value() {
    assert_previous_release_breaks(RENAME_STAFF, "rename-enum-value", 1, "RENAME VALUE");
}

/// The previous release inserts users leaving `name` to its database default; without the
/// default the insert fails the NOT NULL (23502). Dropping the default of a nullable column
/// is quiet, and the same insert keeps working.
#[test]
fn drop_default_of_not_null_column() {
    assert_previous_release_breaks(
        DROP_NAME_DEFAULT,
        "drop-default-of-not-null-column",
        1,
        "DROP DEFAULT",
    );
    let o = compat();
    o.assert_quiet(DROP_NICK_DEFAULT, "drop-default-of-not-null-column");
    let m = o.migration(DROP_NICK_DEFAULT);
    let checks = array(&m["checks"]);
    assert_eq!(checks.len(), 3, "{m}");
    assert!(checks.iter().all(|c| c["passed"] == true), "{m}");
}

// ---------------------------------------------------------------------------------------------
// Every rule is covered

#[test]
fn every_documented_rule_has_a_test_here() {
    let source = fs::read_to_string(manifest_dir().join("tests/hazards.rs")).unwrap();
    let mut rules: Vec<String> = fs::read_dir(manifest_dir().join("docs/rules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|f| f.strip_suffix(".md").map(str::to_string))
        .collect();
    rules.sort();
    assert_eq!(rules.len(), 23, "{rules:?}");
    for rule in rules {
        let test = format!("fn {}() {{", rule.replace('-', "_"));
        assert!(source.contains(&test), "no test {test} for rule {rule}");
    }
}

// ---------------------------------------------------------------------------------------------
// One history, explained and drilled

/// The reports of one history: `explain --format json` in the drill's apply mode, and the
/// drill's JSON report with its exit code.
struct Outcome {
    explain: Value,
    drill: Value,
    code: i32,
}

impl Outcome {
    /// Writes `history` (and `script`, whose `migrations` is `"migrations"`), explains it in
    /// `mode` and drills it in `mode` with `args`. The drill must pass (every migration passed
    /// or manual), or, given `stops_at`, fail with that migration's forward phase and stop.
    fn of(
        history: &[(&str, &str)],
        script: Option<&str>,
        mode: &str,
        args: &[&str],
        stops_at: Option<&str>,
    ) -> Outcome {
        let sandbox = Sandbox::new();
        let dir = sandbox.project().join("migrations");
        write_history(&dir, history);
        let explained = sandbox.output(&[
            "explain",
            arg(&dir),
            "--apply-mode",
            mode,
            "--format",
            "json",
        ]);
        assert_eq!(explained.code, EXIT_PASSED, "{explained}");
        let explain = explained.json();

        let target = match script {
            Some(text) => {
                let path = sandbox.project().join("drill.toml");
                fs::write(&path, text).unwrap();
                path
            }
            None => dir,
        };
        let mut all = vec![
            "drill",
            arg(&target),
            "--apply-mode",
            mode,
            "--format",
            "json",
        ];
        all.extend_from_slice(args);
        let drilled = sandbox.output(&all);
        let drill = drilled.json();
        assert_eq!(drill["passed"], stops_at.is_none(), "{drilled}");
        match stops_at {
            None => {
                assert_eq!(drilled.code, EXIT_PASSED, "{drilled}");
                for m in array(&drill["report"]["migrations"]) {
                    let result = text(&m["result"]);
                    assert!(result.starts_with("passed") || result == "manual", "{m}");
                }
                assert_eq!(drill["report"]["final_check"]["passed"], true, "{drilled}");
            }
            Some(name) => {
                assert_eq!(drilled.code, EXIT_FAILED, "{drilled}");
                let stopped = text(&drill["report"]["stopped"]);
                assert!(stopped.contains(name), "{drilled}");
            }
        }
        Outcome {
            explain,
            drill,
            code: drilled.code,
        }
    }

    /// The statement at `line` of `migration` in the explain report.
    fn explained(&self, migration: &str, line: u64) -> &Value {
        self.explained_statements(migration)
            .iter()
            .find(|s| s["location"]["line"] == line)
            .unwrap_or_else(|| panic!("explain has no statement at {migration}:{line}"))
    }

    fn explained_statements(&self, migration: &str) -> &Vec<Value> {
        let m = array(&self.explain["migrations"])
            .iter()
            .find(|m| m["name"] == migration)
            .unwrap_or_else(|| panic!("explain has no migration {migration}"));
        array(&m["statements"])
    }

    /// Explain reports `rule` for the statement at `line` of `migration`, which contains
    /// `sql`.
    fn assert_reports(&self, migration: &str, line: u64, rule: &str, sql: &str) {
        let statement = self.explained(migration, line);
        assert!(text(&statement["sql"]).contains(sql), "{statement}");
        assert!(rules(statement).contains(&rule), "no {rule}: {statement}");
    }

    /// Explain reports `rule` for no statement of `migration`.
    fn assert_quiet(&self, migration: &str, rule: &str) {
        for statement in self.explained_statements(migration) {
            assert!(!rules(statement).contains(&rule), "{rule}: {statement}");
        }
    }

    fn migration(&self, name: &str) -> &Value {
        array(&self.drill["report"]["migrations"])
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("{name} is not in the drill report: {}", self.drill))
    }

    /// The trace of the statement at `line` of `migration`'s forward phase.
    fn statement(&self, migration: &str, line: u64) -> &Value {
        let forward = phase(self.migration(migration), "forward");
        array(&forward["statements"])
            .iter()
            .find(|s| s["line"] == line)
            .unwrap_or_else(|| panic!("no traced statement at line {line}: {forward}"))
    }
}

/// The rule ids explain reports for one statement.
fn rules(statement: &Value) -> Vec<&str> {
    array(&statement["hazards"])
        .iter()
        .map(|h| text(&h["rule"]))
        .collect()
}

/// The strongest lock one traced statement took on an existing `relation`, "" if none.
fn strongest_lock<'a>(trace: &'a Value, relation: &str) -> &'a str {
    let rank = |m: &str| {
        unmigrate::drill::apply::LOCK_MODES
            .iter()
            .position(|x| *x == m)
            .expect("a lock mode")
    };
    array(&trace["locks"])
        .iter()
        .filter(|l| l["relation"] == relation && l["created"] == false)
        .map(|l| text(&l["mode"]))
        .max_by_key(|m| rank(m))
        .unwrap_or("")
}

/// Relations a traced statement created (locked while new).
fn created(trace: &Value) -> Vec<&str> {
    array(&trace["locks"])
        .iter()
        .filter(|l| l["created"] == true)
        .map(|l| text(&l["relation"]))
        .collect()
}

fn rewrote(trace: &Value) -> Vec<&str> {
    array(&trace["rewrote"]).iter().map(text).collect()
}

fn scanned(trace: &Value) -> Vec<&str> {
    array(&trace["scanned"]).iter().map(text).collect()
}

// ---------------------------------------------------------------------------------------------
// Running the binary
