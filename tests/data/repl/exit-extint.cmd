# EXTERNAL_INTERRUPT: a physical line (here the kick that brings a virtual interrupt) takes the
# pCPU back; the host acknowledges it, and the trap-and-emulate guest gets the virtual one.
break exit EXTERNAL_INTERRUPT vm tinyos
c
info exit
info registers
step event
step event
step event
info registers
step event
