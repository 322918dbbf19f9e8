; cache.s - the cache service of the containers-vs-vms workload (svc.inc): 4 pages of working
; set, 10 requests.

        .include "secret.inc"
        .equ SVC_ID, SVC_CACHE
        .equ SVC_PAGES, 4
        .equ SVC_ROUNDS, 10
        .include "svc.inc"

msg_head:       .asciz "[cache] "
