-- Seed the first administrator, unless someone created it already.
INSERT INTO "User" ("id", "email") VALUES ('admin', 'admin@example.com') ON CONFLICT ("id") DO NOTHING;
