CREATE TABLE "t" ("a" int NOT NULL, "b" int, "c" int);
CREATE UNIQUE INDEX "t_a_b_idx" ON "t" ("a", "b") INCLUDE ("c") WITH (fillfactor = 70);
-- forward
ALTER TABLE "t" ADD CONSTRAINT "t_pkey" PRIMARY KEY USING INDEX "t_a_b_idx";
