# Memory overcommit (docs/memory.md): stop at a swap-out, a swap-in and a copy-on-write break;
# step event narrates each; info memory shows where each VM's memory is.
info memory
break hv swap-out vm tinyos
c
step event
info memory tinyos
delete
break hv swap-in
c
info memory
info memory nosuch
