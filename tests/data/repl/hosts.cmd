# Each host's RAM (docs/migration.md, "Two hosts, each with its RAM"): before the move tinyos's
# frames are host0's; at its end host1 holds it and host0 has its frames back.
info memory
continue
info memory
