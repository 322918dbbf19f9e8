1info/
i/
vm/
sched/
set/
trace/ x
vm/ y
