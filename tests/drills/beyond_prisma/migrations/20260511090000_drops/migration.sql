-- crates.io, docs.rs and marquez: drops whose undo puts back comments, triggers, owned
-- sequences and a table made with CREATE TABLE … AS.
ALTER TABLE "crates" DROP COLUMN "updated_at";
DROP TABLE "queue";
DROP TABLE "io_mapping_inputs";
DROP FUNCTION "compute";
