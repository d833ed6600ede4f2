CREATE TABLE "t" ("id" int, "b" int NOT NULL);
CREATE UNIQUE INDEX "t_id_idx" ON "t" ("id");
-- forward
ALTER TABLE "t" ADD PRIMARY KEY USING INDEX "t_id_idx";
