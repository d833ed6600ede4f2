CREATE TABLE "downloads" ("crate_id" INT NOT NULL, "date" DATE NOT NULL, "count" INT NOT NULL);
CREATE MATERIALIZED VIEW "recent_downloads" ("crate_id", "downloads") AS
    SELECT crate_id, SUM(count) FROM downloads WHERE date > CURRENT_DATE - 90 GROUP BY crate_id;
CREATE UNIQUE INDEX "recent_downloads_crate_id" ON "recent_downloads" ("crate_id");
COMMENT ON MATERIALIZED VIEW "recent_downloads" IS 'downloads of the last 90 days';
COMMENT ON INDEX "recent_downloads_crate_id" IS 'for REFRESH CONCURRENTLY';
-- forward
-- As crates.io's define_recent_crate_downloads_in_terms_of_version_downloads: a materialized
-- view is dropped (its index and comments with it) and defined anew. The undo drops the new
-- one and creates the old one again with its index and comments.
DROP MATERIALIZED VIEW "recent_downloads";
CREATE MATERIALIZED VIEW "recent_downloads" ("crate_id", "downloads") AS
    SELECT crate_id, SUM(count) FROM downloads WHERE date > CURRENT_DATE - 30 GROUP BY crate_id;
CREATE UNIQUE INDEX "recent_downloads_crate_id" ON "recent_downloads" ("crate_id");
