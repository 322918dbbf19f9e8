# Stepping backwards: reverse-stepi puts the whole machine back (registers, memory; what the
# console printed is not printed again) and stepping forward again gives the same run.
set checkpoint-interval 1000
break count
continue
continue
delete
stepi 20
x/2dw counter
info registers
reverse-stepi 20
x/2dw counter
stepi 20
info registers
continue
rsi 10
x/2dw counter
continue
# errors: nothing to step back, no checkpoint left after an edit
reverse-stepi 0
reverse-stepi 1000
set checkpoint-interval 10
set $r3 = 7
reverse-stepi
