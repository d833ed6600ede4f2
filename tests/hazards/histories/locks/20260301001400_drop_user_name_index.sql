DROP INDEX "User_name_idx";
