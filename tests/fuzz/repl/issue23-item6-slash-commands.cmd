0info/
i/
vm/
sched/
set/
trace/
info/bogus
