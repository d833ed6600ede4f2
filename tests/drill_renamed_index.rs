//! An index and a constraint dropped and created again identically under another name are
//! undone by renames (issue 13): on a real PostgreSQL with 1,000 rows (and a session TimeZone
//! other than UTC) the undo brings back the old names with the same definitions, and builds
//! nothing: the index keeps the storage the forward built (same relfilenode).

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;
use common::query_strings;
use common::undo::{berlin_session, deploy, embedded_server, undo_files};

const INIT: &str = "20260101000000_init";
const FORWARD: &str = "20260102000000_rename_keys";

const INIT_SQL: &str = r#"CREATE TABLE "User" ("id" INTEGER PRIMARY KEY, "email" TEXT NOT NULL);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE TABLE "Post" ("id" INTEGER PRIMARY KEY, "authorId" INTEGER NOT NULL);
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
"#;

const FORWARD_SQL: &str = r#"-- DropForeignKey
ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";

-- DropIndex
DROP INDEX "User_email_key";

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "User"("email");

-- AddForeignKey
ALTER TABLE "Post" ADD CONSTRAINT "posts_author_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
"#;

const INDEXES: &str = r#"SELECT string_agg(indexdef, '; ' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'User'"#;
const CONSTRAINTS: &str = r#"SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated, '; ' ORDER BY conname) FROM pg_constraint WHERE conrelid = '"Post"'::regclass"#;
const EMAIL_INDEX_STORAGE: &str = r#"SELECT relfilenode::text FROM pg_class WHERE relname IN ('User_email_key', 'users_email_key')"#;

#[test]
fn identical_index_and_constraint_under_new_names_are_renamed_back_on_1000_rows() {
    let dir = tempfile::tempdir().unwrap();
    let undo = undo_files(
        &dir.path().join("migrations"),
        &[(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)],
    );
    let text = undo.join("\n");
    assert!(
        text.contains(r#"ALTER INDEX users_email_key RENAME TO "User_email_key";"#),
        "{text}"
    );
    assert!(
        text.contains(r#"RENAME CONSTRAINT posts_author_fkey TO "Post_authorId_fkey";"#),
        "{text}"
    );
    let statements: Vec<&str> = text.lines().filter(|l| !l.starts_with("--")).collect();
    assert!(
        !statements
            .iter()
            .any(|l| l.contains("CREATE UNIQUE INDEX") || l.contains("ADD CONSTRAINT")),
        "{text}"
    );

    let server = embedded_server();
    let (db, mut client) = berlin_session(&server);
    client.batch_execute(INIT_SQL).unwrap();
    client
        .batch_execute(
            r#"INSERT INTO "User" SELECT i, 'user-' || i || '@example.com' FROM generate_series(1, 1000) AS i;
               INSERT INTO "Post" SELECT i, 1 + i % 1000 FROM generate_series(1, 1000) AS i"#,
        )
        .unwrap();
    let indexes_before = query_strings(&mut client, INDEXES);
    let constraints_before = query_strings(&mut client, CONSTRAINTS);
    client.batch_execute(FORWARD_SQL).unwrap();
    let storage_forward = query_strings(&mut client, EMAIL_INDEX_STORAGE);
    deploy(&mut client, &undo);
    assert_eq!(query_strings(&mut client, INDEXES), indexes_before);
    assert_eq!(query_strings(&mut client, CONSTRAINTS), constraints_before);
    // Renamed, not rebuilt: the index is the one the forward built.
    assert_eq!(
        query_strings(&mut client, EMAIL_INDEX_STORAGE),
        storage_forward
    );
    db.destroy().unwrap();
}
