CREATE INDEX "User_email_idx" ON "User"("email");
