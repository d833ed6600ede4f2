CREATE TYPE "Role" AS ENUM ('USER', 'STAFF');
CREATE TABLE "User" (
    "id" TEXT PRIMARY KEY,
    "email" TEXT,
    "age" INTEGER,
    "name" TEXT NOT NULL DEFAULT 'anonymous',
    "nick" TEXT DEFAULT 'anon',
    "role" "Role" NOT NULL DEFAULT 'USER'
);
CREATE TABLE "Post" ("id" TEXT PRIMARY KEY, "title" TEXT);
CREATE TABLE "Comment" ("id" TEXT PRIMARY KEY, "body" TEXT);
