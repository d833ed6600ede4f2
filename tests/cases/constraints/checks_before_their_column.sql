CREATE TABLE "currencies" ("id" CHAR(26) PRIMARY KEY);
CREATE TABLE "charges" ("id" CHAR(26) PRIMARY KEY, "currency" VARCHAR NOT NULL);
-- forward
-- As openmeter's charges_custom_currencies: the CHECK names a column the same statement adds
-- after it. PostgreSQL adds the column first (ALTER TABLE runs its commands in passes), so
-- the undo drops the constraints before the column (dropping the column first would drop
-- the CHECK with it, and the DROP CONSTRAINT after it would fail).
ALTER TABLE "charges" ADD CONSTRAINT "currency_reference" CHECK ((currency IS NULL) <> (custom_currency_id IS NULL)), ALTER COLUMN "currency" DROP NOT NULL, ADD COLUMN "custom_currency_id" character(26) NULL, ADD CONSTRAINT "charges_custom_currency_fk" FOREIGN KEY ("custom_currency_id") REFERENCES "currencies" ("id");
