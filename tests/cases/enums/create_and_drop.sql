CREATE TYPE "Old" AS ENUM ('a', 'b');
-- forward
CREATE TYPE "Status" AS ENUM ('queued', 'running', 'done');
DROP TYPE "Old";
