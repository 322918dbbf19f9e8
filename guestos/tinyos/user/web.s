; web.s - the web service of the containers-vs-vms workload (svc.inc): 2 pages of working
; set, 10 requests.

        .include "secret.inc"
        .equ SVC_ID, SVC_WEB
        .equ SVC_PAGES, 2
        .equ SVC_ROUNDS, 10
        .include "svc.inc"

msg_head:       .asciz "[web] "
