/*
 * test_hv_balloon.c - ballooning (hypervisor/hv_balloon.c, guestos/tinyos/balloon.inc): a
 * guest's give frees the host frames behind its pages and marks their nested entries; a take
 * gives them back, backed again at the next touch; a page touched after being given gets a
 * fresh zeroed frame, counted; bad lists and VMs without a balloon are refused; the checker
 * catches a miscount; tinyos's driver inflates at boot and deflates when its free list runs
 * dry; the balloon scenario's table shows the balloon relieving what swap relieves, at a
 * fraction of the cost, with transcripts equal to native. A target that moves (the REPL's
 * balloon, the scenario's balloon_at) raises the balloon's line, which asking the target
 * lowers; tinyos inflates and deflates towards it (balloon-moves, exact figures).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../hypervisor/hv_internal.h"
#include "hv_util.h"

/* Writes 1..8 into pages 0x100000.., then asks the target (r12), gives the list of its 8
 * pages (answer in r10), takes the last 3 back (r11), writes 7 to page 7 (taken back) and 5
 * to page 0 (still given: a driver bug), then powers off with 0. */
static const char giver[] = ".org 0x1000\n"
                            "        li r1, 0x100000\n"
                            "        li r2, 1\n"
                            "        li r4, 4096\n"
                            "        la r5, list\n"
                            "fill:   st r2, [r1]\n"
                            "        st r1, [r5]\n"
                            "        add r1, r1, r4\n"
                            "        addi r5, r5, 4\n"
                            "        addi r2, r2, 1\n"
                            "        cmpi r2, 9\n"
                            "        bne fill\n"
                            "        li r1, 4\n"
                            "        hcall\n"
                            "        mov r12, r1\n"
                            "        li r1, 5\n"
                            "        la r2, list\n"
                            "        li r3, 8\n"
                            "        hcall\n"
                            "        mov r10, r1\n"
                            "        li r1, 6\n"
                            "        la r2, list + 20\n"
                            "        li r3, 3\n"
                            "        hcall\n"
                            "        mov r11, r1\n"
                            "        li r1, 0x107000\n"
                            "        li r2, 7\n"
                            "        st r2, [r1]\n"
                            "        li r1, 0x100000\n"
                            "        li r2, 5\n"
                            "        st r2, [r1]\n"
                            "        li r5, 0\n"
                            "        out r5, [0xf0]\n"
                            "        .align 4\n"
                            "list:   .space 32\n";

/* Gives a list that lies outside its memory: the answer (r10) is -1. */
static const char bad_list[] = ".org 0x1000\n"
                               "        li r1, 5\n"
                               "        li r2, 0x7ffff000\n"
                               "        li r3, 2\n"
                               "        hcall\n"
                               "        mov r10, r1\n"
                               "        li r5, 0\n"
                               "        out r5, [0xf0]\n";

static sim_machine_t m;

static void expect_invariants(hv_t *hv)
{
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
}

static hv_t *one_vm(const char *src, uint32_t balloon, hv_mem_technique_t mem, int *vm)
{
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    hv_vm_config_t c = {.memory = 2u << 20, .balloon = balloon, .mem = mem, .pin = {-1}};
    *vm = hu_vm(hv, "giver", src, &c);
    cr_assert_geq(*vm, 0);
    return hv;
}

static uint32_t reg(hv_t *hv, int vm, unsigned r)
{
    return hv_guest_reg(hv, hv_vcpu_of(hv, (unsigned)vm, 0), r);
}

/* The giver's run under `mem`: the same moves, whatever the memory technique. */
static void expect_give_and_take(hv_mem_technique_t mem)
{
    int vm;
    hv_t *hv = one_vm(giver, 16 * MMU_PAGE_SIZE, mem, &vm);
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF);
    hv_vm_t *v = &hv->vms[vm];
    cr_expect_eq(reg(hv, vm, 12), 16, "the target in pages");
    cr_expect_eq(reg(hv, vm, 10), 8, "8 pages given");
    cr_expect_eq(reg(hv, vm, 11), 3, "3 taken back");
    cr_expect_eq(v->stats.balloon_given, 8);
    cr_expect_eq(v->stats.balloon_taken, 3);
    cr_expect_eq(v->stats.balloon_touched, 1, "page 0 touched after it was given");
    cr_expect_eq(v->ballooned, 4, "8 given, 3 taken, 1 touched");
    cr_expect_eq(hu_get_word(hv, vm, 0x107000), 7, "a page taken back is backed again");
    cr_expect_eq(hu_get_word(hv, vm, 0x100000), 5, "the touched page: a fresh frame");
    cr_expect_eq(hu_get_word(hv, vm, 0x101000), 0, "a given page holds nothing any more");
    expect_invariants(hv);
    hu_free(hv, &m);
}

Test(hv_balloon, give_frees_frames_take_gives_them_back_a_touch_is_counted)
{
    expect_give_and_take(HV_MEM_NESTED);
}

/* Under shadow paging a given page's frame leaves the shadow entries too (the touch after the
 * give would otherwise write the freed frame, and the checker would see it mapped). */
Test(hv_balloon, under_shadow_paging_give_and_take_are_the_same)
{
    expect_give_and_take(HV_MEM_SHADOW);
}

/* The frames behind given pages go back to the pool at once. */
Test(hv_balloon, given_pages_leave_the_vms_frames)
{
    int vm;
    hv_t *hv = one_vm(giver, 16 * MMU_PAGE_SIZE, HV_MEM_NESTED, &vm);
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF);
    uint32_t with = hv->vms[vm].frames;
    hu_free(hv, &m);
    hv = one_vm(giver, 0, HV_MEM_NESTED, &vm); /* no target: the calls still move pages */
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF);
    cr_expect_eq(reg(hv, vm, 12), 0, "no target set");
    cr_expect_eq(hv->vms[vm].frames, with, "the same pages moved, the same frames held");
    hu_free(hv, &m);
}

Test(hv_balloon, a_list_outside_the_vm_is_refused)
{
    int vm;
    hv_t *hv = one_vm(bad_list, 16 * MMU_PAGE_SIZE, HV_MEM_NESTED, &vm);
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF);
    cr_expect_eq(reg(hv, vm, 10), (uint32_t)-1);
    cr_expect_eq(hv->vms[vm].ballooned, 0);
    hu_free(hv, &m);
}

Test(hv_balloon, an_eagerly_backed_vm_has_no_balloon)
{
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    char err[256];
    hv_vm_config_t c = {.name = "s",
                        .vcpus = 1,
                        .memory = 2u << 20,
                        .balloon = 1u << 20,
                        .backing = HV_BACKING_EAGER,
                        .cpu = HV_CPU_HW,
                        .pin = {-1}};
    cr_expect_lt(hv_vm_create(hv, &c, err, sizeof err), 0);
    cr_expect(strstr(err, "balloon = 1024 KiB") != NULL, "%s", err);
    hu_free(hv, &m);
}

Test(hv_balloon, the_checker_catches_a_miscount)
{
    int vm;
    hv_t *hv = one_vm(giver, 16 * MMU_PAGE_SIZE, HV_MEM_NESTED, &vm);
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF);
    hv->vms[vm].ballooned++;
    char why[200];
    cr_expect_str_eq(hv_check_invariants(hv, why, sizeof why) ? why : "",
                     "VM giver: 5 balloon pages counted, 4 nested balloon entries");
    hv->vms[vm].ballooned--;
    hu_free(hv, &m);
}

/* tinyos in 2 MiB with a 1600 KiB balloon: its free list keeps 70 frames, fewer than two
 * pagetouch processes need, so the kernel deflates; every pagetouch still sums right. */
Test(hv_balloon, tinyos_deflates_when_its_free_list_runs_dry, .timeout = 60)
{
    hv_scenario_t sc;
    hv_t *hv =
        hu_scenario_text(&sc, &m, "deflate",
                         "[machine]\npcpus = 1\nram = 32M\n\n[hypervisor]\ntype = 1\n\n"
                         "[vm tinyos]\nimage = tinyos.img\nmemory = 2M\ncpu = hw\n"
                         "mem = nested\nballoon = 1600K\n"
                         "input = pagetouch\\npagetouch &\\npagetouch\\nwait\\npoweroff\\n\n");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    const hv_vm_t *v = &hv->vms[0];
    cr_expect_gt(v->stats.balloon_given, 0);
    cr_expect_gt(v->stats.balloon_taken, 0, "the kernel took pages back");
    cr_expect_eq(v->ballooned, v->stats.balloon_given - v->stats.balloon_taken);
    cr_expect_eq(v->stats.balloon_touched, 0, "the driver never touches a page it gave");
    const char *out = hv_vm_console(hv, 0);
    cr_expect(strstr(out, "sum 2016 (want 2016)") != NULL, "%s", out);
    expect_invariants(hv);
    hu_scenario_free(&sc, hv, &m);
}

Test(hv_balloon, balloon_transcripts_equal_native, .timeout = 120)
{
    hu_transcripts_equal_native("balloon");
}

/* The lesson in figures: the ballooned VM swaps nothing and ends sooner. */
Test(hv_balloon, the_balloon_relieves_what_swap_relieves, .timeout = 60)
{
    hv_scenario_t sc;
    hv_t *hv = hu_scenario(&sc, &m, "balloon");
    hv_run(hv, sc.max_cycles);
    const hv_vm_t *swapped = &hv->vms[hv_vm_by_name(hv, "swapped")];
    const hv_vm_t *ballooned = &hv->vms[hv_vm_by_name(hv, "ballooned")];
    cr_expect_eq(ballooned->ballooned, 1280, "5 MiB given at boot");
    cr_expect_eq(ballooned->stats.swap_outs, 0);
    cr_expect_gt(swapped->stats.swap_outs, 1000);
    /* what it saves is at least half the cycles the swapped VM waited for its swap device */
    cr_expect_lt(ballooned->stats.ended - ballooned->stats.started + swapped->stats.swap_wait / 2,
                 swapped->stats.ended - swapped->stats.started);
    expect_invariants(hv);
    hu_scenario_free(&sc, hv, &m);
}

/* ---- The target moves ------------------------------------------------------------------ */

/* A new target raises the balloon's line; the guest's hypercall 4 answers it and lowers it. */
Test(hv_balloon, a_new_target_raises_the_line_asking_it_lowers_it)
{
    int vm;
    char err[200];
    hv_t *hv = one_vm(giver, 16 * MMU_PAGE_SIZE, HV_MEM_NESTED, &vm);
    hv_vcpu_t *vc = hv_vcpu_of(hv, (unsigned)vm, 0);
    cr_expect_eq(vc->vip & (1u << HV_BALLOON_IRQ), 0, "no line raised at creation");
    cr_assert_eq(hv_balloon_set_target(hv, (unsigned)vm, 40 * MMU_PAGE_SIZE, err, sizeof err), 0,
                 "%s", err);
    cr_expect_eq(vc->vip & (1u << HV_BALLOON_IRQ), 1u << HV_BALLOON_IRQ);
    cr_expect_eq(hv->vms[vm].stats.balloon_moved, 1);
    cr_assert_eq(hv_balloon_set_target(hv, (unsigned)vm, 40 * MMU_PAGE_SIZE, err, sizeof err), 0);
    cr_expect_eq(hv->vms[vm].stats.balloon_moved, 1, "the same target again is no move");
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF);
    cr_expect_eq(reg(hv, vm, 12), 40, "the new target in pages");
    cr_expect_eq(vc->vip & (1u << HV_BALLOON_IRQ), 0, "asking the target lowered the line");
    hu_free(hv, &m);
}

Test(hv_balloon, targets_that_cannot_be_are_refused)
{
    int vm;
    char err[200];
    hv_t *hv = one_vm(giver, 16 * MMU_PAGE_SIZE, HV_MEM_NESTED, &vm);
    cr_expect_eq(hv_balloon_set_target(hv, (unsigned)vm, 2u << 20, err, sizeof err), -1);
    cr_expect_str_eq(err, "a balloon of 2048 KiB in VM giver: it must be whole 4 KiB pages, "
                          "smaller than its memory (2048 KiB)");
    cr_expect_eq(hv_balloon_set_target(hv, (unsigned)vm, 6000, err, sizeof err), -1);
    cr_expect_eq(hv_balloon_set_target(hv, 7, 0, err, sizeof err), -1);
    cr_expect_str_eq(err, "there is no VM 7");
    for (unsigned i = 0; i < HV_BALLOON_MOVES; i++)
        cr_expect_eq(hv_balloon_plan(hv, (unsigned)vm, 1000 + i, 0, err, sizeof err), 0);
    cr_expect_eq(hv_balloon_plan(hv, (unsigned)vm, 5000, 0, err, sizeof err), -1);
    cr_expect_str_eq(err, "VM giver has 8 balloon target changes planned already (the most)");
    hu_free(hv, &m);
    hv_config_t cfg = hu_config();
    hv = hu_machine(&m, 1, &cfg);
    hv_vm_config_t c = {.memory = 2u << 20, .backing = HV_BACKING_EAGER, .pin = {-1}};
    vm = hu_vm(hv, "giver", giver, &c);
    cr_assert_geq(vm, 0);
    cr_expect_eq(hv_balloon_set_target(hv, (unsigned)vm, 0, err, sizeof err), -1);
    cr_expect_str_eq(err, "VM giver has no balloon: it works with backing = lazy and cpu other "
                          "than bt");
    hu_free(hv, &m);
}

/* Plans are kept earliest first, whatever order they come in; one event waits for the next. */
Test(hv_balloon, plans_keep_the_order_of_their_cycles)
{
    int vm;
    char err[200];
    hv_t *hv = one_vm(giver, 0, HV_MEM_NESTED, &vm);
    cr_assert_eq(hv_balloon_plan(hv, (unsigned)vm, 900000, 8 * MMU_PAGE_SIZE, err, sizeof err), 0);
    cr_assert_eq(hv_balloon_plan(hv, (unsigned)vm, 100, 4 * MMU_PAGE_SIZE, err, sizeof err), 0);
    const hv_vm_t *v = &hv->vms[vm];
    cr_expect_eq(v->balloon_moves, 2);
    cr_expect_eq(v->balloon_move[0].at, 100);
    cr_expect_eq(v->balloon_move[0].pages, 4);
    cr_expect_eq(v->balloon_move[1].at, 900000);
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF);
    cr_expect_eq(reg(hv, vm, 12), 4, "the guest asked after cycle 100, before 900 000");
    cr_expect_eq(v->balloon_target, 4);
    cr_expect_eq(v->balloon_moves, 1, "the second plan still waits");
    hu_free(hv, &m);
}

Test(hv_balloon, balloon_at_errors_name_the_line)
{
    static const char head[] = "[machine]\npcpus = 1\nram = 32M\n\n[hypervisor]\ntype = 1\n\n"
                               "[vm t]\nimage = tinyos.img\nmemory = 8M\ncpu = hw\n";
    static const struct {
        const char *tail;
        bool parse_ok;
        const char *want;
    } cases[] = {
        {"balloon_at = 1000\n", false,
         "t.ini:12: error: balloon_at = '1000': give a cycle and a size (balloon_at = 30000000 "
         "2M)"},
        {"balloon_at = 1000 3M 5\n", false, "give a cycle and a size"},
        {"balloon_at = x 3M\n", false,
         "t.ini:12: error: balloon_at's cycle = 'x': it must be a whole number from 1 to"},
        {"balloon_at = 1000 3000\n", false,
         "t.ini:12: error: balloon_at's size = '3000': it must be a size in bytes"},
        {"balloon_at = 1000 8M\n", true,
         "t.ini:12: error: [vm t] balloon_at: a balloon of 8192 KiB in VM t: it must be whole 4 "
         "KiB pages, smaller than its memory (8192 KiB)"},
        {"backing = eager\nballoon_at = 1000 1M\n", true,
         "t.ini:13: error: [vm t] balloon_at: VM t has no balloon: it works with backing = lazy "
         "and cpu other than bt"},
        {"balloon_at = 1 0\nballoon_at = 2 0\nballoon_at = 3 0\nballoon_at = 4 0\n"
         "balloon_at = 5 0\nballoon_at = 6 0\nballoon_at = 7 0\nballoon_at = 8 0\n"
         "balloon_at = 9 0\n",
         false, "t.ini:20: error: balloon_at = '9 0': at most 8 changes of the target"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, "%s%s", head, cases[i].tail);
        hu_expect_scenario_error(text, cases[i].parse_ok, cases[i].want);
    }
}

/* balloon-moves: no balloon at boot, 5 MiB from cycle 10 000 000, 1 MiB from 40 000 000. The
 * guest inflates from its free list, which the hypervisor had swapped out at boot: each page
 * comes back in (its link is read) before it goes into the balloon. */
Test(hv_balloon, tinyos_inflates_and_deflates_as_the_target_moves, .timeout = 60)
{
    hv_scenario_t sc;
    hv_t *hv = hu_scenario(&sc, &m, "balloon-moves");
    const hv_vm_t *v = &hv->vms[0];
    cr_assert_eq(hv_run(hv, 9000000), SIM_RUN_MAX_CYCLES);
    cr_expect_eq(v->ballooned, 0, "no target yet");
    cr_expect_eq(v->frames, 768, "3 MiB of frames: resident_max");
    cr_expect_eq(v->swapped, 628);
    cr_assert_eq(hv_run(hv, 35000000), SIM_RUN_MAX_CYCLES);
    cr_expect_eq(v->ballooned, 1280, "inflated to 5 MiB");
    cr_expect_eq(v->frames, 87, "the frames behind the given pages went back to the host");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    cr_expect_eq(v->ballooned, 256, "deflated to 1 MiB");
    cr_expect_eq(v->balloon_target, 256);
    cr_expect_eq(v->stats.balloon_moved, 2);
    cr_expect_eq(v->stats.balloon_given, 1280);
    cr_expect_eq(v->stats.balloon_taken, 1024);
    cr_expect_eq(v->stats.balloon_touched, 0);
    cr_expect_eq(v->stats.swap_outs, 1648);
    cr_expect_eq(v->stats.swap_ins, 650);
    cr_expect_eq(v->stats.ended - v->stats.started, 70784293);
    expect_invariants(hv);
    hu_scenario_free(&sc, hv, &m);
}

Test(hv_balloon, balloon_moves_transcripts_equal_native, .timeout = 120)
{
    hu_transcripts_equal_native("balloon-moves");
}
