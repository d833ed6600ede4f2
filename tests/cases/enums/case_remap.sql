CREATE TYPE "State" AS ENUM ('draft', 'open', 'done');
CREATE TABLE "Ticket" ("id" TEXT PRIMARY KEY, "state" "State" NOT NULL);
-- forward
-- A one-to-one remap: the undo maps each value back (exact).
CREATE TYPE "State_new" AS ENUM ('pending', 'open', 'closed');
ALTER TABLE "Ticket" ALTER COLUMN "state" TYPE "State_new" USING (CASE "state"::text WHEN 'draft' THEN 'pending' WHEN 'done' THEN 'closed' ELSE "state"::text END)::"State_new";
DROP TYPE "State";
ALTER TYPE "State_new" RENAME TO "State";
