/*
 * test_hv_guests.c - the real guests under the hypervisor: tinyos and rtos boot from their own
 * disk images through the boot ROM, each in its VM, and their transcripts equal their native
 * ones (timing lines aside).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../guestos/guest_util.h"
#include "../support/harness.h"
#include "hv_util.h"

static const char tinyos_script[] = "help\nhello\nsyscalls\npagetouch\nforkwait\nfault\n"
                                    "counter &\ncounter &\nps\nwait\npoweroff\n";

/* A VM booting a built image with the boot ROM. */
static int boot_vm(hv_t *hv, const char *name, const char *image, uint32_t memory,
                   const char *input, int pin)
{
    size_t rom_len, disk_len;
    uint8_t *rom = gu_read("rom.bin", &rom_len);
    uint8_t *disk = gu_read(image, &disk_len);
    hv_vm_config_t c = {.name = name, .vcpus = 1, .memory = memory, .rom = rom, .rom_len = rom_len,
                        .disk = disk, .disk_len = disk_len, .input = input, .pin = {pin, -1, -1, -1}};
    char err[200] = "";
    int vm = hv_vm_create(hv, &c, err, sizeof err);
    free(rom);
    free(disk);
    cr_assert_geq(vm, 0, "%s", err);
    return vm;
}

/* Both guests boot and end on their own under the hypervisor, on two pinned pCPUs. */
Test(hv_guests, both_guests_run_to_the_end, .timeout = 120)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 2, &cfg);
    int t = boot_vm(hv, "tinyos", "tinyos.img", 8u << 20, tinyos_script, -1);
    int r = boot_vm(hv, "rtos", "rtos.img", 4u << 20, NULL, -1);
    cr_assert_eq(hv_run(hv, 2000000000ull), SIM_RUN_POWEROFF);
    cr_expect_eq(m.exit_code, 0);
    cr_expect(strstr(hv_vm_console(hv, (unsigned)t), "powering off") != NULL);
    cr_expect(strstr(hv_vm_console(hv, (unsigned)r), "hypervisor present") != NULL);
    cr_expect(strstr(hv_vm_console(hv, (unsigned)r), ": 0 deadline misses") != NULL,
              "pinned, the rtos misses nothing:\n%s", hv_vm_console(hv, (unsigned)r));
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    hu_free(hv, &m);
}
