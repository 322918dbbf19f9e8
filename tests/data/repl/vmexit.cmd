info vms
info vcpus
vm pause rtos
info vms
vm resume rtos
sched overcommit
sched pin
continue 13000000
break exit IO_PORT vm 0
c
info vms
info vcpus
info vmcb
translate gva:disk_kick+0xc0
x/4x gpa:disk_kick+0xb8
x/2i gva:disk_kick+0xc0
info breakpoints
focus hv
x/4x gpa:0x1000
break mode H
focus tinyos
step exit
delete
break exit any vm tinyos
c
delete
c
