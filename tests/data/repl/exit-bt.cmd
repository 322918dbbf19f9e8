# Binary translation: a callout of translated code (a call into the co-resident monitor, not a
# VM exit): the pc moves out of the translation cache to the guest instruction the callout
# stands for, the monitor emulates it, and the pc moves back into the translation of what
# follows (translated first). Then a block translated on a block exit.
break cycle 110255
c
delete
step exit
info exit
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
