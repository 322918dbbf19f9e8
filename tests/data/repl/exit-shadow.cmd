# Shadow paging: a hidden page fault fills the shadow; a tlbinv drops a page from it.
break exit EXCEPTION vm tinyos
c
info exit
step event
step event
step event
delete
break hv shadow-sync vm tinyos
c
info exit
finish
