# gdb's vocabulary on a bare program with calls (calls.s): bt, list, finish, next, until,
# advance, tbreak, conditions, ignore counts, commands, displays, edits, run and restart.
break square
continue
bt
list
list
list calls.s:14
finish
bt
next
ni 2
display r3
display /i pc
next 3
until
advance puts
info display
undisplay 1
tbreak putc
info breakpoints
continue
bt
finish
delete
set $r3 = 42
set $r10 = 5
set var $r4=6
set *total = 7
print [total]
info events 3
break calls.s:46 if r1 == 0x6b
commands
print r1
info registers r1
end
info breakpoints
continue
condition 3
ignore 3 1
info breakpoints
continue
delete
run
restart
info registers
tbreak work
continue
finish
advance gva:square
advance square
finish
until 0x1014
# until LOC stops at LOC only in this frame or a caller: square's entry, in a deeper frame,
# is passed (twice), and the run ends with the program
until square
# the old spellings still work, and say their new names
restart
run 100
until r9 == 2
continue 50
continue until r9 == 3
continue
