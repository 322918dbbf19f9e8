# Trap-and-emulate: the deprivileged kernel's privileged instruction traps and is emulated.
break exit EXCEPTION vm tinyos
c
c
info exit
x/1i pc
step event
step event
step event
delete
break hv trap-reflect vm tinyos
c
info exit
finish
