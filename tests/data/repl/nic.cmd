# The network card in loopback (examples/nic.s): its rings and counters, and its events.
info nic
break on_irq
continue
info nic
info events 5
continue
