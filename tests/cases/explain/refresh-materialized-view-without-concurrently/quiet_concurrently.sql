CREATE TABLE "Score" ("id" TEXT PRIMARY KEY, "value" INTEGER);
CREATE MATERIALIZED VIEW "ScoreStats" AS SELECT "id", "value" FROM "Score";
CREATE UNIQUE INDEX "ScoreStats_id_key" ON "ScoreStats"("id");
-- forward
REFRESH MATERIALIZED VIEW CONCURRENTLY "ScoreStats";
