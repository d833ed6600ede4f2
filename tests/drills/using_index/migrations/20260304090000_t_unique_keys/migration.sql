-- A named UNIQUE renames its index; an unnamed one takes the index's name. Neither sets NOT NULL.
ALTER TABLE "t" ADD CONSTRAINT "t_a_b_key" UNIQUE USING INDEX "t_a_b_idx" DEFERRABLE;
ALTER TABLE "t" ADD UNIQUE USING INDEX "t_c_uidx";
