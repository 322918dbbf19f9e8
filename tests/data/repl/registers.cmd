# info registers NAME...: just the registers named, one a line, as gdb prints them; a bad
# name is an error that names the ones there are.
info registers r1 sp $pc flags
si 2
info registers r1 pc lr
info registers r16
info registers r1 nosuch
info registers
