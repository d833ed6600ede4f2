CREATE TABLE "Item" ("id" TEXT NOT NULL, "projectId" TEXT NOT NULL, "validFrom" TIMESTAMP(3) NOT NULL, CONSTRAINT "Item_pkey" PRIMARY KEY ("id", "projectId"));
CREATE UNIQUE INDEX "Item_id_projectId_validFrom_key" ON "Item"("id", "projectId", "validFrom");
-- forward
ALTER TABLE "Item" DROP CONSTRAINT "Item_pkey",
ADD CONSTRAINT "Item_pkey" PRIMARY KEY USING INDEX "Item_id_projectId_validFrom_key";
