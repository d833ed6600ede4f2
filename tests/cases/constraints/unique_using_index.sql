CREATE TABLE "t" ("a" int NOT NULL);
CREATE UNIQUE INDEX "t_a_uidx" ON "t" ("a");
-- forward
ALTER TABLE "t" ADD CONSTRAINT "t_a_key" UNIQUE USING INDEX "t_a_uidx";
