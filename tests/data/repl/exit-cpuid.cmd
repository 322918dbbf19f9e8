# CPUID: the virtual CPU describes itself; the rtos learns a hypervisor is present (leaf 1).
break exit CPUID vm rtos
c
info exit
step event
step event
step event
info registers
step event
step event
