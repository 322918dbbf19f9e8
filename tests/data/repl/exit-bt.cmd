# Binary translation: a callout of translated code (a call into the co-resident monitor, not a
# VM exit): the pc moves out of the translation cache to the guest instruction the callout
# stands for, the monitor emulates it, and the pc moves back into the translation of what
# follows (translated first). Then a block translated on a block exit. The guest's first
# reflected trap is the bus error that ends size_ram's probe; the exit after it is the
# callout for probe_trap's iret. Until the monitor moves the pc out of the translation cache,
# x/1i pc shows the guest's instruction the monitor handles.
break hv trap-reflect vm tinyos
c
delete
step exit
x/1i pc
info exit
info vmcb
step event
step event
x/1i pc
step event
step event
step event
step event
step event
x/1i pc
step event
break hv bt-translate vm tinyos
c
finish
