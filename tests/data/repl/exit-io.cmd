# An IO_PORT exit of tinyos, stepped one hypervisor action at a time: the registers and pc
# shown at each sub-step are the VCPU's as of that action (r10 changes at the write, the pc
# at the move past the instruction); so is memory (r10's word in the VMCB, read with x).
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
p $pc
x/1x hpa:0x00013128
si
info registers
si
info registers
x/1x hpa:0x00013128
info registers r10 $pc
x/1i $pc
si
info registers
x/1i $pc
p $pc
info exit
si
info registers
si
info events 7
