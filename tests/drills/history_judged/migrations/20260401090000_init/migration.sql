CREATE TABLE "Team" ("id" TEXT NOT NULL, "name" TEXT, CONSTRAINT "Team_pkey" PRIMARY KEY ("id"));
CREATE TABLE "User" ("id" TEXT NOT NULL, "updatedAt" TIMESTAMP(3), CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE FUNCTION "touch"() RETURNS trigger AS $$ BEGIN NEW."updatedAt" = now(); RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE TRIGGER "user_touch" BEFORE UPDATE ON "User" FOR EACH ROW EXECUTE FUNCTION "touch"();
