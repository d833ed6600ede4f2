//! Every shape written here against the deparser's own text.

use super::write;
use crate::sql::deparse_tree;
use crate::sql::NodeEnum;

fn parsed(sql: &str) -> NodeEnum {
    let result = pg_query::parse(sql, 0).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let stmt = result.protobuf.stmts[0].stmt.clone();
    stmt.and_then(|n| n.node).expect("a statement")
}

/// Every shape and option written here, as the parser produces it: the text must be the
/// deparser's, byte for byte.
#[test]
fn written_statements_are_the_deparsers_text() {
    let cases = [
        r#"ALTER TABLE "T" ADD CONSTRAINT "c" FOREIGN KEY ("a") REFERENCES "U"("id") ON DELETE CASCADE ON UPDATE CASCADE"#,
        r#"ALTER TABLE "T" ADD CONSTRAINT "c" FOREIGN KEY ("a", "B") REFERENCES "U"("id", "x") ON DELETE SET NULL ON UPDATE RESTRICT"#,
        r#"ALTER TABLE s."T" ADD CONSTRAINT "c" FOREIGN KEY ("a") REFERENCES "S"."U"("id") ON DELETE SET DEFAULT ON UPDATE SET NULL NOT VALID"#,
        r#"ALTER TABLE "T" ADD CONSTRAINT "c" FOREIGN KEY ("a") REFERENCES "U"("id") MATCH FULL ON DELETE NO ACTION ON UPDATE SET DEFAULT DEFERRABLE INITIALLY DEFERRED"#,
        r#"ALTER TABLE "T" ADD CONSTRAINT "c" FOREIGN KEY ("a") REFERENCES "U" ON DELETE RESTRICT"#,
        r#"ALTER TABLE "T" ADD CONSTRAINT "select" FOREIGN KEY ("order") REFERENCES "user"("a""b") DEFERRABLE"#,
        r#"ALTER TABLE "T" ADD CONSTRAINT "c" FOREIGN KEY ("a") REFERENCES "U"("id") MATCH SIMPLE NOT DEFERRABLE INITIALLY IMMEDIATE"#,
        r#"ALTER TABLE ONLY "T" ADD CONSTRAINT "c" FOREIGN KEY ("a") REFERENCES "U"("id")"#,
        r#"ALTER TABLE "T" ADD CONSTRAINT "T_pkey" PRIMARY KEY ("a", "b")"#,
        r#"ALTER TABLE "T" ADD CONSTRAINT "c" UNIQUE ("a", "Order") DEFERRABLE INITIALLY DEFERRED"#,
        r#"CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN', 'it''s', 'back\slash', '', 'é "q"')"#,
        r#"CREATE TYPE s."Role" AS ENUM ()"#,
        "CREATE TYPE role AS ENUM ('a')",
        r#"ALTER TYPE "Role" RENAME TO "Role_old""#,
        r#"ALTER TYPE s."Role" RENAME TO "Role_old""#,
        r#"ALTER INDEX "a" RENAME TO "b""#,
        r#"ALTER INDEX s."A" RENAME TO "table""#,
        r#"ALTER TABLE "a" RENAME TO "b""#,
        r#"ALTER TABLE ONLY "a" RENAME COLUMN "x" TO "Y""#,
        r#"ALTER TABLE "a" RENAME CONSTRAINT "x" TO "y""#,
        r#"ALTER VIEW "a" RENAME TO "b""#,
        r#"ALTER MATERIALIZED VIEW "a" RENAME TO "b""#,
        r#"ALTER SEQUENCE "a" RENAME TO "b""#,
        r#"ALTER SCHEMA "a" RENAME TO "B""#,
        r#"CREATE UNIQUE INDEX "i" ON "T"("a", "b")"#,
        r#"CREATE INDEX CONCURRENTLY "i" ON s."T" USING hash ("a")"#,
        r#"CREATE INDEX "i" ON ONLY "T" USING gin ("Data")"#,
        r#"CREATE TABLE "Job" ("id" TEXT NOT NULL, "n" INTEGER DEFAULT 0, CONSTRAINT "Job_pkey" PRIMARY KEY ("id"))"#,
        r#"CREATE TABLE s."T" ("a" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "b" TIMESTAMPTZ(6), "c" TIMESTAMPTZ, "d" TIMETZ(2), "e" TIME)"#,
        r#"CREATE TABLE "T" ("a" BOOLEAN NOT NULL DEFAULT false, "b" BOOL DEFAULT true, "c" SMALLINT, "d" BIGINT DEFAULT 42, "e" REAL, "f" DOUBLE PRECISION, "g" FLOAT4)"#,
        r#"CREATE TABLE "T" ("a" DECIMAL(65,30), "b" NUMERIC, "c" VARCHAR(255) DEFAULT 'x', "d" CHAR(2), "e" CHARACTER, "f" INTERVAL, "g" DATE DEFAULT CURRENT_DATE)"#,
        r#"CREATE TABLE "T" ("a" TEXT[], "b" INTEGER[][] NOT NULL, "c" INT[3], "d" "Role"[] DEFAULT NULL, "e" s."Type", "f" JSONB DEFAULT '{}', "g" BYTEA, "h" pg_catalog.uuid)"#,
        r#"CREATE TABLE "T" ("a" TEXT NOT NULL DEFAULT 'it''s', "b" TEXT DEFAULT 'back\slash', "c" "Role" NOT NULL DEFAULT 'USER', "d" TEXT DEFAULT 'x'::text, "e" JSONB DEFAULT '[]'::jsonb)"#,
        r#"CREATE TABLE "select" ("order" TEXT, "Group" INT, CONSTRAINT "u" UNIQUE ("order"), CONSTRAINT "f" FOREIGN KEY ("Group") REFERENCES "G"("id") ON DELETE CASCADE)"#,
        r#"CREATE TABLE "T" ()"#,
        r#"ALTER TABLE "T" ADD COLUMN "a" TEXT NOT NULL DEFAULT 'x'"#,
        r#"ALTER TABLE s."T" ADD COLUMN "a" TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP"#,
        r#"ALTER TABLE "T" ADD COLUMN "a" "Status"[]"#,
        r#"ALTER TABLE "T" ALTER COLUMN "a" SET DEFAULT 'PENDING'"#,
        r#"ALTER TABLE "T" ALTER COLUMN "a" SET DEFAULT 0"#,
        r#"ALTER TABLE "T" ALTER COLUMN "a" SET DEFAULT false"#,
        r#"ALTER TABLE "T" ALTER COLUMN "a" SET DEFAULT CURRENT_TIMESTAMP"#,
        r#"ALTER TABLE "T" ALTER COLUMN "a" SET DEFAULT '[]'::jsonb"#,
        r#"ALTER TABLE "T" ALTER COLUMN "Status" DROP DEFAULT"#,
        r#"ALTER TABLE "T" ALTER COLUMN "a" TYPE INTEGER USING "a"::INTEGER"#,
        r#"ALTER TABLE "T" ALTER COLUMN "a" TYPE "Role" USING "a"::text::"Role""#,
        r#"ALTER TABLE "T" ALTER COLUMN "a" TYPE "Role"[] USING "a"::text[]::"Role"[]"#,
        r#"ALTER TABLE "T" ALTER COLUMN "a" TYPE VARCHAR(10) USING "a"::VARCHAR(10)"#,
        r#"ALTER TABLE "T" ALTER COLUMN "a" TYPE TIMESTAMPTZ(3) USING "a"::TIMESTAMPTZ(3)"#,
        r#"ALTER TABLE "T" ALTER COLUMN "a" TYPE TEXT"#,
    ];
    for sql in cases {
        let node = parsed(sql);
        let written = write(&node).unwrap_or_else(|| panic!("not written here: {sql}"));
        assert_eq!(written, deparse_tree(node).0.expect("deparses"), "{sql}");
    }
}

/// Anything with a part this module does not write goes to the deparser.
#[test]
fn other_shapes_are_left_to_the_deparser() {
    let cases = [
        r#"ALTER TABLE "T" ADD CONSTRAINT "c" FOREIGN KEY ("a") REFERENCES "U"("id") NOT ENFORCED"#,
        r#"ALTER TABLE "T" ADD CONSTRAINT "c" FOREIGN KEY ("a") REFERENCES "U"("id") ON DELETE SET NULL ("a")"#,
        r#"ALTER TABLE "T" ADD FOREIGN KEY ("a") REFERENCES "U"("id")"#,
        r#"ALTER TABLE IF EXISTS "T" ADD CONSTRAINT "c" UNIQUE ("a")"#,
        r#"ALTER TABLE "T" ADD CONSTRAINT "c" UNIQUE NULLS NOT DISTINCT ("a")"#,
        r#"ALTER TABLE "T" ADD CONSTRAINT "c" UNIQUE ("a") INCLUDE ("x")"#,
        r#"ALTER TABLE "T" ADD CONSTRAINT "c" UNIQUE ("a") WITH (fillfactor=70)"#,
        r#"ALTER TABLE "T" ADD CONSTRAINT "c" UNIQUE USING INDEX "i""#,
        r#"ALTER TABLE "T" ADD CONSTRAINT "c" CHECK ("a" > 0)"#,
        r#"ALTER TABLE "T" ADD CONSTRAINT "c" UNIQUE ("a"), ADD CONSTRAINT "d" UNIQUE ("b")"#,
        r#"ALTER TABLE IF EXISTS "a" RENAME TO "b""#,
        r#"ALTER TYPE "Role" RENAME VALUE 'a' TO 'b'"#,
        r#"ALTER FUNCTION f() RENAME TO g"#,
        r#"ALTER VIEW "a" RENAME COLUMN "x" TO "y""#,
        r#"CREATE INDEX "i" ON "T"("a" DESC NULLS LAST)"#,
        r#"CREATE INDEX "i" ON "T"("a" ASC)"#,
        r#"CREATE INDEX "i" ON "T"("a" text_pattern_ops)"#,
        r#"CREATE INDEX "i" ON "T"("a" COLLATE "C")"#,
        r#"CREATE INDEX "i" ON "T"(lower("a"))"#,
        r#"CREATE INDEX "i" ON "T"("a") WHERE "b" > 0"#,
        r#"CREATE INDEX "i" ON "T"("a") INCLUDE ("c")"#,
        r#"CREATE INDEX "i" ON "T"("a") WITH (fillfactor = 70)"#,
        r#"CREATE INDEX "i" ON "T"("a") TABLESPACE foo"#,
        r#"CREATE UNIQUE INDEX "i" ON "T"("a") NULLS NOT DISTINCT"#,
        r#"CREATE INDEX ON "T"("a")"#,
        r#"CREATE INDEX IF NOT EXISTS "i" ON "T"("a")"#,
        r#"DROP TABLE "T""#,
        r#"CREATE TABLE IF NOT EXISTS "T" ("a" TEXT)"#,
        r#"CREATE UNLOGGED TABLE "T" ("a" TEXT)"#,
        r#"CREATE TABLE "T" ("a" TEXT) WITH (fillfactor = 70)"#,
        r#"CREATE TABLE "T" ("a" TEXT) PARTITION BY RANGE ("a")"#,
        r#"CREATE TABLE "T" (LIKE "U")"#,
        r#"CREATE TABLE "T" ("a" TEXT COLLATE "C")"#,
        r#"CREATE TABLE "T" ("a" TEXT, CHECK ("a" <> ''))"#,
        r#"CREATE TABLE "T" ("a" INT DEFAULT -1)"#,
        r#"CREATE TABLE "T" ("a" FLOAT DEFAULT 1.5)"#,
        r#"CREATE TABLE "T" ("a" TEXT DEFAULT gen_random_uuid())"#,
        r#"CREATE TABLE "T" ("a" TEXT[] DEFAULT ARRAY[]::TEXT[])"#,
        r#"CREATE TABLE "T" ("a" INT GENERATED ALWAYS AS IDENTITY)"#,
        r#"CREATE TABLE "T" ("a" INT GENERATED ALWAYS AS ("b" * 2) STORED)"#,
        r#"CREATE TABLE "T" ("a" INT CONSTRAINT "nn" NOT NULL)"#,
        r#"CREATE TABLE "T" ("a" INT PRIMARY KEY)"#,
        r#"CREATE TABLE "T" ("a" INTERVAL DAY)"#,
        r#"CREATE TABLE "T" ("a" BOOLEAN DEFAULT 't'::boolean)"#,
        r#"CREATE TABLE "T" ("a" TIMESTAMP DEFAULT LOCALTIMESTAMP)"#,
        r#"CREATE TABLE "T" ("a" TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP(3))"#,
        r#"CREATE TABLE "T" ("a" SETOF INT)"#,
        r#"ALTER TABLE "T" ADD COLUMN IF NOT EXISTS "a" TEXT"#,
        r#"ALTER TABLE "T" ALTER COLUMN "a" SET DEFAULT now()"#,
        r#"ALTER TABLE "T" ALTER COLUMN "a" TYPE TEXT COLLATE "C""#,
        r#"ALTER TABLE "T" ALTER COLUMN "a" TYPE INT USING "t"."a"::INT"#,
        r#"ALTER TABLE "T" ALTER COLUMN "a" TYPE INT USING ("a" + 1)::INT"#,
        r#"ALTER TABLE "T" ALTER COLUMN "a" DROP NOT NULL"#,
        r#"ALTER TABLE "T" DROP COLUMN "a""#,
    ];
    for sql in cases {
        assert_eq!(write(&parsed(sql)), None, "{sql}");
    }
}
