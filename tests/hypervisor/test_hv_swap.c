/*
 * test_hv_swap.c - memory overcommit (hypervisor/hv_swap.c): a VM limited to fewer host frames
 * than its memory swaps pages out and back in with its data intact; the nested A bits the
 * walker sets are what the clock sees and the random policy ignores; the host-wide limit takes
 * from the VM holding the most; the swap device's timing comes from the cost table; a full
 * device or a bad key is said, never a crash; the mem-overcommit scenario's transcripts equal
 * native ones.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "../../hypervisor/hv_internal.h"
#include "hv_util.h"
#include "hw_util.h"

#define PAGES 32 /* the pages the writer touches, from 1 MiB up */

/* Writes its number into each of 32 pages (guest paging off: gva = gpa), reads every page
 * back, and powers off with 0 when each held its number, 1 when one did not. */
static const char writer[] = ".org 0x1000\n"
                             "        li r1, 0x100000\n"
                             "        li r2, 32\n"
                             "        li r4, 4096\n"
                             "wloop:  st r2, [r1]\n"
                             "        add r1, r1, r4\n"
                             "        addi r2, r2, -1\n"
                             "        cmpi r2, 0\n"
                             "        bne wloop\n"
                             "        li r1, 0x100000\n"
                             "        li r2, 32\n"
                             "rloop:  ld r3, [r1]\n"
                             "        cmp r3, r2\n"
                             "        bne bad\n"
                             "        add r1, r1, r4\n"
                             "        addi r2, r2, -1\n"
                             "        cmpi r2, 0\n"
                             "        bne rloop\n"
                             "        li r5, 0\n"
                             "        out r5, [0xf0]\n"
                             "bad:    li r5, 1\n"
                             "        out r5, [0xf0]\n";

static sim_machine_t m;

static unsigned swap_events[2];

static void count_swaps(const sim_event_t *ev, void *ctx)
{
    (void)ctx;
    if (ev->kind == SIM_EV_HV && ev->a == SIM_HV_SWAP_OUT)
        swap_events[0]++;
    if (ev->kind == SIM_EV_HV && ev->a == SIM_HV_SWAP_IN)
        swap_events[1]++;
}

static hv_t *limited_as(hv_config_t *cfg, uint32_t resident_max, hv_mem_technique_t mem, int *vm)
{
    hv_t *hv = hu_machine(&m, 1, cfg);
    hv_vm_config_t c = {.memory = 2u << 20, .resident_max = resident_max, .mem = mem, .pin = {-1}};
    *vm = hu_vm(hv, "writer", writer, &c);
    return hv;
}

static hv_t *limited(hv_config_t *cfg, uint32_t resident_max, int *vm)
{
    return limited_as(cfg, resident_max, HV_MEM_NESTED, vm);
}

static uint32_t leaf_of(hv_t *hv, int vm, uint32_t gpa)
{
    bool mapped, large;
    uint32_t leaf = hv_nested_leaf(hv, (unsigned)vm, gpa, false, &mapped, &large);
    cr_assert_neq(leaf, 0, "gpa 0x%x has a nested table", gpa);
    uint32_t pte;
    memcpy(&pte, m.ram + leaf, 4);
    return pte;
}

static void set_leaf(hv_t *hv, int vm, uint32_t gpa, uint32_t pte)
{
    bool mapped, large;
    uint32_t leaf = hv_nested_leaf(hv, (unsigned)vm, gpa, false, &mapped, &large);
    memcpy(m.ram + leaf, &pte, 4);
}

Test(hv_swap, a_limited_vm_swaps_and_its_data_survives)
{
    hv_config_t cfg = hu_config();
    int vm;
    hv_t *hv = limited(&cfg, 16 * MMU_PAGE_SIZE, &vm);
    sim_add_sink(&m, count_swaps, NULL);
    memset(swap_events, 0, sizeof swap_events);
    const hv_vm_t *v = &hv->vms[vm];
    cr_assert_eq(hv_run(hv, 50000000), SIM_RUN_POWEROFF);
    cr_expect_eq(v->state, HV_VM_OFF);
    cr_expect_eq(v->exit_code, 0, "every page read back held what the guest wrote");
    cr_expect_eq(v->frames, 16, "at its limit, never above it");
    cr_expect_gt(v->stats.swap_outs, PAGES - 16, "the pages beyond the limit went out");
    cr_expect_gt(v->stats.swap_ins, 0, "the read-back brought pages in");
    cr_expect_eq(v->stats.swap_outs - v->stats.swap_ins, v->swapped);
    cr_expect_eq(v->frames + v->swapped, PAGES + 1, "the code page and the 32 written");
    cr_expect_eq(hv->swap_used, v->swapped);
    cr_expect_eq(swap_events[0], v->stats.swap_outs, "one swap-out action per page out");
    cr_expect_eq(swap_events[1], v->stats.swap_ins);
    uint64_t per_page =
        hv->m->costs.c[SIM_COST_swap_latency] + 8ull * hv->m->costs.c[SIM_COST_swap_sector];
    cr_expect_eq(v->stats.swap_wait, (v->stats.swap_outs + v->stats.swap_ins) * per_page,
                 "each page waits swap_latency + 8 swap_sector cycles");
    cr_expect_eq(hv->swap.writes, v->stats.swap_outs);
    cr_expect_eq(hv->swap.sectors_read, 8 * v->stats.swap_ins);
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    hu_free(hv, &m);
}

/* The same guest without a limit: no swapping, and no nested A/D writes (figures unchanged). */
Test(hv_swap, no_limit_no_swap_and_no_nested_ad)
{
    hv_config_t cfg = hu_config();
    int vm;
    hv_t *hv = limited(&cfg, 0, &vm);
    cr_assert_eq(hv_run(hv, 50000000), SIM_RUN_POWEROFF);
    const hv_vm_t *v = &hv->vms[vm];
    cr_expect_eq(v->stats.swap_outs, 0);
    cr_expect_eq(v->frames, PAGES + 1);
    cr_expect_eq(leaf_of(hv, vm, 0x100000) & (MMU_PTE_A | MMU_PTE_D), 0,
                 "the walker leaves nested leaves alone unless asked");
    hu_free(hv, &m);
}

/* A swapped page's nested entry is invalid and holds its slot; every other page is mapped. */
Test(hv_swap, swapped_entries_are_invalid_and_hold_their_slot)
{
    hv_config_t cfg = hu_config();
    int vm;
    hv_t *hv = limited(&cfg, 16 * MMU_PAGE_SIZE, &vm);
    cr_assert_eq(hv_run(hv, 50000000), SIM_RUN_POWEROFF);
    unsigned swapped = 0;
    for (uint32_t p = 0; p < PAGES; p++) {
        uint32_t pte = leaf_of(hv, vm, 0x100000 + p * MMU_PAGE_SIZE);
        if (hv_swap_entry(pte)) {
            swapped++;
            cr_expect_eq(hv->swap_owner[MMU_PTE_PFN(pte)], HV_FRAME_VM(vm));
        } else {
            cr_expect(pte & MMU_PTE_V, "page %u: %08x", p, pte);
        }
    }
    cr_expect_eq(swapped, hv->vms[vm].swapped);
    cr_expect_gt(swapped, 0);
    hu_free(hv, &m);
}

/* The checker's one walk of the nested tree finds a swap entry naming a slot that is not the
 * VM's own, and a count of swapped pages that its entries do not add up to. */
Test(hv_swap, the_checker_catches_a_stolen_slot_and_a_miscount)
{
    hv_config_t cfg = hu_config();
    int vm;
    hv_t *hv = limited(&cfg, 16 * MMU_PAGE_SIZE, &vm);
    cr_assert_eq(hv_run(hv, 50000000), SIM_RUN_POWEROFF);
    char why[200], want[200];
    cr_assert_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    hv->vms[vm].swapped++;
    snprintf(want, sizeof want, "VM %s: %u swapped pages counted, %u nested swap entries, %u slots",
             hv->vms[vm].name, hv->vms[vm].swapped, hv->vms[vm].swapped - 1,
             hv->vms[vm].swapped - 1);
    cr_expect_str_eq(hv_check_invariants(hv, why, sizeof why) ? why : "", want);
    hv->vms[vm].swapped--;
    for (uint32_t p = 0; p < PAGES; p++) {
        uint32_t pte = leaf_of(hv, vm, 0x100000 + p * MMU_PAGE_SIZE);
        if (!hv_swap_entry(pte))
            continue;
        uint32_t slot = MMU_PTE_PFN(pte);
        hv->swap_owner[slot] = HV_FRAME_VM(vm + 1); /* another VM's slot now */
        snprintf(want, sizeof want,
                 "VM %s: a nested entry names swap slot %u, which is not its own",
                 hv->vms[vm].name, slot);
        cr_expect_str_eq(hv_check_invariants(hv, why, sizeof why) ? why : "", want);
        hv->swap_owner[slot] = HV_FRAME_VM(vm);
        break;
    }
    hu_free(hv, &m);
}

/* With a limit the walker sets A and D in the nested leaves of the pages stored to (here room
 * enough: nothing goes out, so every page keeps what the walker wrote). */
Test(hv_swap, under_a_limit_the_walker_sets_nested_a_and_d)
{
    hv_config_t cfg = hu_config();
    int vm;
    hv_t *hv = limited(&cfg, 40 * MMU_PAGE_SIZE, &vm);
    cr_assert_eq(hv_run(hv, 50000000), SIM_RUN_POWEROFF);
    cr_expect_eq(hv->vms[vm].stats.swap_outs, 0);
    for (uint32_t p = 0; p < PAGES; p++) {
        uint32_t pte = leaf_of(hv, vm, 0x100000 + p * MMU_PAGE_SIZE);
        cr_expect_eq(pte & (MMU_PTE_A | MMU_PTE_D), MMU_PTE_A | MMU_PTE_D, "page %u: %08x", p, pte);
    }
    cr_expect_eq(leaf_of(hv, vm, 0x1000) & (MMU_PTE_A | MMU_PTE_D), MMU_PTE_A,
                 "the code page: fetched, never stored to");
    hu_free(hv, &m);
}

/* The victim after the run, with the A bits set by the test: returns the page swapped out. */
static uint32_t victim_with(hv_replacement_t policy, uint32_t clear_page, bool all_clear)
{
    hv_config_t cfg = hu_config();
    cfg.replacement = policy;
    int vm;
    hv_t *hv = limited(&cfg, 40 * MMU_PAGE_SIZE, &vm); /* room: nothing swapped in the run */
    cr_assert_eq(hv_run(hv, 50000000), SIM_RUN_POWEROFF);
    cr_assert_eq(hv->vms[vm].swapped, 0);
    for (uint32_t p = 0; p < PAGES; p++) {
        uint32_t gpa = 0x100000 + p * MMU_PAGE_SIZE, pte = leaf_of(hv, vm, gpa);
        bool clear = all_clear || p == clear_page;
        set_leaf(hv, vm, gpa, clear ? pte & ~MMU_PTE_A : pte | MMU_PTE_A);
    }
    uint32_t code = leaf_of(hv, vm, 0x1000);
    set_leaf(hv, vm, 0x1000, all_clear ? code & ~MMU_PTE_A : code | MMU_PTE_A);
    hv->vms[vm].resident_max = hv->vms[vm].frames; /* at the limit now: one must go */
    cr_assert(hv_swap_make_room(hv, (unsigned)vm));
    uint32_t gone = 0xffffffffu;
    for (uint32_t p = 0; p < 0x200; p++)
        if (hv_swap_entry(leaf_of(hv, vm, p * MMU_PAGE_SIZE)))
            gone = p;
    cr_expect_eq(hv->vms[vm].swapped, 1);
    hu_free(hv, &m);
    return gone;
}

Test(hv_swap, clock_takes_the_page_whose_a_bit_is_clear)
{
    for (uint32_t page = 3; page < PAGES; page += 11)
        cr_expect_eq(victim_with(HV_REPLACE_CLOCK, page, false), 0x100 + page,
                     "A clear on page %u alone", page);
}

Test(hv_swap, random_does_not_look_at_a_bits)
{
    uint32_t a = victim_with(HV_REPLACE_RANDOM, 3, false);
    uint32_t b = victim_with(HV_REPLACE_RANDOM, 20, false);
    uint32_t c = victim_with(HV_REPLACE_RANDOM, 0, true);
    cr_expect(a == b && b == c, "the same victim whatever the A bits: %x %x %x", a, b, c);
    cr_expect_neq(victim_with(HV_REPLACE_CLOCK, 3, false),
                  victim_with(HV_REPLACE_CLOCK, 20, false));
}

/* host_memory: all VMs together; the VM holding the most frames gives one up. */
Test(hv_swap, the_host_limit_takes_from_the_largest_vm)
{
    hv_config_t cfg = hu_config();
    cfg.host_memory = 24 * MMU_PAGE_SIZE;
    hv_t *hv = hu_machine(&m, 2, &cfg);
    hv_vm_config_t c = {.memory = 2u << 20, .pin = {-1}};
    int big = hu_vm(hv, "big", writer, &c);
    int small = hu_vm(hv, "small", ".org 0x1000\nli r5, 0\nout r5, [0xf0]\n", &c);
    cr_assert_eq(hv_run(hv, 50000000), SIM_RUN_POWEROFF);
    cr_expect_eq(hv->vms[big].exit_code, 0);
    cr_expect_leq(hv->vms[big].frames + hv->vms[small].frames, 24);
    cr_expect_eq(hv->vms[small].stats.swap_outs, 0, "the small VM kept its page");
    cr_expect_eq(hv->vms[big].frames + hv->vms[big].swapped, PAGES + 1);
    cr_expect_gt(hv->vms[big].swapped, 0);
    hu_free(hv, &m);
}

/* A swap device of 4 slots cannot hold what the limit pushes out: the VM is stopped, said. */
Test(hv_swap, a_full_swap_device_stops_the_vm_with_a_sentence)
{
    hv_config_t cfg = hu_config();
    cfg.swap_size = 4 * MMU_PAGE_SIZE;
    int vm;
    hv_t *hv = limited(&cfg, 16 * MMU_PAGE_SIZE, &vm);
    hv_run(hv, 50000000);
    cr_expect_eq(hv->vms[vm].state, HV_VM_CRASHED);
    cr_expect_str_eq(hv->vms[vm].why, "out of host memory: the swap device is full");
    cr_expect_eq(hv->swap_used, 4);
    hu_free(hv, &m);
}

/* Destroying a VM frees its swap slots; destroying it frees its frames as before. */
Test(hv_swap, destroy_frees_swap_slots)
{
    hv_config_t cfg = hu_config();
    int vm;
    hv_t *hv = limited(&cfg, 16 * MMU_PAGE_SIZE, &vm);
    cr_assert_eq(hv_run(hv, 50000000), SIM_RUN_POWEROFF);
    cr_assert_gt(hv->swap_used, 0);
    hv_vm_destroy(hv, (unsigned)vm);
    cr_expect_eq(hv->swap_used, 0);
    for (uint32_t s = 0; s < hv->swap_slots; s++)
        cr_expect_eq(hv->swap_owner[s], HV_FRAME_FREE);
    hu_free(hv, &m);
}

/* A VM that cannot be swapped is refused a limit, with the reason. */
Test(hv_swap, a_limit_needs_a_swappable_vm)
{
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    cpu_asm_result_t res;
    hw_assemble(writer, &res);
    hv_vm_config_t c = {.name = "w",
                        .vcpus = 1,
                        .memory = 2u << 20,
                        .backing = HV_BACKING_EAGER,
                        .resident_max = 1u << 20,
                        .pin = {-1},
                        .program = res.bytes,
                        .program_len = res.size,
                        .program_base = res.base};
    char err[200] = "";
    cr_expect_lt(hv_vm_create(hv, &c, err, sizeof err), 0);
    cr_expect_str_eq(err, "VM w: resident_max below its memory needs swapping, which works with "
                          "backing = lazy and cpu other than bt");
    c.backing = HV_BACKING_LAZY;
    c.resident_max = 0x8000;
    cr_expect_lt(hv_vm_create(hv, &c, err, sizeof err), 0);
    cr_expect_str_eq(err, "VM w: resident_max = 32768 bytes; it must be whole 4 KiB pages, at "
                          "least 64 KiB");
    cpu_asm_free(&res);
    hu_free(hv, &m);
}

Test(hv_swap, host_memory_beyond_the_pool_is_refused)
{
    hv_config_t cfg = hu_config();
    cfg.host_memory = HU_RAM;
    char err[200] = "";
    cr_assert_eq(sim_machine_init(&m, HU_RAM, 1), 0);
    cr_expect_null(hv_new(&m, &cfg, err, sizeof err));
    cr_expect_str_eq(err, "host_memory = 16384 KiB, but the frame pool has only 16320 KiB "
                          "(raise [machine] ram)");
    sim_machine_free(&m);
}

/* The scenario keys, and their errors with file and line. */
Test(hv_swap, scenario_keys_and_their_errors)
{
    hv_scenario_t sc;
    FILE *diag = tmpfile();
    const char *good = "[hypervisor]\nhost_memory = 4M\nswap = 8M\nreplacement = random\n"
                       "[vm a]\nkernel = x.bin\nresident_max = 1M\n";
    memset(&sc, 0, sizeof sc);
    hv_scenario_parse(&sc, "good.ini", good, ".", ".", diag);
    cr_expect_eq(sc.hv.host_memory, 4u << 20);
    cr_expect_eq(sc.hv.swap_size, 8u << 20);
    cr_expect_eq(sc.hv.replacement, HV_REPLACE_RANDOM);
    cr_expect_eq(sc.vm[0].resident_max, 1u << 20);
    hv_scenario_free(&sc);
    const char *bad = "[hypervisor]\nreplacement = lru\nhost_memory = 1000\n";
    memset(&sc, 0, sizeof sc);
    cr_expect_eq(hv_scenario_parse(&sc, "bad.ini", bad, ".", ".", diag), -1);
    hv_scenario_free(&sc);
    rewind(diag);
    char text[2048] = "";
    size_t n = fread(text, 1, sizeof text - 1, diag);
    text[n] = '\0';
    fclose(diag);
    cr_expect(strstr(text, "bad.ini:2: error: replacement = 'lru': it must be clock or random"),
              "%s", text);
    cr_expect(strstr(text, "bad.ini:3: error: host_memory"), "%s", text);
}

Test(hv_swap, mem_overcommit_transcripts_equal_native, .timeout = 120)
{
    hu_transcripts_equal_native("mem-overcommit");
}

/* Under shadow paging the guest's stores go through shadow entries: a page swapped out must
 * leave them (else the guest would read a zeroed frame and exit 1), and a hidden fault brings
 * it back in. The clock sees the uses the hypervisor noted at its fills. */
Test(hv_swap, under_shadow_paging_a_limited_vm_swaps_and_its_data_survives)
{
    hv_config_t cfg = hu_config();
    int vm;
    hv_t *hv = limited_as(&cfg, 16 * MMU_PAGE_SIZE, HV_MEM_SHADOW, &vm);
    const hv_vm_t *v = &hv->vms[vm];
    cr_assert_eq(hv_run(hv, 50000000), SIM_RUN_POWEROFF);
    cr_expect_eq(v->exit_code, 0, "every page read back held what the guest wrote");
    cr_expect_eq(v->frames, 16, "at its limit, never above it");
    cr_expect_eq(v->stats.swap_outs, 52, "%llu swap-outs", (unsigned long long)v->stats.swap_outs);
    cr_expect_eq(v->stats.swap_ins, 35, "%llu swap-ins", (unsigned long long)v->stats.swap_ins);
    cr_expect_eq(v->stats.shadow.hidden_faults, 68, "%llu hidden faults",
                 (unsigned long long)v->stats.shadow.hidden_faults);
    cr_expect_eq(m.cpu[0].s.cycles, 1248816, "%llu cycles", (unsigned long long)m.cpu[0].s.cycles);
    cr_expect_eq(v->frames + v->swapped, PAGES + 1, "the code page and the 32 written");
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    hu_free(hv, &m);
}

Test(hv_swap, mem_overcommit_under_shadow_paging_transcripts_equal_native, .timeout = 120)
{
    hu_transcripts_equal_native_with("mem-overcommit",
                                     (hu_override_t){.backing = -1, .mem = HV_MEM_SHADOW});
}

/* The scenario really overcommits: both limits hold, tinyos swaps, the invariants hold. */
Test(hv_swap, mem_overcommit_swaps_within_its_limits, .timeout = 60)
{
    hv_scenario_t sc;
    hv_t *hv = hu_scenario(&sc, &m, "mem-overcommit");
    hv_run(hv, sc.max_cycles);
    int t = hv_vm_by_name(hv, "tinyos"), r = hv_vm_by_name(hv, "rtos");
    cr_assert(t >= 0 && r >= 0);
    cr_expect_leq(hv->vms[t].frames, 3u << 8, "tinyos: 3 MiB resident at most");
    cr_expect_leq(hv->vms[t].frames + hv->vms[r].frames, 4u << 8, "4 MiB of host memory");
    cr_expect_gt(hv->vms[t].stats.swap_outs, 0);
    cr_expect_gt(hv->vms[t].stats.swap_ins, 0);
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    hu_scenario_free(&sc, hv, &m);
}
