-- The primary key takes the index's name and makes "id" NOT NULL.
ALTER TABLE "t" ADD PRIMARY KEY USING INDEX "t_id_idx";
