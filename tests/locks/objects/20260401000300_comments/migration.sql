COMMENT ON TABLE "User" IS 'people';
COMMENT ON COLUMN "User"."email" IS 'where to write';
COMMENT ON INDEX "User_email_idx" IS 'lookups';
COMMENT ON VIEW "TagView" IS 'ids';
COMMENT ON TYPE "Role" IS 'roles';
COMMENT ON TRIGGER "user_touch" ON "User" IS 'keeps updatedAt';
COMMENT ON CONSTRAINT "User_pkey" ON "User" IS 'the id';
