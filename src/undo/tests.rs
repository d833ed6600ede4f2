//! Unit tests of the rule engine: undo statements written without the deparser read back as
//! it writes them, and lossy undos announce the data they lose.

use super::*;
use crate::sql;

/// Statements written without the deparser (see `sql::deparse`) must read exactly as the
/// deparser would write them: checked for every such undo statement of the real histories.
#[test]
fn corpus_undo_statements_read_as_the_deparser_writes_them() {
    let corpora: Vec<_> = ["langfuse", "triggerdev"]
        .into_iter()
        .filter_map(crate::corpus::for_test)
        .collect();
    if corpora.is_empty() {
        return;
    }
    let mut written = 0;
    for dir in corpora {
        let history = crate::migrations::read_history(&dir).expect("corpus history reads");
        let mut catalog = Catalog::default();
        for migration in &history.migrations {
            let statements = sql::parse_file(&migration.sql_path, &migration.sql)
                .expect("corpus migration parses");
            let nodes = statements.into_iter().map(|s| s.node).collect();
            for undo in undo_migration(&mut catalog, nodes) {
                for node in undo.statements.into_iter().filter_map(|s| s.pending) {
                    if let Some(text) = sql::plain::write(&node) {
                        assert_eq!(Ok(text), sql::deparse_tree(*node).0, "{}", migration.name);
                        written += 1;
                    }
                }
            }
        }
    }
    assert!(written > 0);
}

/// The undos of `forward` after `earlier`, each statement's in order.
fn undos(earlier: &str, forward: &str) -> Vec<Undo> {
    let mut catalog = Catalog::default();
    let parse = |text: &str| -> Vec<NodeEnum> {
        sql::parse_file(std::path::Path::new("case.sql"), text)
            .expect("parses")
            .into_iter()
            .map(|s| s.node)
            .collect()
    };
    undo_migration(&mut catalog, parse(earlier));
    undo_migration(&mut catalog, parse(forward))
}

fn table(name: &str) -> QName {
    QName::new("", name)
}

fn column(t: &str, c: &str) -> DataLoss {
    DataLoss::Column {
        table: table(t),
        column: c.into(),
    }
}

/// Every lossy rule says, in data, what its reason says in words.
#[test]
fn lossy_undos_announce_the_data_they_lose() {
    let earlier = r#"
CREATE TABLE "User" ("id" text PRIMARY KEY, "email" text, "nick" varchar(5));
CREATE TABLE "Post" ("id" text PRIMARY KEY,
  "authorId" text REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "editorId" text REFERENCES "User" ("id") ON DELETE SET NULL);
CREATE TABLE "Like" ("postId" text REFERENCES "Post" ("id") ON DELETE CASCADE);
"#;
    let cases: Vec<(&str, Vec<DataLoss>)> = vec![
        (
            r#"ALTER TABLE "User" DROP COLUMN "nick";"#,
            vec![column("User", "nick")],
        ),
        (
            r#"ALTER TABLE "User" ADD COLUMN "age" int;"#,
            vec![column("User", "age")],
        ),
        (
            r#"ALTER TABLE "User" ALTER COLUMN "nick" TYPE text;"#,
            vec![column("User", "nick")],
        ),
        (
            r#"CREATE TABLE "Job" ("id" int);"#,
            vec![DataLoss::Table {
                table: table("Job"),
            }],
        ),
        (
            r#"DROP TABLE "Like";"#,
            vec![DataLoss::Table {
                table: table("Like"),
            }],
        ),
        (
            r#"UPDATE "User" SET "email" = lower("email");"#,
            vec![column("User", "email")],
        ),
        (
            r#"UPDATE "User" SET "id" = upper("id");"#,
            vec![column("User", "id"), column("Post", "authorId")],
        ),
        (
            r#"DELETE FROM "User" WHERE "id" = 'x';"#,
            vec![
                DataLoss::Rows {
                    table: table("User"),
                },
                column("Post", "editorId"),
                DataLoss::Rows {
                    table: table("Post"),
                },
                DataLoss::Rows {
                    table: table("Like"),
                },
            ],
        ),
        (
            r#"TRUNCATE "Post" CASCADE;"#,
            vec![
                DataLoss::Rows {
                    table: table("Post"),
                },
                DataLoss::Rows {
                    table: table("Like"),
                },
            ],
        ),
        (
            r#"ALTER TABLE "User" ALTER COLUMN "id" SET NOT NULL;"#,
            vec![],
        ),
        (r#"CREATE INDEX "i" ON "User" ("email");"#, vec![]),
    ];
    for (forward, expected) in cases {
        let undo = undos(earlier, forward).remove(0);
        assert_eq!(undo.loses, expected, "{forward}: {}", undo.reason);
    }
}

/// The drill matches on the flag, not on the wording of the note: both go together.
#[test]
fn an_undo_that_re_adds_a_column_before_the_last_says_the_order_changes() {
    let earlier = r#"CREATE TABLE "User" ("id" int, "email" text, "name" text);"#;
    let cases = [
        (r#"ALTER TABLE "User" DROP COLUMN "email";"#, true),
        (r#"ALTER TABLE "User" DROP COLUMN "name";"#, false),
        (
            r#"ALTER TABLE "User" ADD COLUMN "age" int, DROP COLUMN "email";"#,
            true,
        ),
        (r#"ALTER TABLE "User" ADD COLUMN "age" int;"#, false),
    ];
    for (forward, reorders) in cases {
        let undo = undos(earlier, forward).remove(0);
        assert_eq!(
            undo.reorders_columns, reorders,
            "{forward}: {}",
            undo.reason
        );
        assert_eq!(
            undo.reason.contains(COLUMN_ORDER_NOTE),
            reorders,
            "{forward}: {}",
            undo.reason
        );
    }
}
