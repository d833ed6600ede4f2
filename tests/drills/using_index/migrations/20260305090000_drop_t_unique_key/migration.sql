-- The undo adds the constraint back with the key, INCLUDE columns, storage parameter and
-- DEFERRABLE it took from its index.
ALTER TABLE "t" DROP CONSTRAINT "t_a_b_key";
