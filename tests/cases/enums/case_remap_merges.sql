CREATE TYPE "State" AS ENUM ('draft', 'pending', 'done', 'archived');
CREATE TABLE "Ticket" ("id" TEXT PRIMARY KEY, "state" "State" NOT NULL);
-- forward
-- 'draft' merges into 'pending', which the old type also had: the undo cannot tell them
-- apart (lossy, the merged values named).
CREATE TYPE "State_new" AS ENUM ('pending', 'done', 'archived');
ALTER TABLE "Ticket" ALTER COLUMN "state" TYPE "State_new" USING (CASE "state"::text WHEN 'draft' THEN 'pending' ELSE "state"::text END)::"State_new";
DROP TYPE "State";
ALTER TYPE "State_new" RENAME TO "State";
