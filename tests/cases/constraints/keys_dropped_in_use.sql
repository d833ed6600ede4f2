CREATE TABLE "Media" ("id" TEXT NOT NULL, "projectId" TEXT NOT NULL, "url" TEXT, CONSTRAINT "Media_pkey" PRIMARY KEY ("id"));
ALTER TABLE "Media" ADD CONSTRAINT "Media_url_key" UNIQUE ("url");
ALTER TABLE "Media" ADD CONSTRAINT "Media_projectId_url_key" UNIQUE ("projectId", "url") DEFERRABLE;
CREATE TABLE "Trace" ("id" TEXT PRIMARY KEY, "mediaId" TEXT NOT NULL);
ALTER TABLE "Trace" ADD CONSTRAINT "Trace_mediaId_fkey" FOREIGN KEY ("mediaId") REFERENCES "Media"("id") ON DELETE CASCADE;
-- forward
ALTER TABLE "Trace" DROP CONSTRAINT "Trace_mediaId_fkey";
ALTER TABLE "Media" DROP CONSTRAINT "Media_pkey";
ALTER TABLE "Media" DROP CONSTRAINT "Media_url_key";
ALTER TABLE "Media" DROP CONSTRAINT "Media_projectId_url_key";
