ALTER TYPE "Role" RENAME TO "UserRole";
