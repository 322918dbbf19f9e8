0# Every wrong command or argument prints an error (with the usage) and the session goes on.
frobnicate
break
break nosuch
break 0x1002
break gpa:0x1000
break xyz:0x1000
break count cpu
break count cpu 3
break count bogus 1
break trap nosuch
break trap
break mode X
break cycle 0
break instret
break exit IO_PORT
watch
watch counter q
watch 0xf0000000
watch counter rw 3
watch gpa:0x2000
delete 99
delete x
enable
disable 99
stepi 0
stepi a b
step nosuch
step exit
step trap now
run 1 2
run 0
continue 0
advance
until r3 ==
continue until (1
continue until
finish
next 0
tbreak
break count if
break count if r1 ==
condition 99 r1
condition 1
ignore 1
ignore 99 2
commands 99
display/q r1
display nosuch
display /x
undisplay 99
set $r99 = 1
set $r0 = 1
set $pc = 0x1002
set *0x1002 = 1
set *0xf0000000 = 1
set r3 = 1
set $r3 =
bt 1 2
list nosuch
break nosuch.s:3
restart now
info
info nosuch
x
x/4q counter
x/0x counter
x gpa:0
x gva:0
x hpa:0xf0000000
x 0x7ffffff0
print
print 1/0
print foo
disassemble a b c
disassemble start 0
translate
translate 0x1000
translate hpa:0x1000
focus
focus cpu3
focus tinyos
focus hv
vm
vm pause
vm pause 0
vm resume 1
vm frob
sched
sched pin
sched overcommit
set
set cost
set cost nosuch 1
set cost trap_entry x
trace
trace save
source
source /nonexistent/file
help nosuch
quit now
info vms
info vcpus
info vmcb
info registers
info/
i/
vm/
sched/
set/
trace/
info/ bogus
i/x nosuch
vm/ nosuch
sched/ nosuch
set/ nosuch
trace/ nosuch
help info/
break count
commands
print r1
