CREATE TYPE "MonitorSeverity" AS ENUM ('UNKNOWN', 'OK', 'ALERT');
CREATE TABLE "monitors" ("id" TEXT PRIMARY KEY, "status" TEXT NOT NULL, "severity" "MonitorSeverity" NOT NULL DEFAULT 'UNKNOWN');
-- forward
ALTER TYPE "MonitorSeverity" RENAME TO "MonitorSeverity_old";
CREATE TYPE "MonitorSeverity" AS ENUM ('PAUSED', 'UNKNOWN', 'OK', 'ALERT');
ALTER TABLE monitors
  ALTER COLUMN severity DROP DEFAULT,
  ALTER COLUMN severity TYPE "MonitorSeverity" USING severity::text::"MonitorSeverity",
  ALTER COLUMN severity SET DEFAULT 'UNKNOWN'::"MonitorSeverity";
DROP TYPE "MonitorSeverity_old";
UPDATE monitors SET severity = 'PAUSED' WHERE status <> 'ACTIVE';
ALTER TABLE "monitors" ADD COLUMN "trigger_ids" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
