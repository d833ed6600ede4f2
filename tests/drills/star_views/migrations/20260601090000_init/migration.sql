CREATE TABLE "models" ("id" TEXT PRIMARY KEY, "project_id" TEXT, "model_name" TEXT NOT NULL, "start_date" TIMESTAMP(3), "input_price" DECIMAL(65,30));
CREATE TABLE "observations" ("id" TEXT PRIMARY KEY, "project_id" TEXT NOT NULL, "internal_model" TEXT, "start_time" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "prompt_tokens" INTEGER NOT NULL DEFAULT 0);
CREATE TABLE "prompts" ("id" TEXT PRIMARY KEY, "project_id" TEXT NOT NULL, "name" TEXT NOT NULL, "version" INTEGER NOT NULL);
