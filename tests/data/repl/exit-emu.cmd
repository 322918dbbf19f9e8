# Emulation: the interpreter's work for the instructions tinyos retired since the last exit is
# charged at the exit, itemized as N x emu_insn in the handler's action; the entry follows.
break exit IO_PORT vm tinyos
c
info exit
step event
step event
finish
