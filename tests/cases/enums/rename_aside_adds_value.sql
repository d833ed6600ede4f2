CREATE TYPE "Severity" AS ENUM ('OK', 'ALERT');
CREATE TABLE "Monitor" ("id" TEXT PRIMARY KEY, "severity" "Severity" NOT NULL DEFAULT 'OK');
-- forward
ALTER TYPE "Severity" RENAME TO "Severity_old";
CREATE TYPE "Severity" AS ENUM ('PAUSED', 'OK', 'ALERT');
ALTER TABLE "Monitor" ALTER COLUMN "severity" DROP DEFAULT, ALTER COLUMN "severity" TYPE "Severity" USING "severity"::text::"Severity", ALTER COLUMN "severity" SET DEFAULT 'OK'::"Severity";
DROP TYPE "Severity_old";
