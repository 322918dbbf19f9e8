# An IO_PORT exit of tinyos, stepped one hypervisor action at a time.
info registers
x/2i pc
info exit
break exit IO_PORT vm tinyos
c
info exit
info registers
x/3i pc
translate pc
si
si
si
si
si
si
info events 7
