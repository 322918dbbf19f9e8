# ENTRY_FAILED: a VMCB the CPU refuses (its revision spoiled by hand) is an exit like any
# other; the handler stops the VM for good and the pCPU idles. The VMCB's address is the
# debugger's `vmcb` (the exiting VCPU's), not a number copied from `info vmcb`.
break exit IO_PORT vm tinyos
c
info vmcb
set *hpa:vmcb = 2
delete
break exit ENTRY_FAILED
c
info exit
step event
step event
step event
info vms
