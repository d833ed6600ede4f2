CREATE TABLE "Parent" ("id" INTEGER PRIMARY KEY);
CREATE TABLE "Child" ("id" INTEGER PRIMARY KEY, "parentId" INTEGER);
CREATE TABLE "Note" ("id" INTEGER PRIMARY KEY, "childId" INTEGER);
ALTER TABLE "Child" ADD CONSTRAINT "Child_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Parent"("id");
ALTER TABLE "Note" ADD CONSTRAINT "Note_childId_fkey" FOREIGN KEY ("childId") REFERENCES "Child"("id");
-- forward
-- "Parent" goes, so the undo recreates it empty: the key of "Child" into it comes back only
-- behind a preflight check that no row of "Child" references anything (each such row would be
-- an orphan). The key of "Note" into "Child" (kept) comes back as usual.
ALTER TABLE "Child" DROP CONSTRAINT "Child_parentId_fkey";
ALTER TABLE "Note" DROP CONSTRAINT "Note_childId_fkey";
DROP TABLE "Parent";
