CREATE TABLE "tax_codes" ("id" CHAR(26) PRIMARY KEY);
CREATE TABLE "charges" ("id" CHAR(26) PRIMARY KEY, "tax_code_id" CHAR(26), "schema_level" INT NOT NULL DEFAULT 1,
    CONSTRAINT "charges_tax_codes" FOREIGN KEY ("tax_code_id") REFERENCES "tax_codes" ("id"));
CREATE TABLE "lines" ("id" CHAR(26) PRIMARY KEY, "status" TEXT NOT NULL);
-- forward
-- As openmeter's data migrations: DO blocks that only read and raise (count(), string_agg(),
-- FOR UPDATE), a repair that re-adds a constraint under a guard when it exists already (it
-- did: had it run, the migration would have failed), and rows backed up into a table the
-- migration creates IF NOT EXISTS. None of it needs an undo of its own; the DELETE is lossy.
DO $$
DECLARE
  missing bigint;
BEGIN
  SELECT count(*) INTO missing FROM "charges" WHERE "tax_code_id" IS NULL;
  IF missing > 0 THEN
    RAISE EXCEPTION 'missing tax codes: %', missing;
  END IF;
END $$;
DO $migration$
DECLARE
  invalid_ids TEXT;
BEGIN
  PERFORM "id" FROM "charges" WHERE "schema_level" = 1 ORDER BY "id" FOR UPDATE;
  SELECT string_agg("id", ', ' ORDER BY "id") INTO invalid_ids FROM "charges" WHERE jsonb_typeof('{}'::jsonb) <> 'object';
  IF invalid_ids IS NOT NULL THEN
    RAISE EXCEPTION 'invalid: %', invalid_ids;
  END IF;
END
$migration$;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'charges_tax_codes' AND conrelid = 'charges'::regclass) THEN
    ALTER TABLE "charges" ADD CONSTRAINT "charges_tax_codes" FOREIGN KEY ("tax_code_id") REFERENCES "tax_codes" ("id");
  END IF;
END $$;
CREATE TABLE IF NOT EXISTS "backup_lines" (
    "backed_up_at" TIMESTAMPTZ NOT NULL DEFAULT transaction_timestamp(),
    "id" CHAR(26) NOT NULL,
    "row_data" JSONB NOT NULL,
    PRIMARY KEY ("backed_up_at", "id")
);
INSERT INTO "backup_lines" ("id", "row_data") SELECT l.id, to_jsonb(l) FROM "lines" l WHERE l.status = 'detailed';
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM "backup_lines" WHERE "backed_up_at" = transaction_timestamp() GROUP BY "id" HAVING count(*) > 1) THEN
    RAISE EXCEPTION 'backed up twice';
  END IF;
END $$;
DELETE FROM "lines" WHERE "status" = 'detailed';
