/*
 * guest_util.c - helpers for the guest tests (see guest_util.h).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "guest_util.h"

uint8_t *gu_read(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/guestos/%s", th_build_dir(), name);
    uint8_t *bytes = (uint8_t *)sim_read_file(path, len);
    cr_assert_not_null(bytes, "%s is missing: the guests are built by make", path);
    return bytes;
}

void gu_machine(sim_machine_t *m, uint32_t ram, const uint8_t *disk, size_t len,
                const char *input)
{
    cr_assert_eq(sim_machine_init(m, ram, 1), 0);
    sim_console_set_output(m, NULL);
    size_t rom_len;
    uint8_t *rom = gu_read("rom.bin", &rom_len);
    cr_assert_eq(sim_load(m, CPU_RESET_PC, rom, rom_len), 0);
    free(rom);
    if (disk)
        cr_assert_eq(sim_disk_attach(m, disk, len), 0);
    if (input)
        sim_console_set_input(m, input, strlen(input));
}

sim_run_result_t gu_boot(sim_machine_t *m, const char *image, uint32_t ram, const char *input,
                         uint64_t max_cycles)
{
    size_t len;
    uint8_t *bytes = gu_read(image, &len);
    gu_machine(m, ram, bytes, len, input);
    free(bytes);
    return sim_run(m, max_cycles);
}

unsigned gu_count(const char *text, const char *needle)
{
    unsigned n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

void gu_expect_transcript(const char *scenario)
{
    char cmd[128], golden[128];
    snprintf(cmd, sizeof cmd, "$B/hvsim --scenario %s", scenario);
    snprintf(golden, sizeof golden, "tests/data/guests/%s.txt", scenario);
    int status;
    char *out = th_sh(cmd, false, &status);
    th_expect_golden(golden, out, cmd); /* HVSIM_UPDATE_GOLDEN=1 rewrites it, as for the others */
    cr_expect_eq(status, 0);
    free(out);
}

void gu_expect_identical_runs(const char *scenario)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "$B/hvsim --scenario %s --stats", scenario);
    int s1, s2;
    char *a = th_sh(cmd, true, &s1);
    char *b = th_sh(cmd, true, &s2);
    cr_expect_str_eq(a, b);
    cr_expect(strstr(a, "cpu0: instructions ") != NULL, "%s", a);
    cr_expect(strstr(a, "disk: ") != NULL, "%s", a);
    cr_expect_eq(s1, 0);
    cr_expect_eq(s2, 0);
    free(a);
    free(b);
}
