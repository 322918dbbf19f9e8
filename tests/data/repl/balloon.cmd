# Ballooning (docs/memory.md): "balloon VM SIZE" moves a balloon's target while the guest
# runs; its driver deflates or inflates towards it, and break hv balloon stops at each take
# and give. A VM whose frames cannot move, a size too large or not a size: errors (status 1).
continue 5000000
info memory ballooned
balloon ballooned 1M
break hv balloon vm ballooned
c
step event
c
delete
continue 1000000
info memory ballooned
balloon ballooned 6M
break hv balloon vm ballooned
c
delete
continue 1000000
info memory ballooned
balloon ballooned 9M
balloon ballooned 3Q
balloon ballooned
balloon nosuch 1M
