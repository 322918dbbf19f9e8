# Page sharing (docs/memory.md): the first page shared, the first copy-on-write break.
break hv share
c
step event
delete
break hv cow
c
info memory
