ALTER INDEX "User_email_idx" RENAME TO "User_email_key";
