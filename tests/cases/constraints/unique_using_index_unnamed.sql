CREATE TABLE "t" ("a" int);
CREATE UNIQUE INDEX "t_a_uidx" ON "t" ("a") NULLS NOT DISTINCT;
-- forward
ALTER TABLE "t" ADD UNIQUE USING INDEX "t_a_uidx";
