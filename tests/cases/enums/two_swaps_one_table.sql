CREATE TYPE "MonitorSeverity" AS ENUM ('ALERT', 'WARNING', 'OK', 'UNKNOWN');
CREATE TYPE "MonitorStatus" AS ENUM ('ACTIVE', 'PAUSED', 'ERROR');
CREATE TABLE "monitors" ("id" TEXT PRIMARY KEY, "severity" "MonitorSeverity" NOT NULL DEFAULT 'UNKNOWN', "status" "MonitorStatus" NOT NULL DEFAULT 'ACTIVE', "message" TEXT);
-- forward
-- Two reorders (no ADD VALUE can reorder): one recreation of both types, one rewrite of "monitors".
BEGIN;
CREATE TYPE "MonitorSeverity_new" AS ENUM ('UNKNOWN', 'OK', 'WARNING', 'ALERT');
ALTER TABLE "monitors" ALTER COLUMN "severity" DROP DEFAULT;
ALTER TABLE "monitors" ALTER COLUMN "severity" TYPE "MonitorSeverity_new" USING ("severity"::text::"MonitorSeverity_new");
ALTER TYPE "MonitorSeverity" RENAME TO "MonitorSeverity_old";
ALTER TYPE "MonitorSeverity_new" RENAME TO "MonitorSeverity";
DROP TYPE "MonitorSeverity_old";
ALTER TABLE "monitors" ALTER COLUMN "severity" SET DEFAULT 'UNKNOWN';
COMMIT;
BEGIN;
CREATE TYPE "MonitorStatus_new" AS ENUM ('PAUSED', 'ACTIVE', 'ERROR');
ALTER TABLE "monitors" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "monitors" ALTER COLUMN "status" TYPE "MonitorStatus_new" USING ("status"::text::"MonitorStatus_new");
ALTER TYPE "MonitorStatus" RENAME TO "MonitorStatus_old";
ALTER TYPE "MonitorStatus_new" RENAME TO "MonitorStatus";
DROP TYPE "MonitorStatus_old";
ALTER TABLE "monitors" ALTER COLUMN "status" SET DEFAULT 'ACTIVE';
COMMIT;
ALTER TABLE "monitors" DROP COLUMN "message";
