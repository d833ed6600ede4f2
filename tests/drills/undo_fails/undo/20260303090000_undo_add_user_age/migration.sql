-- unmigrate: undo of 20260302090000_add_user_age
-- Wrong on purpose: the column is "age", so PostgreSQL rejects this with SQLSTATE 42703.
ALTER TABLE "User" DROP COLUMN "years";
