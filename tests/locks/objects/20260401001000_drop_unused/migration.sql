DROP TYPE "Unused";
