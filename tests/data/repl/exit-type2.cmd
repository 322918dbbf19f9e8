# Type 2: a device exit goes through the host kernel to the user-level VMM and back.
break exit IO_PORT vm tinyos
c
info exit
step event
step event
step event
step event
finish
