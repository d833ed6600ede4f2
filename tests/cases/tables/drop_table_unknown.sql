-- forward
DROP TABLE "Legacy";
DROP TABLE IF EXISTS "Other";
