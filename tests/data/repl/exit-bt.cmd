# Binary translation: a callout of translated code, and the blocks it translates.
break hv bt-callout vm tinyos
c
info exit
x/2i pc
step event
step event
delete
break hv bt-translate vm tinyos
c
finish
