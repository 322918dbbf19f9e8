# A NESTED_FAULT: the first touch of a page backs it with a host frame.
break handler hv_handle_nested_fault vm tinyos
info breakpoints
c
info exit
step event
step event
step event
info registers
