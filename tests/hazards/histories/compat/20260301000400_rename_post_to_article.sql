ALTER TABLE "Post" RENAME TO "Article";
