# ENTRY_FAILED: a VMCB the CPU refuses (its revision spoiled by hand) is an exit like any
# other; the handler stops the VM for good and the pCPU idles.
break exit IO_PORT vm tinyos
c
info vmcb
set *hpa:0x00011000 = 2
delete
break exit ENTRY_FAILED
c
info exit
step event
step event
step event
info vms
