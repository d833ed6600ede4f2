-- forward
CREATE TABLE "Staging" ("id" TEXT PRIMARY KEY);
DROP TABLE "Staging";
