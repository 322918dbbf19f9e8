/*
 * test_wording.c - small things a student reads: counts with their nouns in the right number
 * ("1 injection", "2 injections"), digits grouped in every count of the statistics, the
 * `hvsim isa` table's columns lined up, and figures (not cost-table names) where numbers belong.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"

static const struct {
    uint64_t n;
    const char *noun, *want;
} counted[] = {
    {0, "injection", "0 injections"},
    {1, "injection", "1 injection"},
    {2, "injection", "2 injections"},
    {1, "VM", "1 VM"},
    {3, "VM", "3 VMs"},
    {1, "VCPU switch", "1 VCPU switch"},
    {24, "VCPU switch", "24 VCPU switches"},
    {2, "miss", "2 misses"},
    {1, "miss", "1 miss"},
    {2, "flush", "2 flushes"},
    {1234567, "directory", "1 234 567 directories"},
    {1, "directory", "1 directory"},
    {2, "day", "2 days"},
    {2, "box", "2 boxes"},
};

ParameterizedTestParameters(wording, counted_nouns)
{
    TH_ROW_INDICES(sizeof counted / sizeof counted[0]);
}

ParameterizedTest(size_t *row, wording, counted_nouns)
{
    char buf[64];
    cr_expect_str_eq(sim_counted(counted[*row].n, counted[*row].noun, buf, sizeof buf),
                     counted[*row].want);
}

/* The default scenario injects one interrupt into each VM: the summary says so in the singular,
 * and groups every count. */
Test(wording, hypervisor_statistics_in_the_singular)
{
    int status;
    char *out = th_sh("$B/hvsim --headless | grep '^ *memory:'", false, &status);
    cr_expect_str_eq(out, "    memory: 2 048 frames backed at creation, 2 large pages of 4 MiB; 1 "
                          "injection, 24 VCPU switches\n"
                          "    memory: 1 024 frames backed at creation, 1 large page of 4 MiB; 1 "
                          "injection, 67 VCPU switches\n");
    free(out);
    out = th_sh("$B/hvsim --headless | grep -E '^(\\[stats\\]|  )' | grep -E '[0-9]{4}'", false,
                &status);
    cr_expect_str_eq(out, "", "ungrouped numbers in the statistics:\n%s", out);
    free(out);
}

/* The emulation line gives emu_insn's figure (from the cost table), not its name alone. */
Test(wording, emulation_cost_is_a_number)
{
    sim_costs_t c;
    sim_costs_default(&c);
    char want[128];
    snprintf(want, sizeof want,
             "    emulation: 45 785 227 guest instructions interpreted, %u cycles each (emu_insn)\n",
             c.c[SIM_COST_emu_insn]);
    int status;
    char *out = th_sh("$B/hvsim --scenario emu | grep emulation: | head -1", false, &status);
    cr_expect_str_eq(out, want);
    free(out);
}

/* Every column of `hvsim isa` starts where its heading does, on every row, counting characters
 * as the terminal shows them (the dash of "no operands" is one character but three bytes). */
static void as_shown(const char *line, char *out, size_t len)
{
    size_t o = 0;
    for (const char *c = line; *c && o + 1 < len; c++)
        if (((unsigned char)*c & 0xc0) != 0x80) /* a continuation byte takes no column */
            out[o++] = ((unsigned char)*c & 0x80) ? '?' : *c;
    out[o] = '\0';
}

Test(wording, isa_table_columns_line_up)
{
    int status;
    char *out = th_sh("$B/hvsim isa | grep -E '^(opcode|0x)'", false, &status);
    cr_assert_eq(status, 0);
    static const char *const heads[] = {"name", "operands", "cycles", "class", "meaning"};
    size_t at[5];
    char shown[256];
    int rows = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), rows++) {
        as_shown(line, shown, sizeof shown);
        for (int k = 0; k < 5; k++) {
            if (rows == 0) {
                cr_assert_not_null(strstr(shown, heads[k]));
                at[k] = (size_t)(strstr(shown, heads[k]) - shown);
            }
            cr_expect(strlen(shown) > at[k] && shown[at[k] - 1] == ' ' && shown[at[k]] != ' ',
                      "'%s': the %s column does not start at %zu", line, heads[k], at[k]);
        }
    }
    cr_expect_gt(rows, 50);
    free(out);
}

/* `info stats` groups every count, the event counts too (tinyos makes thousands of each). */
Test(wording, info_stats_groups_its_numbers)
{
    th_expect_output("printf 'c\\ninfo stats\\n' | $B/hvsim --repl --scenario native-tinyos | "
                     "sed -n '/^cpu0: /,$p' | grep -cE '[0-9]{4}|[0-9] [0-9]{3}'",
                     "6\n");
    th_expect_output("printf 'c\\ninfo stats\\n' | $B/hvsim --repl --scenario native-tinyos | "
                     "sed -n '/^cpu0: /,$p' | grep -E '[0-9]{4}'",
                     "");
}
