-- crates.io: a materialized view defined anew (its index and comment went with the old one).
DROP MATERIALIZED VIEW "recent_downloads";
CREATE MATERIALIZED VIEW "recent_downloads" ("crate_id", "downloads") AS
    SELECT crate_id, SUM(count) FROM downloads WHERE date > CURRENT_DATE - 30 GROUP BY crate_id;
CREATE UNIQUE INDEX "recent_downloads_crate_id" ON "recent_downloads" ("crate_id");
