CREATE TABLE "traces" ("id" TEXT PRIMARY KEY, "name" TEXT);
CREATE TABLE "obs" ("id" TEXT PRIMARY KEY, "trace_id" TEXT);
CREATE VIEW "traces_view" AS SELECT t.*, o.id AS obs_id FROM traces t LEFT JOIN obs o ON o.trace_id = t.id;
CREATE VIEW "all_traces" AS SELECT * FROM traces;
CREATE VIEW "cte_view" AS WITH x AS (SELECT id FROM traces) SELECT * FROM x;
CREATE VIEW "nested_star" AS SELECT s.id FROM (SELECT * FROM traces) s;
CREATE VIEW "unnamed_expression" AS SELECT * FROM (SELECT id || name FROM traces) s;
CREATE VIEW "star_in_exists" AS SELECT t.id FROM traces t WHERE EXISTS (SELECT * FROM obs o WHERE o.trace_id = t.id);
CREATE VIEW "from_function" AS SELECT * FROM generate_series(1, 3) g;
ALTER TABLE "traces" ADD COLUMN "created_at" TIMESTAMP;
-- forward
DROP VIEW "traces_view";
DROP VIEW "all_traces";
DROP VIEW "cte_view";
DROP VIEW "nested_star";
DROP VIEW "unnamed_expression";
DROP VIEW "star_in_exists";
DROP VIEW "from_function";
