CREATE UNIQUE INDEX CONCURRENTLY "Post_slug_key" ON "Post"("slug");
