DROP FUNCTION "add"(int, int);
