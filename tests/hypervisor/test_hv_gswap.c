/*
 * test_hv_gswap.c - double paging (hypervisor/hv_gswap.c, guestos/tinyos/swap.inc): tinyos
 * swaps a program's pages to the swap area at the end of its disk when its frames run out, and
 * the program still gets its data back; without a swap area it is killed as before; hypercall
 * 7 tells the slots; the double-paging scenario's counters at both layers are exact (a guest
 * page-out of a page the hypervisor swapped out is read back first), the invariants hold
 * along the run, and the statistics and `info memory` say so, under shadow paging too; a full
 * swap area kills the program only, and an exited program's slots come back; bad keys name
 * the line.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../hypervisor/hv_internal.h"
#include "../support/harness.h"
#include "hv_util.h"

static sim_machine_t m;

static void expect_invariants(hv_t *hv)
{
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
}

/* tinyos in 384 KiB running pagetouch (64 fresh pages written, then read back) `times` times,
 * with the VM keys `extra`. */
static hv_t *pagetouch_runs(hv_scenario_t *sc, const char *extra, unsigned times)
{
    char text[512], input[128] = "";
    for (unsigned i = 0; i < times; i++)
        strcat(input, "pagetouch\\n");
    snprintf(text, sizeof text,
             "[machine]\npcpus = 1\nram = 32M\n\n[hypervisor]\ntype = 1\nreplacement = clock\n\n"
             "[vm t]\nimage = tinyos.img\nmemory = 384K\ncpu = hw\nmem = nested\n%s"
             "input = %spoweroff\\n\n",
             extra, input);
    return hu_scenario_text(sc, &m, "t.ini", text);
}

static hv_t *pagetouch_vm(hv_scenario_t *sc, const char *extra)
{
    return pagetouch_runs(sc, extra, 1);
}

static const char *transcript(const hv_t *hv, unsigned vm)
{
    return hv->vms[vm].dev.transcript.text;
}

/* Counts the occurrences of `what` in `text`. */
static unsigned count(const char *text, const char *what)
{
    unsigned n = 0;
    for (const char *p = text; (p = strstr(p, what)); p++)
        n++;
    return n;
}

/* Runs pagetouch twice with the VM keys `extra`: each run's transcript shows `each`, the shell
 * ends well, and the guest's page-outs and page-ins are as given. */
static void expect_two_pagetouches(const char *extra, const char *each, uint64_t outs, uint64_t ins)
{
    hv_scenario_t sc;
    hv_t *hv = pagetouch_runs(&sc, extra, 2);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    const char *t = transcript(hv, 0);
    cr_expect_eq(count(t, each), 2, "%s", t);
    cr_expect(strstr(t, "the shell exited with status 0"), "%s", t);
    cr_expect_eq(hv->vms[0].stats.guest_swap_outs, outs);
    cr_expect_eq(hv->vms[0].stats.guest_swap_ins, ins);
    hu_scenario_free(&sc, hv, &m);
}

/* A swap area of 16 slots is too small for pagetouch: the page-out finds no slot, the fault
 * is refused and the program killed, and the kernel goes on (the next one is killed alike,
 * after 16 slots filled again). */
Test(hv_gswap, a_full_swap_area_kills_the_program_not_the_kernel, .timeout = 60)
{
    expect_two_pagetouches("guest_swap = 64K\n", "(pagetouch) killed: store-page-fault", 32, 2);
}

/* 40 slots hold one pagetouch's swapped pages but not two: the slots of the first, which exited
 * with pages swapped out, come free when the map is rebuilt, and the second runs too. */
Test(hv_gswap, an_exited_programs_slots_come_back, .timeout = 60)
{
    expect_two_pagetouches("guest_swap = 160K\n", "sum 2016 (want 2016)", 152, 112);
}

Test(hv_gswap, tinyos_swaps_a_program_larger_than_its_memory_and_gets_its_data_back,
     .timeout = 60)
{
    hv_scenario_t sc;
    hv_t *hv = pagetouch_vm(&sc, "guest_swap = 1M\n");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    const hv_vm_t *v = &hv->vms[0];
    cr_expect(strstr(transcript(hv, 0), "[tinyos] out of free frames: swapping to 256 page "
                                        "slots at the end of the disk\n"),
              "%s", transcript(hv, 0));
    cr_expect(strstr(transcript(hv, 0), "[pagetouch] 64 fresh pages touched and read back: sum "
                                        "2016 (want 2016)\n"),
              "%s", transcript(hv, 0));
    cr_expect(strstr(transcript(hv, 0), "the shell exited with status 0"));
    cr_expect_eq(v->guest_swap_slots, 256, "1 MiB of 4 KiB slots");
    cr_expect_eq(v->stats.guest_swap_outs, 86);
    cr_expect_eq(v->stats.guest_swap_ins, 66);
    cr_expect_eq(v->stats.double_paged, 0, "the hypervisor swapped nothing");
    cr_expect_eq(v->stats.swap_outs, 0);
    cr_expect_eq(v->dev.disk.sectors, 315 + 2048, "the image (315 sectors), then 1 MiB of swap area");
    cr_expect_eq(v->dev.disk.writes, 86, "tinyos writes to its disk only to swap");
    expect_invariants(hv);
    hu_scenario_free(&sc, hv, &m);
}

/* The same memory without a swap area: frame_alloc answers 0 as it always did, and the program
 * that needs more is killed at the fault it cannot be given a page for. */
Test(hv_gswap, without_a_swap_area_the_program_is_killed_as_before, .timeout = 60)
{
    hv_scenario_t sc;
    hv_t *hv = pagetouch_vm(&sc, "");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    const char *t = transcript(hv, 0);
    cr_expect_null(strstr(t, "swapping"), "%s", t);
    cr_expect(strstr(t, "(pagetouch) killed: store-page-fault"), "%s", t);
    cr_expect_null(strstr(t, "sum 2016"), "%s", t);
    cr_expect_eq(hv->vms[0].guest_swap_slots, 0);
    cr_expect_eq(hv->vms[0].stats.guest_swap_outs, 0);
    hu_scenario_free(&sc, hv, &m);
}

/* Asks hypercall 7 (r10) and powers off. */
static const char asker[] = ".org 0x1000\n"
                            "        li r1, 7\n"
                            "        hcall\n"
                            "        mov r10, r1\n"
                            "        li r5, 0\n"
                            "        out r5, [0xf0]\n";

Test(hv_gswap, hypercall_7_answers_minus_1_without_a_swap_area)
{
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    hv_vm_config_t c = {.memory = 1u << 20, .pin = {-1}};
    int vm = hu_vm(hv, "asker", asker, &c);
    cr_assert_geq(vm, 0);
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF);
    cr_expect_eq((int32_t)hv_guest_reg(hv, hv_vcpu_of(hv, (unsigned)vm, 0), 10), -1);
    cr_expect_eq(hv_gswap_area(hv, (unsigned)vm), -1);
    hu_free(hv, &m);
}

Test(hv_gswap, a_swap_area_needs_a_disk)
{
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    static const uint8_t program[4] = {0};
    hv_vm_config_t c = {.name = "p", .vcpus = 1, .memory = 1u << 20, .pin = {-1},
                        .program = program, .program_len = sizeof program, .program_base = 0x1000,
                        .guest_swap = 1u << 20};
    char err[200] = "";
    cr_expect_lt(hv_vm_create(hv, &c, err, sizeof err), 0, "a program, no disk: refused");
    cr_expect_str_eq(err, "VM p: guest_swap adds a swap area to a disk: give it a disk image");
    hu_free(hv, &m);
}

Test(hv_gswap, guest_swap_errors_name_the_line)
{
    static const char head[] = "[machine]\npcpus = 1\nram = 32M\n\n[hypervisor]\ntype = 1\n\n"
                               "[vm t]\nimage = tinyos.img\nmemory = 8M\ncpu = hw\n";
    char text[512];
    snprintf(text, sizeof text, "%sguest_swap = 17M\n", head);
    hu_expect_scenario_error(text, false,
                             "t.ini:12: error: guest_swap = '17M': it must be a size in bytes "
                             "from 4K to 16M, a multiple of 4K");
    snprintf(text, sizeof text, "%sguest_swap = 1000\n", head);
    hu_expect_scenario_error(text, false, "t.ini:12: error: guest_swap = '1000'");
}

/* double-paging: 'guest' pages alone; in 'both' the hypervisor's clock swaps too, and 35 of
 * the guest's page-outs find their page in the hypervisor's swap device. The invariants hold
 * at every million cycles. */
Test(hv_gswap, double_paging_counted_at_both_layers, .timeout = 120)
{
    hv_scenario_t sc;
    hv_t *hv = hu_scenario(&sc, &m, "double-paging");
    int rc;
    uint64_t until = 0;
    while ((rc = hv_run(hv, until += 1000000)) == SIM_RUN_MAX_CYCLES && until < sc.max_cycles)
        expect_invariants(hv);
    cr_assert_eq(rc, SIM_RUN_POWEROFF);
    const hv_vm_t *g = &hv->vms[0], *b = &hv->vms[1];
    cr_expect_str_eq(g->name, "guest");
    cr_expect_str_eq(b->name, "both");
    for (unsigned i = 0; i < 2; i++) {
        cr_expect(strstr(transcript(hv, i), "sum 2016 (want 2016)"), "%s", transcript(hv, i));
        cr_expect_eq(hv->vms[i].stats.guest_swap_outs, 86, "the guest pages alike in both");
        cr_expect_eq(hv->vms[i].stats.guest_swap_ins, 66);
    }
    cr_expect_eq(g->stats.swap_outs, 0);
    cr_expect_eq(g->stats.double_paged, 0);
    cr_expect_eq(b->stats.swap_outs, 117);
    cr_expect_eq(b->stats.swap_ins, 95);
    cr_expect_eq(b->stats.double_paged, 35, "page-outs of pages in the hypervisor's swap");
    cr_expect_eq(b->stats.double_paged_ops, 70, "a read each, and a write to make room");
    cr_expect_eq(b->stats.double_paged_cycles, 70 * 10800, "10 800 cycles an operation");
    cr_expect_eq(b->stats.ended - b->stats.started, 8569744);
    cr_expect_eq(g->stats.ended - g->stats.started, 5959464);
    expect_invariants(hv);
    char *stats = hu_stats_text(hv);
    cr_expect(strstr(stats, "    guest swap (its disk's last 256 page slots): 86 pages out, 66 "
                            "pages in\n"
                            "    double paging: 35 of the guest's page-outs read back from the "
                            "hypervisor's swap first: 70 swap-device operations, 756 000 cycles "
                            "the guest's disk waited for\n"),
              "%s", stats);
    free(stats);
    hu_scenario_free(&sc, hv, &m);
}

/* The REPL's info memory, at the run's end: the line under the VM's row. */
Test(hv_gswap, info_memory_shows_the_guests_paging, .timeout = 120)
{
    int status;
    char *out = th_sh("printf 'c\\ninfo memory both\\nquit\\n' | "
                      "$B/hvsim --repl --scenario double-paging 2>&1",
                      true, &status);
    cr_expect(strstr(out, "      guest swap (256 slots at its disk's end): 86 pages out, 66 in; "
                          "double paging: 35 of them read back from the hypervisor's swap first "
                          "(70 swap-device operations, 756 000 cycles)\n"),
              "%s", out);
    free(out);
}

/* Under shadow paging the guest's swap entries (valid without R) are shadowed like any entry
 * that faults, and the two layers page alike: 34 double-paged page-outs. */
Test(hv_gswap, double_paging_under_shadow_paging, .timeout = 120)
{
    hv_scenario_t sc;
    hv_t *hv = hu_scenario_with(&sc, &m, "double-paging",
                                (hu_override_t){.backing = -1, .mem = HV_MEM_SHADOW});
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    for (unsigned i = 0; i < 2; i++)
        cr_expect(strstr(transcript(hv, i), "sum 2016 (want 2016)"), "%s", transcript(hv, i));
    cr_expect_eq(hv->vms[0].stats.double_paged, 0);
    cr_expect_eq(hv->vms[1].stats.guest_swap_outs, 86);
    cr_expect_eq(hv->vms[1].stats.double_paged, 34);
    cr_expect_eq(hv->vms[1].stats.double_paged_ops, 68);
    expect_invariants(hv);
    hu_scenario_free(&sc, hv, &m);
}
