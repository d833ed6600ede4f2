ALTER TABLE "Post" ADD CONSTRAINT "Post_slug_key" UNIQUE USING INDEX "Post_slug_key";
