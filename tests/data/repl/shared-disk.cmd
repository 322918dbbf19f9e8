# The shared-disk scenario: three VMs' first disk commands queue at the host's one disk (each
# stop's sentence says what waits behind whom); the queue in `info disk`; at the end, what
# each VM's commands waited.
break hv disk
continue
continue
continue
info disk
delete
continue
info disk
