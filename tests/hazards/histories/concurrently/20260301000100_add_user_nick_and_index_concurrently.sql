ALTER TABLE "User" ADD COLUMN "nick" TEXT;
CREATE INDEX CONCURRENTLY "User_nick_idx" ON "User"("nick");
