# A hypercall: the rtos registers its mark ring (hypercall 3), an action of its own with its
# sentence. At each sub-step, `info events` ends at the action shown: what the handler does
# after it has not happened yet at that sub-step.
break exit HYPERCALL vm rtos
c
info exit
step event
step event
info events 3
step event
step event
step event
info events 2
