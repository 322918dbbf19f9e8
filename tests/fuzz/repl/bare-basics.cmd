0# A session through the demo program: breakpoints, watchpoints, a trap, memory and stepping.
info registers
break count
continue
continue
info registers
info breakpoints
delete 1
watch counter
continue
continue
delete
break mode U
continue
info registers
step trap
x/4xw hpa:0x1000
x/s message
x/8xb message
x/2dw counter
x/tw counter
x/4c message
x/2uh counter
x/3i user
disassemble puts 4
print r1 * 2 + 1
print cycle
continue until r2 == 0x69
stepi
stepi 3
break done
disable 4
info breakpoints
disassemble
enable 4
info events 4
continue
info stats
continue
