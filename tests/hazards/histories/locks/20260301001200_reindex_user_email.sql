REINDEX INDEX "User_email_idx";
