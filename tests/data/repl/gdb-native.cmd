# A native scenario (tinyos on bare hardware): its line tables, bt, and a restart that comes
# back to the same stop at the same cycle.
break kputc
continue
list
bt 2
delete
restart
tbreak kputc
continue
info breakpoints
