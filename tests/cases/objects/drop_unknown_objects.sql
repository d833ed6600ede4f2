-- forward
DROP FUNCTION IF EXISTS "cleanup"(int);
DROP TRIGGER "touch" ON "User";
DROP POLICY "p" ON "User";
