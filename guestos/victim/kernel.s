; victim/kernel.s - the rogue-dma scenario's bystander (docs/io.md, "The IOMMU as protection"):
; a VM that keeps a secret in its memory, minds its own business for a while, then says what
; its secret is and powers off. If a device of another VM could DMA into its memory, the
; sentence shows it: the secret it prints is not the one it was born with.
;
; A flat program (scenario key `kernel = victim.bin`), loaded at 0x1000, in K with interrupts
; off. The secret is alone on the page at 0x3000, so one host frame holds it.

        .include "../include/hw.inc"

        .equ SPIN, 150000           ; iterations to wait: the rogue's attacks happen meanwhile

start:
        li      sp, 0x8000
        li      r4, SPIN
.spin:  addi    r4, r4, -1
        cmpi    r4, 0
        bne     .spin
        la      r1, said
        call    puts
        la      r1, secret
        call    puts
        la      r1, quote
        call    puts
        out     r0, [POWER]

; puts(r1): the string at r1 on the console.
puts:   ldbu    r2, [r1]
        cmpi    r2, 0
        beq     .end
        out     r2, [UART_DATA]
        addi    r1, r1, 1
        b       puts
.end:   ret

said:   .asciz "victim: my secret is '"
quote:  .asciz "'\n"

        .org 0x3000
secret: .asciz "the victim's secret"
