DROP TRIGGER "user_touch" ON "User";
