CREATE TABLE "queue" ("id" INTEGER NOT NULL, "path" TEXT NOT NULL);
CREATE SEQUENCE "queue_id_seq" START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE "queue_id_seq" OWNED BY "queue"."id";
ALTER TABLE ONLY "queue" ALTER COLUMN "id" SET DEFAULT nextval('queue_id_seq'::regclass);
CREATE TABLE "builds" ("id" INTEGER NOT NULL);
CREATE SEQUENCE "builds_id_seq" AS integer START WITH 1;
ALTER TABLE ONLY "builds" ALTER COLUMN "id" SET DEFAULT nextval('builds_id_seq'::regclass);
-- forward
-- As docs.rs's initial schema (a pg_dump: each sequence created, then owned by its column)
-- and remove_cdn_invalidation_queue: a table whose column owns a sequence of its own
-- (a bigint one behind an integer column) is dropped, the sequence with it. The undo creates
-- the sequence again as it was, before the table, and owns it after.
ALTER SEQUENCE "builds_id_seq" OWNED BY "builds"."id";
DROP TABLE "queue";
