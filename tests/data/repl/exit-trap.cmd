# Trap-and-emulate: the deprivileged kernel's privileged instruction traps and is emulated;
# the pc moves past it at the sub-step that says so, not before.
break exit EXCEPTION vm tinyos
c
c
info exit
x/1i pc
step event
info registers
step event
info registers
x/1i pc
step event
x/1i pc
step event
info events 3
delete
break hv trap-reflect vm tinyos
c
info exit
finish
info events 2
