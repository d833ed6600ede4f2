-- openmeter: checks that only read and raise, a guarded re-add of what stands, a backup
-- into a table created IF NOT EXISTS, a named index made by hand in production, a temporary
-- function, and SELECTs that only read.
DO $$
DECLARE
  missing bigint;
BEGIN
  SELECT count(*) INTO missing FROM "charges" WHERE "currency" IS NULL;
  IF missing > 0 THEN
    RAISE EXCEPTION 'missing currencies: %', missing;
  END IF;
END $$;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'charges_pkey') THEN
    ALTER TABLE "charges" ADD CONSTRAINT "charges_pkey" PRIMARY KEY ("id");
  END IF;
END $$;
CREATE TABLE IF NOT EXISTS "backup_charges" ("backed_up_at" TIMESTAMPTZ NOT NULL DEFAULT transaction_timestamp(), "id" CHAR(26) NOT NULL, "row_data" JSONB NOT NULL);
INSERT INTO "backup_charges" ("id", "row_data") SELECT c.id, to_jsonb(c) FROM "charges" c;
ALTER INDEX IF EXISTS "made_by_hand" RENAME TO "downloads_by_crate";
CREATE INDEX IF NOT EXISTS "downloads_by_crate" ON "downloads" ("crate_id");
CREATE FUNCTION pg_temp.backed_up() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM backup_charges';
SELECT count(*) FROM "backup_charges";
