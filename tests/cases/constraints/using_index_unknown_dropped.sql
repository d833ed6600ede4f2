CREATE TABLE "t" ("id" int);
ALTER TABLE "t" ADD PRIMARY KEY USING INDEX "t_id_idx";
-- forward
ALTER TABLE "t" DROP CONSTRAINT "t_id_idx";
DROP TABLE "t";
