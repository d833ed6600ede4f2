-- CreateIndex
CREATE INDEX CONCURRENTLY "Post_status_publishedAt_idx" ON "Post"("status", "publishedAt");
