1# gdb's vocabulary on the default scenario: tinyos's kernel routines under the hypervisor.
focus tinyos
break kputc
continue
bt
list
finish
bt
next
ni 2
display/x r1
until
disable 1
advance kputc
enable 1
condition 1 r1 == 0x0a
ignore 1 1
continue
info breakpoints
info display
continue until r1 == 0x20
delete
break exit IO_PORT vm tinyos
continue
bt
finish
delete
break kputdec if r1 > 8000
continue
info breakpoints
set $r5 = 0x1234
set *gva:ticks = 99
x/1x gva:ticks
set *gpa:0x7000 = 0x55
x/1x gpa:0x7000
info events 3
undisplay
tbreak disk_read vm tinyos
restart
info vms
continue
bt
next
commands 3
bt 1
end
run
