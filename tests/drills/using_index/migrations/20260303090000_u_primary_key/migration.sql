-- The index is renamed to "u_pkey"; "b" becomes NOT NULL, "a" already was.
ALTER TABLE "u" ADD CONSTRAINT "u_pkey" PRIMARY KEY USING INDEX "u_a_b_idx";
