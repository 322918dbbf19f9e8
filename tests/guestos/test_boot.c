/*
 * test_boot.c - the boot path: reset -> boot ROM -> boot loader -> kernel, from the built disk
 * images; and every way a broken disk stops the boot with a clear message on the console and
 * a non-zero exit code, never a hang.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "guest_util.h"

#define RAM (4u << 20)
#define MAX_CYCLES 400000000ull

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

Test(boot_path, rom_loader_kernel)
{
    sim_machine_t m;
    cr_assert_eq(gu_boot(&m, "rtos.img", RAM, NULL, MAX_CYCLES), SIM_RUN_POWEROFF);
    const char *out = sim_console_captured(&m);
    cr_expect(strstr(out, "[rom] 4096 KiB RAM, disk of ") == out, "%s", out);
    cr_expect(strstr(out, " sectors) at 0x8000\n[boot] /kernel: ") != NULL, "%s", out);
    cr_expect(strstr(out, " bytes at 0x00020000\n[rtos] ") != NULL, "%s", out);
    cr_expect_eq(m.exit_code, 0);
    cr_expect_eq(m.disk.errors, 0);
    sim_machine_free(&m);
}

/* The ROM sizes RAM by probing, whatever the machine has. */
Test(boot_path, rom_sizes_ram)
{
    sim_machine_t m;
    gu_boot(&m, "rtos.img", 3u << 20, NULL, MAX_CYCLES);
    cr_expect(strstr(sim_console_captured(&m), "[rom] 3072 KiB RAM") != NULL);
    sim_machine_free(&m);
}

/* A kernel not started by the loader refuses to run. */
Test(boot_path, tinyos_checks_the_boot_magic)
{
    sim_machine_t m;
    size_t len;
    uint8_t *kernel = gu_read("tinyos.bin", &len);
    cr_assert_eq(sim_machine_init(&m, 8u << 20, 1), 0);
    sim_console_set_output(&m, NULL);
    cr_assert_eq(sim_load(&m, 0x20000, kernel, len), 0);
    free(kernel);
    m.cpu[0].s.pc = 0x20000;
    cr_expect_eq(sim_run(&m, MAX_CYCLES), SIM_RUN_POWEROFF);
    cr_expect_str_eq(sim_console_captured(&m),
                     "[tinyos] panic: not started by the boot loader (r3 is not \"BOOT\")\n");
    cr_expect_eq(m.exit_code, 2);
    sim_machine_free(&m);
}

/* ---- broken disks ----------------------------------------------------------------------- */
typedef enum {
    NO_DISK,
    NO_TABLE,
    NO_BOOT_PARTITION,
    BOOT_TOO_BIG,
    BOOT_PAST_THE_END,
    LOADER_ZEROED,
    NO_FS_PARTITION,
    NO_SUPERBLOCK,
    ROOT_DAMAGED,
    NO_KERNEL,
    KERNEL_TOO_BIG,
    KERNEL_PAST_THE_END,
    TINYOS_NO_BIN,
} breakage_t;

typedef struct {
    const char *name;
    const char *image;
    breakage_t what;
    const char *message; /* the console's last line */
    uint32_t exit_code;
} broken_t;

static broken_t broken[] = {
    {"no disk", "rtos.img", NO_DISK,
     "[rom] boot failed: no disk attached (the block device reports 0 sectors)\n", 1},
    {"no partition table", "rtos.img", NO_TABLE,
     "[rom] boot failed: sector 0 of the disk holds no partition table (no \"HVPT\" magic)\n", 1},
    {"no boot partition", "rtos.img", NO_BOOT_PARTITION,
     "[rom] boot failed: the partition table has no boot partition\n", 1},
    {"boot partition too big", "rtos.img", BOOT_TOO_BIG,
     "[rom] boot failed: the boot partition is larger than 128 sectors\n", 1},
    {"boot partition past the end", "rtos.img", BOOT_PAST_THE_END,
     "[rom] boot failed: disk error 3\n", 1},
    {"loader zeroed", "rtos.img", LOADER_ZEROED,
     "[rom] boot failed: unexpected trap, cause 0 at address 0x00008000\n", 1},
    {"no fs partition", "rtos.img", NO_FS_PARTITION,
     "[boot] boot failed: no file-system partition on the disk\n", 1},
    {"no superblock", "rtos.img", NO_SUPERBLOCK,
     "[boot] boot failed: the file-system partition has no superblock (no \"HVFS\" magic)\n", 1},
    {"root directory damaged", "rtos.img", ROOT_DAMAGED,
     "[boot] boot failed: the root directory is damaged (no \"HVDR\" magic)\n", 1},
    {"no /kernel", "rtos.img", NO_KERNEL,
     "[boot] boot failed: no file /kernel in the root directory\n", 1},
    {"kernel too big", "rtos.img", KERNEL_TOO_BIG,
     "[boot] boot failed: /kernel does not fit in memory (more than 1 MiB or past the end of "
     "RAM)\n", 1},
    {"kernel past the end", "rtos.img", KERNEL_PAST_THE_END,
     "[boot] boot failed: disk error 3\n", 1},
    {"tinyos without /bin", "tinyos.img", TINYOS_NO_BIN,
     "[tinyos] panic: no directory /bin on the disk\n", 2},
};

/* Breaks the image the way p says, using the checker's view of it to find the bytes. */
static void break_image(const broken_t *p, uint8_t *b, size_t len)
{
    sim_image_t img;
    cr_assert_eq(sim_image_open(b, len, &img, NULL), 0, "the built image is not valid");
    int boot = -1, fs = sim_image_find_part(&img, NULL);
    for (unsigned i = 0; i < img.nparts; i++)
        if (img.part[i].type == SIM_PART_BOOT)
            boot = (int)i;
    cr_assert(boot >= 0 && fs >= 0);
    uint8_t *boot_entry = b + 32 + 32 * boot, *fs_entry = b + 32 + 32 * fs;
    uint8_t *super = b + (size_t)img.part[fs].first * SIM_SECTOR_SIZE;
    sim_image_entry_t e;
    switch (p->what) {
    case NO_DISK: break;
    case NO_TABLE: put32(b, 0); break;
    case NO_BOOT_PARTITION: put32(boot_entry + 16, SIM_PART_FS); break;
    case BOOT_TOO_BIG: put32(boot_entry + 24, 129); break;
    case BOOT_PAST_THE_END: put32(boot_entry + 20, img.sectors); break;
    case LOADER_ZEROED:
        memset(b + (size_t)img.part[boot].first * SIM_SECTOR_SIZE, 0, SIM_SECTOR_SIZE);
        break;
    case NO_FS_PARTITION: put32(fs_entry + 16, SIM_PART_BOOT); break;
    case NO_SUPERBLOCK: put32(super, 0); break;
    case ROOT_DAMAGED:
        memset(super + (size_t)img.part[fs].root_first * SIM_SECTOR_SIZE, 0, 4);
        break;
    case NO_KERNEL:
    case KERNEL_TOO_BIG:
    case KERNEL_PAST_THE_END:
        cr_assert_eq(sim_image_lookup(&img, (unsigned)fs, "/kernel", &e), 0);
        if (p->what == NO_KERNEL)
            b[e.entry_offset + 5] = 'X'; /* "kernel" -> "kerneX" */
        else if (p->what == KERNEL_TOO_BIG)
            put32(b + e.entry_offset + 28, 0x200000);
        else
            put32(b + e.entry_offset + 24, img.part[fs].sectors + 10);
        break;
    case TINYOS_NO_BIN:
        cr_assert_eq(sim_image_lookup(&img, (unsigned)fs, "/bin", &e), 0);
        b[e.entry_offset] = 'B';
        break;
    }
}

ParameterizedTestParameters(boot_failure, stops_with_a_message)
{
    TH_ROW_INDICES(sizeof broken / sizeof broken[0]);
}

ParameterizedTest(size_t *index, boot_failure, stops_with_a_message)
{
    const broken_t *p = &broken[*index];
    size_t len;
    uint8_t *bytes = gu_read(p->image, &len);
    break_image(p, bytes, len);
    sim_machine_t m;
    gu_machine(&m, 8u << 20, p->what == NO_DISK ? NULL : bytes, len, NULL);
    free(bytes);
    cr_assert_eq(sim_run(&m, MAX_CYCLES), SIM_RUN_POWEROFF, "%s: the boot did not stop",
                 p->name);
    const char *out = sim_console_captured(&m);
    size_t n = strlen(out), want = strlen(p->message);
    cr_expect(n >= want && strcmp(out + n - want, p->message) == 0,
              "%s: the console ends with\n%s\nwant\n%s", p->name, out, p->message);
    cr_expect_eq(m.exit_code, p->exit_code, "%s: exit code %u", p->name, m.exit_code);
    sim_machine_free(&m);
}

/* The same through the command line: a broken image file gives the message and exit 1. */
Test(boot_failure, hvsim_exit_status)
{
    int status;
    char *out = th_sh("d=$(mktemp -d) && cp $B/hvsim $d/ && mkdir $d/guestos && "
                      "cp $B/guestos/rom.bin $d/guestos/ && "
                      "head -c 512 /dev/zero > $d/guestos/rtos.img && "
                      "$d/hvsim --scenario native-rtos; s=$?; rm -rf $d; exit $s",
                      true, &status);
    cr_expect_str_eq(out, "[rom] boot failed: sector 0 of the disk holds no partition table "
                          "(no \"HVPT\" magic)\n");
    cr_expect_eq(status, 1);
    free(out);
}
