CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "email" TEXT, "active" BOOLEAN);
CREATE VIEW "active_users" AS SELECT "id" FROM "User" WHERE "active";
CREATE VIEW "old_view" AS SELECT 1 AS one;
-- forward
CREATE OR REPLACE VIEW "active_users" AS SELECT "id", "email" FROM "User" WHERE "active";
DROP VIEW "old_view";
CREATE MATERIALIZED VIEW "user_count" AS SELECT count(*) AS n FROM "User";
