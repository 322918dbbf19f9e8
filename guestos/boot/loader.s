; loader.s - the boot loader: what the boot partition holds. The ROM loads it at 0x8000 and
; jumps here with r1 = RAM size and r2 = the disk's size in sectors.
;
; It knows the file system just enough to find one file: it takes the first fs partition in
; the partition table, checks its superblock, reads its root directory, looks up the entry
; "kernel" (a linear scan of fixed 32-byte entries, comparing the 20-byte NUL-padded name
; field word by word), loads the kernel's extent at 0x20000 and jumps to its first byte.
;
; The boot protocol (docs/guests.md): the kernel starts in K with interrupts and paging off,
; and r1 = RAM size in bytes, r2 = the first sector of the fs partition (so the kernel can
; read its own files without parsing the partition table again), r3 = 0x544f4f42 ("BOOT":
; the kernel can tell it was started by this loader), r4 = the disk's size in sectors.
;
; Memory: the partition table at 0x2000, the superblock at 0x2200, the root directory at
; 0x3000 (at most 16 sectors), the stack below 0x8000, the kernel from 0x20000.

        .include "../include/hw.inc"
        .include "../include/fs.inc"

        .equ TABLE_BUF, 0x2000
        .equ SUPER_BUF, 0x2200
        .equ DIR_BUF, 0x3000
        .equ DIR_MAX_SECTORS, 16
        .equ STACK_TOP, 0x8000
        .equ KERNEL_BASE, 0x20000
        .equ KERNEL_MAX, 0x100000   ; 1 MiB: more than a teaching kernel needs
        .equ BOOT_MAGIC, 0x544f4f42 ; "BOOT"

        .org 0x8000
start:
        li      sp, STACK_TOP
        la      r3, boot_trap       ; a trap while loading is a bug: report it
        csrw    tvec, r3
        mov     r9, r1              ; r9 = RAM size, r10 = disk sectors (for the kernel)
        mov     r10, r2
        li      r1, 0
        li      r2, 1
        li      r3, TABLE_BUF
        call    read_or_fail
        call    find_fs_partition
        mov     r11, r1             ; r11 = the fs partition's first sector
        li      r2, 1
        li      r3, SUPER_BUF
        call    read_or_fail        ; its superblock
        call    read_root           ; the root directory into DIR_BUF
        call    find_kernel         ; r1 = partition-relative first sector, r2 = size
        mov     r12, r2             ; r12 = kernel size in bytes
        add     r1, r1, r11         ; absolute sector
        addi    r2, r2, SECTOR - 1  ; sectors = ceil(size / 512)
        shri    r2, r2, 9
        la      r3, KERNEL_BASE
        call    read_or_fail
        la      r1, msg_loaded      ; "[boot] /kernel: N bytes at 0x00020000"
        call    puts
        mov     r1, r12
        call    putdec
        la      r1, msg_at
        call    puts
        mov     r1, r9              ; the boot protocol
        mov     r2, r11
        la      r3, BOOT_MAGIC
        mov     r4, r10
        la      r5, KERNEL_BASE
        jr      r5

; read_or_fail(r1 = sector, r2 = count, r3 = address): disk_read, or stop the boot.
read_or_fail:
        push    lr
        call    disk_read
        cmpi    r1, 0
        beq     .ok
        call    disk_fail
.ok:
        pop     lr
        ret

; find_fs_partition() -> r1 = first sector of the first fs partition in TABLE_BUF (the ROM
; has checked the table's magic).
find_fs_partition:
        push    lr
        li      r1, PART_FS
        call    find_partition
        cmpi    r1, 0
        bne     .found
        la      r1, msg_no_fs
        call    boot_fail
.found:
        pop     lr
        ret

; read_root(): checks the superblock at SUPER_BUF and reads the root directory into DIR_BUF.
read_root:
        push    lr
        li      r5, SUPER_BUF
        ld      r1, [r5 + SB_MAGIC]
        la      r2, SB_MAGIC_VALUE
        cmp     r1, r2
        beq     .super_ok
        la      r1, msg_no_super
        call    boot_fail
.super_ok:
        ld      r2, [r5 + SB_ROOT_SIZE]
        addi    r2, r2, SECTOR - 1  ; sectors = ceil(size / 512)
        shri    r2, r2, 9
        cmpi    r2, DIR_MAX_SECTORS
        bleu    .size_ok
        la      r1, msg_big_root
        call    boot_fail
.size_ok:
        ld      r1, [r5 + SB_ROOT_FIRST]
        add     r1, r1, r11         ; partition-relative -> absolute
        li      r3, DIR_BUF
        call    read_or_fail
        li      r5, DIR_BUF
        ld      r1, [r5 + DIR_MAGIC]
        la      r2, DIR_MAGIC_VALUE
        cmp     r1, r2
        beq     .dir_ok
        la      r1, msg_bad_root
        call    boot_fail
.dir_ok:
        pop     lr
        ret

; find_kernel() -> r1 = first sector (partition-relative), r2 = size of the root directory's
; file "kernel". Fails the boot when there is none or it does not fit below KERNEL_MAX or RAM.
find_kernel:
        li      r5, DIR_BUF
        ld      r6, [r5 + DIR_COUNT] ; entries: at most what the buffer holds
        li      r1, DIR_MAX_SECTORS * SECTOR / DE_BYTES - 1
        cmp     r6, r1
        bleu    .count_ok
        mov     r6, r1
.count_ok:
        addi    r5, r5, DIR_ENTRIES
.entry:
        cmpi    r6, 0
        beq     .none
        la      r7, kernel_name     ; compare the 20-byte name fields, a word at a time
        li      r8, 0
.word:
        add     r1, r5, r8
        ld      r1, [r1]
        add     r2, r7, r8
        ld      r2, [r2]
        cmp     r1, r2
        bne     .next
        addi    r8, r8, 4
        cmpi    r8, NAME_LEN
        blt     .word
        ld      r1, [r5 + DE_TYPE]
        cmpi    r1, ENTRY_FILE
        beq     .found
.next:
        addi    r5, r5, DE_BYTES
        addi    r6, r6, -1
        b       .entry
.found:
        ld      r1, [r5 + DE_FIRST]
        ld      r2, [r5 + DE_SIZE]
        la      r3, KERNEL_MAX      ; it must fit below 1 MiB and in RAM
        cmp     r2, r3
        bgtu    .too_big
        la      r3, KERNEL_BASE
        add     r3, r3, r2
        cmp     r3, r9
        bgtu    .too_big
        ret
.too_big:
        la      r1, msg_big_kernel
        call    boot_fail
.none:
        la      r1, msg_no_kernel
        call    boot_fail

        .include "bootlib.inc"

        .align  4
kernel_name:    .ascii "kernel"     ; the name as the directory stores it: NUL-padded to 20
        .space  NAME_LEN - 6
who:            .asciz "[boot] "
msg_loaded:     .asciz "[boot] /kernel: "
msg_at:         .asciz " bytes at 0x00020000\n"
msg_no_fs:      .asciz "no file-system partition on the disk"
msg_no_super:   .asciz "the file-system partition has no superblock (no \"HVFS\" magic)"
msg_big_root:   .asciz "the root directory is larger than 16 sectors"
msg_bad_root:   .asciz "the root directory is damaged (no \"HVDR\" magic)"
msg_no_kernel:  .asciz "no file /kernel in the root directory"
msg_big_kernel: .asciz "/kernel does not fit in memory (more than 1 MiB or past the end of RAM)"
