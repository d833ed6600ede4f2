//! Data moves reversed (issue 13): the forward copied a column into one it added and then
//! emptied or dropped the original. On a real PostgreSQL with 1,000 rows per table (session
//! TimeZone Europe/Berlin), the undo `generate` writes moves the values back before it drops
//! the copy: every row gets its original value, NOT NULL and the unique index come back.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;
use common::query_strings;
use common::undo::{berlin_session, deploy, embedded_server, undo_files};

const INIT: &str = "20260101000000_init";
const FORWARD: &str = "20260102000000_move";

const INIT_SQL: &str = r#"CREATE TABLE "Visit" ("id" INTEGER PRIMARY KEY, "kind" TEXT NOT NULL, "owner_id" TEXT NOT NULL);
CREATE TYPE "Role" AS ENUM ('OWNER', 'MEMBER');
CREATE TABLE "Member" ("id" INTEGER PRIMARY KEY, "role" "Role" NOT NULL, "legacy" TEXT NOT NULL);
CREATE UNIQUE INDEX "Member_legacy_key" ON "Member"("legacy");
"#;

const FORWARD_SQL: &str = r#"ALTER TABLE "Visit" ADD COLUMN "visitor_id" TEXT;
ALTER TABLE "Visit" ALTER COLUMN "owner_id" DROP NOT NULL;
UPDATE "Visit" SET "visitor_id" = "owner_id", "owner_id" = NULL WHERE "kind" = 'guest';
ALTER TABLE "Member" ADD COLUMN "role_temp" TEXT;
ALTER TABLE "Member" ADD COLUMN "legacy_copy" TEXT;
UPDATE "Member" SET "role_temp" = "role"::text;
UPDATE "Member" SET "legacy_copy" = "legacy";
ALTER TABLE "Member" DROP COLUMN "role";
ALTER TABLE "Member" DROP COLUMN "legacy";
ALTER TABLE "Member" RENAME COLUMN "role_temp" TO "role";
"#;

const ROWS: &str = r#"INSERT INTO "Visit"
    SELECT i, CASE WHEN i % 3 = 0 THEN 'guest' ELSE 'owner' END, 'user-' || i
    FROM generate_series(1, 1000) AS i;
INSERT INTO "Member"
    SELECT i, CASE WHEN i % 4 = 0 THEN 'OWNER' ELSE 'MEMBER' END::"Role", 'legacy-' || i
    FROM generate_series(1, 1000) AS i;
CREATE TABLE "original_visit" AS SELECT * FROM "Visit";
CREATE TABLE "original_member" AS SELECT * FROM "Member";
"#;

#[test]
fn moved_values_come_back_before_the_copy_is_dropped_on_1000_rows() {
    let dir = tempfile::tempdir().unwrap();
    let undo = undo_files(
        &dir.path().join("migrations"),
        &[(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)],
    );
    let text = undo.join("\n");
    for expected in [
        "UPDATE \"Visit\" SET owner_id = visitor_id WHERE owner_id IS NULL AND visitor_id IS NOT NULL;",
        "UPDATE \"Member\" SET role = role_temp::\"Role\" WHERE role_temp IS NOT NULL;",
        "UPDATE \"Member\" SET legacy = legacy_copy WHERE legacy_copy IS NOT NULL;",
    ] {
        assert!(text.contains(expected), "{expected}\n{text}");
    }

    let server = embedded_server();
    let (db, mut client) = berlin_session(&server);
    client.batch_execute(INIT_SQL).unwrap();
    client.batch_execute(ROWS).unwrap();
    client.batch_execute(FORWARD_SQL).unwrap();
    let emptied = query_strings(
        &mut client,
        r#"SELECT count(*)::text FROM "Visit" WHERE "owner_id" IS NULL"#,
    );
    assert_eq!(emptied, ["333"], "the forward emptied the guests' owner_id");
    deploy(&mut client, &undo);

    let same = |client: &mut postgres::Client, table: &str, original: &str, column: &str| {
        query_strings(
            client,
            &format!(
                r#"SELECT count(*)::text FROM "{table}" t JOIN "{original}" o USING ("id")
                   WHERE t."{column}" = o."{column}""#
            ),
        )
    };
    assert_eq!(
        same(&mut client, "Visit", "original_visit", "owner_id"),
        ["1000"]
    );
    assert_eq!(
        same(&mut client, "Member", "original_member", "role"),
        ["1000"]
    );
    assert_eq!(
        same(&mut client, "Member", "original_member", "legacy"),
        ["1000"]
    );
    let columns = query_strings(
        &mut client,
        "SELECT string_agg(table_name || '.' || column_name || ' ' || is_nullable, ', ' \
         ORDER BY table_name, column_name) \
         FROM information_schema.columns WHERE table_name IN ('Visit', 'Member')",
    );
    assert_eq!(
        columns,
        ["Member.id NO, Member.legacy NO, Member.role NO, Visit.id NO, Visit.kind NO, Visit.owner_id NO"]
    );
    let index = query_strings(
        &mut client,
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'Member_legacy_key'",
    );
    assert_eq!(
        index,
        [r#"CREATE UNIQUE INDEX "Member_legacy_key" ON public."Member" USING btree (legacy)"#]
    );
    db.destroy().unwrap();
}
