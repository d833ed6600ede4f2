-- The undo recreates both tables with their constraints named and defined as PostgreSQL made them.
DROP TABLE "t";
DROP TABLE "u";
