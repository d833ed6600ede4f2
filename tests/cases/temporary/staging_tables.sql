CREATE TABLE "models" ("id" TEXT PRIMARY KEY, "input_price" DECIMAL(65,30));
CREATE TABLE "staging" ("id" TEXT PRIMARY KEY);
-- forward
CREATE TABLE "prices" ("model_id" TEXT NOT NULL, "price" DECIMAL(65,30), CONSTRAINT "prices_pkey" PRIMARY KEY ("model_id"));
CREATE TEMPORARY TABLE temp_prices AS SELECT id AS model_id, input_price AS price FROM models;
CREATE INDEX temp_prices_model ON temp_prices (model_id);
ALTER TABLE temp_prices ADD COLUMN note TEXT;
UPDATE temp_prices SET note = 'x';
INSERT INTO prices (model_id, price) SELECT model_id, price FROM temp_prices;
DROP TABLE temp_prices;
CREATE TEMP TABLE staging (id TEXT) ON COMMIT DROP;
INSERT INTO staging VALUES ('shadows the persistent "staging"');
CREATE TABLE pg_temp.kept (id INT);
DROP TABLE public.staging;
