//! The undo of a column type change inverts the forward's `USING` (issue 13): on a real
//! PostgreSQL with 1,000 rows and a session TimeZone of Europe/Berlin, the forward is applied,
//! then the undo `generate` writes, and every value is compared with the original:
//! `AT TIME ZONE 'UTC'` comes back exactly; a bare timestamp → timestamptz cast comes back
//! under the same TimeZone except the local times of the hour its clocks skip, as its note
//! says; text → int comes back except the text int spells otherwise ('007'); `* 100` by `/ 100`.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;
use common::query_strings;
use common::undo::{berlin_session, deploy, embedded_server, undo_files};

const INIT: &str = "20260101000000_init";
const FORWARD: &str = "20260102000000_retype";

const INIT_SQL: &str = r#"CREATE TABLE "Event" (
    "id" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "seen" TIMESTAMP(3) NOT NULL,
    "code" TEXT NOT NULL,
    "cents" INTEGER NOT NULL,
    CONSTRAINT "Event_pkey" PRIMARY KEY ("id")
);
"#;

const FORWARD_SQL: &str = r#"ALTER TABLE "Event" ALTER COLUMN "at" SET DATA TYPE TIMESTAMPTZ(3) USING "at" AT TIME ZONE 'UTC';
ALTER TABLE "Event" ALTER COLUMN "seen" SET DATA TYPE TIMESTAMPTZ(3);
ALTER TABLE "Event" ALTER COLUMN "code" SET DATA TYPE INTEGER USING "code"::integer;
ALTER TABLE "Event" ALTER COLUMN "cents" SET DATA TYPE BIGINT USING ("cents" * 100);
"#;

/// 1,000 rows 37 minutes and a millisecond apart from 20 March 2024, so they cross the hour
/// Berlin's clocks skip (31 March, 02:00 → 03:00); one code in ten written with leading zeros.
const ROWS: &str = r#"INSERT INTO "Event"
    SELECT i,
           '2024-03-20'::timestamp + i * interval '37 minutes 1 millisecond',
           '2024-03-20'::timestamp + i * interval '37 minutes 1 millisecond',
           CASE WHEN i % 10 = 0 THEN lpad(i::text, 6, '0') ELSE i::text END,
           i * 3
    FROM generate_series(1, 1000) AS i"#;

#[test]
fn type_change_undos_invert_using_on_1000_rows_under_europe_berlin() {
    let dir = tempfile::tempdir().unwrap();
    let undo = undo_files(
        &dir.path().join("migrations"),
        &[(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)],
    );
    let text = undo.join("\n");
    assert!(text.contains("USING at AT TIME ZONE 'UTC'"), "{text}");
    assert!(
        text.contains("this assumes the forward ran under the same TimeZone as this undo"),
        "{text}"
    );
    assert!(text.contains("'007'"), "{text}");
    assert!(text.contains("USING cents / 100"), "{text}");

    let server = embedded_server();
    let (db, mut client) = berlin_session(&server);
    client.batch_execute(INIT_SQL).unwrap();
    client.batch_execute(ROWS).unwrap();
    client
        .batch_execute(r#"CREATE TABLE "original" AS SELECT * FROM "Event""#)
        .unwrap();
    client.batch_execute(FORWARD_SQL).unwrap();
    deploy(&mut client, &undo);

    let differing = |client: &mut postgres::Client, column: &str| {
        query_strings(
            client,
            &format!(
                r#"SELECT count(*)::text FROM "Event" e JOIN "original" o USING ("id")
                   WHERE e."{column}" IS DISTINCT FROM o."{column}""#
            ),
        )
    };
    assert_eq!(
        differing(&mut client, "at"),
        ["0"],
        "AT TIME ZONE 'UTC' is inverted"
    );
    assert_eq!(
        differing(&mut client, "cents"),
        ["0"],
        "* 100 is inverted by / 100"
    );
    // The bare cast, undone under the forward's TimeZone: only the skipped hour differs.
    let skipped = query_strings(
        &mut client,
        r#"SELECT count(*)::text FROM "original"
           WHERE "seen" >= '2024-03-31 02:00' AND "seen" < '2024-03-31 03:00'"#,
    );
    assert_ne!(skipped, ["0"], "the rows cross the skipped hour");
    assert_eq!(differing(&mut client, "seen"), skipped);
    // Text → int → text: only the codes written with leading zeros differ.
    assert_eq!(differing(&mut client, "code"), ["100"]);
    let types = query_strings(
        &mut client,
        "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY column_name) \
         FROM information_schema.columns WHERE table_name = 'Event'",
    );
    assert_eq!(
        types,
        ["at timestamp without time zone, cents integer, code text, id integer, seen timestamp without time zone"]
    );
    db.destroy().unwrap();
}
