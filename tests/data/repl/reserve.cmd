# Reservations (docs/memory.md, "Reservations"): info memory and info limits show kept's
# 4 MiB floor before the run (it has not grown to it yet) and at its end, when reclaim
# stopped at it each time other needed a frame; other has none.
info memory
info limits kept
continue
info memory
info limits
