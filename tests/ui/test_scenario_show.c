/*
 * test_scenario_show.c - `hvsim scenario show NAME` prints every built-in scenario as an INI
 * file that loads back to the same machine: the configuration read back is the one printed
 * (field by field, in-process), and a run of the printed file gives the same console output,
 * statistics and exit status as the built-in, for every scenario --list-scenarios names.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv_scenario.h"
#include "../support/harness.h"

static char *show(const hv_scenario_t *sc, const char *guest_dir)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cr_assert_not_null(out);
    hv_scenario_write(sc, guest_dir, out);
    fclose(out);
    return text;
}

static void expect_same_vm(const hv_scenario_vm_t *a, const hv_scenario_vm_t *b)
{
    cr_expect_str_eq(a->name, b->name);
    cr_expect_str_eq(a->image, b->image);
    cr_expect_str_eq(a->kernel, b->kernel);
    cr_expect_str_eq(a->rom, b->rom, "%s", a->name);
    cr_expect_eq(a->vcpus, b->vcpus);
    cr_expect_eq(a->memory, b->memory);
    cr_expect_eq(a->cpu, b->cpu);
    cr_expect_eq(a->mem, b->mem);
    cr_expect_arr_eq(a->pin, b->pin, sizeof a->pin);
    cr_expect_eq(a->share ? a->share : HV_DEFAULT_SHARE, b->share);
    cr_expect_eq(a->cap, b->cap);
    cr_expect_str_eq(a->input ? a->input : "", b->input ? b->input : "");
}

/* Each built-in, printed and parsed again, has the same configuration; defaults left out of
 * the built-in's text are written out with their values. */
Test(scenario_show, the_printed_file_parses_to_the_same_configuration)
{
    char dir[256];
    snprintf(dir, sizeof dir, "%s/guestos", th_build_dir());
    static hv_scenario_t a, b;
    for (size_t i = 0; i < hv_builtin_count(); i++) {
        const char *name = hv_builtin_name(i);
        cr_assert_eq(hv_scenario_load(&a, name, dir, stderr), 0, "%s", name);
        char *text = show(&a, dir);
        cr_assert_eq(hv_scenario_parse(&b, "shown.ini", text, "/nonexistent", dir, stderr), 0,
                     "%s:\n%s", name, text);
        cr_expect_eq(a.pcpus, b.pcpus, "%s", name);
        cr_expect_eq(a.ram, b.ram);
        cr_expect_eq(a.quantum ? a.quantum : SIM_DEFAULT_QUANTUM, b.quantum);
        cr_expect_eq(a.max_cycles, b.max_cycles);
        cr_expect_arr_eq(&a.mmu, &b.mmu, sizeof a.mmu);
        cr_expect_arr_eq(a.cost_set, b.cost_set, sizeof a.cost_set);
        cr_expect_eq(a.native, b.native);
        cr_expect_eq(a.hv.type, b.hv.type);
        cr_expect_eq(a.hv.sched, b.hv.sched);
        cr_expect_eq(a.hv.slice ? a.hv.slice : HV_DEFAULT_SLICE, b.hv.slice);
        cr_expect_eq(a.hv.untagged_tlb, b.hv.untagged_tlb);
        cr_expect_eq(a.hv.host_process, b.hv.host_process);
        cr_expect_eq(a.hv.host_share ? a.hv.host_share : HV_DEFAULT_SHARE, b.hv.host_share);
        cr_expect_eq(a.hv.boost, b.hv.boost);
        cr_assert_eq(a.nvms, b.nvms, "%s", name);
        for (unsigned v = 0; v < a.nvms; v++)
            expect_same_vm(&a.vm[v], &b.vm[v]);
        char *again = show(&b, dir);
        cr_expect_str_eq(again, text, "%s: printing the file read back differs", name);
        free(again);
        free(text);
        hv_scenario_free(&a);
        hv_scenario_free(&b);
    }
}

/* Console input with every character the INI format treats specially comes back as it was. */
Test(scenario_show, console_input_is_escaped)
{
    static hv_scenario_t a, b;
    const char *ini = "[vm x]\nkernel = /dev/null\ninput = \\s\\sa;b \\;c\\\\d\\te\\n\\s\n";
    cr_assert_eq(hv_scenario_parse(&a, "in.ini", ini, NULL, NULL, stderr), 0);
    cr_assert_str_eq(a.vm[0].input, "  a;b ;c\\d\te\n ");
    char *text = show(&a, NULL);
    cr_assert_eq(hv_scenario_parse(&b, "shown.ini", text, NULL, NULL, stderr), 0, "%s", text);
    cr_expect_str_eq(b.vm[0].input, a.vm[0].input, "%s", text);
    free(text);
    hv_scenario_free(&a);
    hv_scenario_free(&b);
}

/* Every scenario --list-scenarios names, native ones included: the printed file, run, gives
 * the same output and status as the built-in; printed again, the same keys and values. */
Test(scenario_show, every_builtin_runs_the_same_from_its_printed_file)
{
    int status;
    char *out = th_sh(
        "d=$(mktemp -d); n=0; for s in $($B/hvsim --list-scenarios | cut -d' ' -f1); do "
        "n=$((n+1)); $B/hvsim scenario show $s > $d/$s.ini || echo \"$s: show failed\"; "
        "$B/hvsim --scenario $s > $d/a 2>&1; a=$?; "
        "$B/hvsim --scenario $d/$s.ini > $d/b0 2>&1; b=$?; sed \"s|$d/$s.ini|$s|g\" $d/b0 > $d/b; "
        "[ $a = $b ] || echo \"$s: status $a, from the file $b\"; "
        "cmp -s $d/a $d/b || echo \"$s: the run differs\"; "
        "grep -q 'cycles from start to end\\|\\[rtos\\]\\|\\[tinyos\\]' $d/a || "
        "echo \"$s: no figures\"; "
        "$B/hvsim scenario show $d/$s.ini | grep -v '^;' > $d/c; "
        "grep -v '^;' $d/$s.ini | cmp -s - $d/c || echo \"$s: printed again, it differs\"; "
        "done; echo \"$n scenarios\"; rm -rf $d",
        true, &status);
    char want[64];
    snprintf(want, sizeof want, "%zu scenarios\n", hv_builtin_count() + 2);
    cr_expect_str_eq(out, want);
    free(out);
}

Test(scenario_show, unknown_name_lists_the_builtins)
{
    int status;
    char *out = th_sh("$B/hvsim scenario show nosuch 2>&1 | head -3", false, &status);
    cr_expect_str_eq(out, "hvsim: scenario show: no built-in scenario 'nosuch' and no such file; "
                          "the built-in ones are:\n"
                          "native-tinyos  tinyos (paged, preemptive, multi-process) boots on bare "
                          "hardware; its shell runs a script of programs, then powers off\n"
                          "native-rtos    rtos (soft real-time, EDF) boots on bare hardware, runs "
                          "three periodic tasks and reports their deadline misses\n");
    free(out);
    out = th_sh("$B/hvsim scenario shw default", true, &status);
    cr_expect_str_eq(out, "usage: hvsim scenario show NAME|FILE.ini   (hvsim --list-scenarios "
                          "lists the names)\n");
    cr_expect_eq(status, 2);
    free(out);
}
