-- Seed the first administrator.
INSERT INTO "User" ("id", "email") VALUES ('admin', 'admin@example.com');
