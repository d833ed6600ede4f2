CREATE TABLE "Session" ("id" TEXT NOT NULL, "projectId" TEXT NOT NULL, CONSTRAINT "Session_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Trace" ("id" TEXT PRIMARY KEY, "sessionId" TEXT, "projectId" TEXT NOT NULL);
ALTER TABLE "Trace" ADD CONSTRAINT "Trace_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session"("id");
-- forward
ALTER TABLE "Trace" DROP CONSTRAINT "Trace_sessionId_fkey";
ALTER TABLE "Session" DROP CONSTRAINT "Session_pkey",
ADD CONSTRAINT "Session_pkey" PRIMARY KEY ("id", "projectId");
ALTER TABLE "Trace" ADD CONSTRAINT "Trace_sessionId_projectId_fkey" FOREIGN KEY ("sessionId", "projectId") REFERENCES "Session"("id", "projectId");
