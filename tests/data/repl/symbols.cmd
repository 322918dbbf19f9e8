# Symbols in a scenario, without focus: every VM's, qualified when ambiguous (issue 12).
complete focus 
complete b tinyos:timer_t
complete b rtos:timer_t
print timer_tick
break timer_tick
break tinyos:timer_tick
break rtos:nosuch
break nosuch:timer_tick
info breakpoints
c
info symbol pc
info symbol tinyos:timer_tick+8
info symbol rtos:timer_tick
info symbol gpa:timer_tick
# A host-physical address carries no guest's symbols: the same number is another word.
x/1i hpa:0x2042c
info symbol hpa:0x2042c
x/1i gva:0x2042c
# Another VM's symbol reads that VM's memory, whatever the focus.
focus rtos
x/2x tinyos:ticks
print [tinyos:ticks] + 1
focus tinyos
delete
watch tinyos:ticks
awatch gpa:tinyos:ticks
c
info breakpoints
