; db.s - the db service of the containers-vs-vms workload (svc.inc): 6 pages of working
; set, 10 requests.

        .include "secret.inc"
        .equ SVC_ID, SVC_DB
        .equ SVC_PAGES, 6
        .equ SVC_ROUNDS, 10
        .include "svc.inc"

msg_head:       .asciz "[db] "
