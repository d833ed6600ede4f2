CREATE TABLE "EventRecord" ("id" TEXT PRIMARY KEY, "envId" TEXT);
CREATE TABLE "Untouched" ("id" TEXT PRIMARY KEY);
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM information_schema.tables WHERE table_name = 'EventRecord') THEN
        ALTER TABLE "EventRecord" DROP COLUMN IF EXISTS "envId" CASCADE;
    END IF;
END $$;
-- forward
DROP TABLE IF EXISTS "EventRecord" CASCADE;
DROP TABLE "Untouched";
