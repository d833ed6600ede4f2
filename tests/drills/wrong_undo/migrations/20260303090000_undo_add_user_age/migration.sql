-- unmigrate: undo of 20260302090000_add_user_age
-- Wrong on purpose: besides dropping "age" it also drops NOT NULL from "email", which the
-- drill must catch (the schema after this undo is not the schema before the migration).
ALTER TABLE "User" DROP COLUMN "age";
ALTER TABLE "User" ALTER COLUMN "email" DROP NOT NULL;
