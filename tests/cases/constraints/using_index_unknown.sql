CREATE TABLE "t" ("id" int);
-- forward
ALTER TABLE "t" ADD PRIMARY KEY USING INDEX "t_id_idx";
