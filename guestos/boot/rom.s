; rom.s - the boot ROM: the firmware the machine runs at reset.
;
; hvsim places this image at the reset address 0x1000, where the CPU starts in K with
; interrupts off and paging off (a PC's firmware sits where its CPU starts, too). The ROM
; knows nothing about kernels or file systems. It
;   1. sizes RAM: it reads one word every 64 KiB upwards until a read raises bus-error, as
;      old PC firmware probed memory; a small trap handler notes the fault and skips the load;
;   2. checks that a disk is attached and that its sector 0 holds a partition table;
;   3. loads the boot partition whole at 0x8000 (at most 128 sectors, 64 KiB) and jumps to
;      it with r1 = RAM size in bytes and r2 = the disk's size in sectors.
; Anything missing or broken ends the run with "[rom] boot failed: ..." and exit code 1.
;
; Memory: the ROM at 0x1000, the partition table at 0x2000, the stack below 0x8000.

        .include "../include/hw.inc"
        .include "../include/fs.inc"

        .equ TABLE_BUF, 0x2000
        .equ STACK_TOP, 0x8000
        .equ LOADER, 0x8000         ; where the boot partition goes (and runs)
        .equ PROBE_STEP, 0x10000    ; RAM is sized in 64 KiB steps
        .equ PROBE_LIMIT, 0xf0000000 ; devices start here: RAM never reaches it

        .org 0x1000
reset:
        li      sp, STACK_TOP
        call    size_ram
        mov     r9, r1              ; r9 = RAM size, kept for the loader
        in      r10, [DISK_CAPACITY] ; r10 = disk size in sectors
        cmpi    r10, 0
        bne     .have_disk
        la      r1, msg_no_disk
        call    boot_fail
.have_disk:
        li      r1, 0               ; sector 0: the partition table
        li      r2, 1
        li      r3, TABLE_BUF
        call    disk_read
        cmpi    r1, 0
        beq     .read_ok
        call    disk_fail
.read_ok:
        call    find_boot_partition ; r1 = first sector, r2 = sectors
        mov     r11, r1
        mov     r12, r2
        la      r1, msg_hello       ; "[rom] 8192 KiB RAM, disk of N sectors: ..."
        call    puts
        shri    r1, r9, 10
        call    putdec
        la      r1, msg_ram
        call    puts
        mov     r1, r10
        call    putdec
        la      r1, msg_loading
        call    puts
        mov     r1, r12
        call    putdec
        la      r1, msg_sectors
        call    puts
        mov     r1, r11
        mov     r2, r12
        li      r3, LOADER
        call    disk_read
        cmpi    r1, 0
        beq     .loaded
        call    disk_fail
.loaded:
        mov     r1, r9              ; the boot protocol: r1 = RAM size, r2 = disk sectors
        mov     r2, r10
        li      r3, LOADER
        jr      r3

; size_ram() -> r1 = bytes of RAM. Reads upwards in 64 KiB steps; the first address whose
; read raises bus-error is where RAM ends. probe_trap sets r12 and skips the load.
size_ram:
        la      r1, probe_trap
        csrw    tvec, r1
        li      r12, 0              ; set by probe_trap when a read faulted
        li      r1, PROBE_STEP
.probe:
        ld      r2, [r1]            ; bus-error here when no RAM answers
        cmpi    r12, 0
        bne     .end
        li      r2, PROBE_STEP
        add     r1, r1, r2
        la      r2, PROBE_LIMIT
        cmp     r1, r2
        bltu    .probe
.end:
        la      r2, boot_trap       ; from now on a trap is a bug: say so and stop
        csrw    tvec, r2
        ret

probe_trap:
        li      r12, 1
        csrr    r13, epc
        addi    r13, r13, 4         ; skip the load that faulted
        csrw    epc, r13
        iret

; find_boot_partition() -> r1 = first sector, r2 = sectors of the boot partition in the
; table at TABLE_BUF. Fails the boot when there is no table, no boot partition, or one that
; is too large to load.
find_boot_partition:
        push    lr
        li      r5, TABLE_BUF
        ld      r1, [r5 + PT_MAGIC]
        la      r2, PT_MAGIC_VALUE
        cmp     r1, r2
        beq     .table_ok
        la      r1, msg_no_table
        call    boot_fail
.table_ok:
        li      r1, PART_BOOT
        call    find_partition
        cmpi    r1, 0
        bne     .found
        la      r1, msg_no_boot
        call    boot_fail
.found:
        cmpi    r2, DISK_MAX_COUNT
        bleu    .size_ok
        la      r1, msg_too_big
        call    boot_fail
.size_ok:
        pop     lr
        ret

        .include "bootlib.inc"

who:          .asciz "[rom] "
msg_hello:    .asciz "[rom] "
msg_ram:      .asciz " KiB RAM, disk of "
msg_loading:  .asciz " sectors: loading the boot partition ("
msg_sectors:  .asciz " sectors) at 0x8000\n"
msg_no_disk:  .asciz "no disk attached (the block device reports 0 sectors)"
msg_no_table: .asciz "sector 0 of the disk holds no partition table (no \"HVPT\" magic)"
msg_no_boot:  .asciz "the partition table has no boot partition"
msg_too_big:  .asciz "the boot partition is larger than 128 sectors"
