CREATE TABLE "t" ("id" int, "a" int NOT NULL, "b" int, "c" int);
CREATE UNIQUE INDEX "t_id_idx" ON "t" ("id");
ALTER TABLE "t" ADD PRIMARY KEY USING INDEX "t_id_idx";
CREATE UNIQUE INDEX "t_a_idx" ON "t" ("a") INCLUDE ("c") WITH (fillfactor = 70);
ALTER TABLE "t" ADD CONSTRAINT "t_a_key" UNIQUE USING INDEX "t_a_idx" DEFERRABLE INITIALLY DEFERRED;
CREATE UNIQUE INDEX "t_b_idx" ON "t" ("b");
ALTER TABLE "t" ADD UNIQUE USING INDEX "t_b_idx";
-- forward
DROP TABLE "t";
