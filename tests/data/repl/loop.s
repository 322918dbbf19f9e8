; loop.s - an endless loop, for stopping `continue` with Ctrl-C (tests/ui/test_repl.c).
start:  li      r1, 0
spin:   addi    r1, r1, 1
        b       spin
