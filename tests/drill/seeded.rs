//! Seeded drills: synthetic rows, and which of them each undo keeps.

use super::*;

// ---------------------------------------------------------------------------------------------
// Seeded data

const SEEDED_USERS: &str = include_str!("fixtures/seeded_users.sql");

#[test]
fn a_drop_column_undo_loses_exactly_the_column_it_announced() {
    const DROP: &str = "20260302090000_drop_user_nickname";
    let report = passed_report(&["tests/drills/drop_column/migrations", "--seed-rows", "30"]);
    let dropped = migration(&report, DROP);
    assert_eq!(dropped["result"], "passed_column_order_only", "{dropped}");
    let data = data_of(dropped);
    assert_eq!(array(&data["unannounced"]).len(), 0, "{data}");
    let announced = array(&data["announced"]);
    assert_eq!(announced.len(), 1, "{data}");
    assert_eq!(announced[0]["after"], "undo");
    // Names unquoted, with their schema beside them.
    assert_eq!(announced[0]["table"], "User");
    assert_eq!(announced[0]["schema"], "public");
    assert_eq!(announced[0]["column"], "nickname");
    // Seeded once, before the first migration in scope, when "User" did not exist yet; the
    // drop's round of seeding then filled it.
    let init = data_of(migration(&report, "20260301090000_init"));
    assert_eq!(array(&init["seeded"]).len(), 0, "{init}");
    assert_eq!(
        data["seeded"],
        serde_json::json!([{"table": "User", "schema": "public", "rows": 30}])
    );
}

#[test]
fn a_committed_undo_that_loses_rows_it_does_not_announce_fails_in_every_format() {
    let sandbox = Sandbox::new();
    let dir = sandbox.history(&[
        ("20260301090000_init", SEEDED_USERS),
        (
            "20260302090000_add_user_age",
            r#"ALTER TABLE "User" ADD COLUMN "age" INTEGER;"#,
        ),
        (
            "20260303090000_undo_add_user_age",
            "-- unmigrate: undo of 20260302090000_add_user_age\n\
                 -- Wrong on purpose: it deletes users as well as the column.\n\
                 DELETE FROM \"User\" WHERE \"id\" LIKE '%5';\n\
                 ALTER TABLE \"User\" DROP COLUMN \"age\";\n",
        ),
    ]);
    let args = |format: &'static str| [arg(&dir), "--seed-rows", "30", "--format", format];

    let report = sandbox.drill(&args("json")).failed_json();
    let added = migration(&report, "20260302090000_add_user_age");
    assert_eq!(added["result"], "failed", "{added}");
    // The schema came back exactly: only the data check fails it.
    assert_eq!(phase(added, "undo")["status"], "passed", "{added}");
    let unannounced = array(&data_of(added)["unannounced"]);
    assert!(
        unannounced.iter().any(|c| c["after"] == "undo"
            && c["table"] == "User"
            && c["column"].is_null()
            && c["change"] == "rows 30 → 27"),
        "{added}"
    );

    let human = sandbox.drill(&args("human"));
    assert_eq!(human.code, EXIT_FAILED, "{human}");
    assert!(
        human
            .stdout
            .contains("undo lost data it did not announce: \"User\": rows 30 → 27"),
        "{human}"
    );
    let junit = sandbox.drill(&args("junit"));
    assert!(
        junit_failures(&junit.stdout)
            .iter()
            .any(|(class, name, message)| {
                class == "20260302090000_add_user_age"
                    && name == "data survival"
                    && message.starts_with("undo lost data it did not announce")
            }),
        "{junit}"
    );
    let markdown = sandbox.drill(&args("markdown"));
    assert!(
        markdown
            .stdout
            .contains("**undo lost data it did not announce: \"User\": rows 30 → 27"),
        "{markdown}"
    );
}

/// Writes the seeded users' table, then the migration `name` (`sql`), and drills the history
/// over 10 seeded rows a table: the drill fails, at `name`'s forward migration with SQLSTATE
/// `code`, a failure only the data causes. The sandbox, the history, and `name`'s report.
fn fails_over_seeded_rows(name: &str, sql: &str, code: &str) -> (Sandbox, PathBuf, Value) {
    let sandbox = Sandbox::new();
    let dir = sandbox.history(&[("20260301090000_init", SEEDED_USERS), (name, sql)]);
    let report = sandbox
        .drill(&[arg(&dir), "--seed-rows", "10", "--format", "json"])
        .failed_json();
    let failed = migration(&report, name).clone();
    assert_eq!(phase(&failed, "forward")["code"], code, "{failed}");
    assert_eq!(data_of(&failed)["forward_failure"], "only_with_data");
    (sandbox, dir, failed)
}

#[test]
fn set_not_null_over_null_rows_fails_only_when_seeded() {
    const REQUIRE: &str = "20260302090000_require_nickname";
    let (sandbox, dir, required) = fails_over_seeded_rows(
        REQUIRE,
        r#"ALTER TABLE "User" ALTER COLUMN "nickname" SET NOT NULL;"#,
        "23502",
    );
    assert_eq!(required["result"], "failed");
    failed_phase(&required, "forward", "23502");

    let empty = sandbox
        .drill(&[arg(&dir), "--format", "json"])
        .passed_json();
    let required = migration(&empty, REQUIRE);
    assert_eq!(required["result"], "passed");
    assert!(required.get("data").is_none(), "{required}");

    let human = sandbox.drill(&[arg(&dir), "--seed-rows", "10"]);
    assert!(
        human.stdout.contains("forward fails only with data"),
        "{human}"
    );
}

/// A unique index over plain columns that a later migration adds gets distinct values from
/// the seeder (it follows the history's keys, see `rows::hints`); one over an expression
/// still meets the seeder's duplicates, as production data would.
#[test]
fn a_unique_index_over_duplicates_fails_when_seeded() {
    fails_over_seeded_rows(
        "20260302090000_unique_nickname",
        r#"CREATE UNIQUE INDEX "User_nickname_key" ON "User"(lower("nickname"));"#,
        "23505",
    );
}

/// Parents are seeded before children, a NOT NULL foreign key points at existing rows, a
/// nullable self-reference is NULL, a CHECK of a solved shape is met (`BETWEEN`), and a CHECK
/// of a shape the seeder does not solve, which NULL does not meet either, leaves its table
/// empty with the constraint and PostgreSQL's error in the report.
#[test]
fn seeding_follows_foreign_keys_and_reports_tables_it_cannot_fill() {
    let sandbox = Sandbox::new();
    sandbox.history(&[
            (
                "20260301090000_init",
                r#"CREATE TYPE "Mood" AS ENUM ('HAPPY', 'SAD');
CREATE TABLE "Post" (
    "id" SERIAL PRIMARY KEY,
    "authorId" TEXT NOT NULL,
    "parentId" INTEGER REFERENCES "Post" ("id"),
    "rating" INTEGER CHECK ("rating" BETWEEN 1 AND 5),
    "mood" "Mood" NOT NULL,
    "tags" TEXT[],
    "meta" JSONB,
    "price" DECIMAL(6, 2) NOT NULL,
    "slug" VARCHAR(8) NOT NULL UNIQUE,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "key" UUID NOT NULL
);
CREATE TABLE "User" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "active" BOOLEAN NOT NULL,
    "born" DATE
);
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id");
CREATE TABLE "Code" ("code" TEXT NOT NULL CHECK ("code" ~ '^[A-Z]$'));
"#,
            ),
            (
                "20260302090000_index_posts",
                r#"CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");"#,
            ),
    ]);
    let script = sandbox.script(
        r#"migrations = "migrations"
seed = { rows = 40 }

[[check]]
name = "every post has an author"
sql = 'SELECT 1 / (count(*) = 40)::int FROM "Post" p JOIN "User" u ON u."id" = p."authorId"'
migration = "20260302090000"

[[check]]
name = "self-references are NULL"
sql = 'SELECT 1 / (count(*) = 0)::int FROM "Post" WHERE "parentId" IS NOT NULL'
migration = "20260302090000"

[[check]]
name = "ratings are set, within their CHECK"
sql = 'SELECT 1 / (count(*) > 0)::int FROM "Post" WHERE "rating" BETWEEN 1 AND 5'
migration = "20260302090000"
"#,
    );
    let report = sandbox
        .drill(&[arg(&script), "--last", "1", "--format", "json"])
        .passed_json();
    let indexed = migration(&report, "20260302090000_index_posts");
    assert!(
        array(&indexed["checks"])
            .iter()
            .all(|c| c["passed"] == true),
        "{indexed}"
    );
    let data = data_of(indexed);
    let seeded: Vec<&str> = array(&data["seeded"])
        .iter()
        .map(|s| text(&s["table"]))
        .collect();
    assert_eq!(seeded, ["User", "Post"], "parents first: {data}");
    let not_seeded = array(&data["not_seeded"]);
    assert_eq!(not_seeded.len(), 1, "{data}");
    assert_eq!(not_seeded[0]["table"], "Code");
    assert_eq!(not_seeded[0]["schema"], "public");
    assert_eq!(not_seeded[0]["code"], "23514");
    let message = text(&not_seeded[0]["message"]);
    assert!(
        message.contains("CHECK constraint \"Code_code_check\"")
            && message.contains("shape the seeder does not solve"),
        "{message}"
    );
}
