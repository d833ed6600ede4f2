-- A table with unique indexes built ahead of the constraints that take them over.
CREATE TABLE "t" ("id" INTEGER, "a" INTEGER NOT NULL, "b" INTEGER, "c" INTEGER);
CREATE UNIQUE INDEX "t_id_idx" ON "t" ("id");
CREATE UNIQUE INDEX "t_a_b_idx" ON "t" ("a", "b") INCLUDE ("c") WITH (fillfactor = 70);
CREATE UNIQUE INDEX "t_c_uidx" ON "t" ("c");
CREATE TABLE "u" ("a" INTEGER NOT NULL, "b" INTEGER);
CREATE UNIQUE INDEX "u_a_b_idx" ON "u" ("a", "b");
