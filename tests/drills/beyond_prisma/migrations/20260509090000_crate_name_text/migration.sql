-- docs.rs's crate_version_name_field_length and crates.io's downloads_need_no_id: indexes
-- computed on a retyped column.
ALTER TABLE "crates" ALTER COLUMN "name" TYPE text;
ALTER TABLE "version_downloads" ALTER COLUMN "date" TYPE date;
