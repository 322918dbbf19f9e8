/*
 * test_debug_watch.c - watchpoints on every path by which an access reaches a word
 * (ui/debug/debug_watch.c): a guest's store through nested and through shadow translation, the
 * hypervisor writing on a guest's behalf, a device's DMA through the IOMMU; gva:, gpa: and hpa:
 * watching one word all firing on one access; rwatch and awatch on loads. Each checks who made
 * the access, the address and value, and that the old value is right on the first hit.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv_internal.h"
#include "../../ui/debug/ui_debug.h"
#include "../hypervisor/hv_util.h"
#include "../support/harness.h"

static hv_scenario_t sc;
static sim_machine_t m;

static uint32_t ram_word(uint32_t hpa)
{
    uint32_t w;
    memcpy(&w, m.ram + hpa, 4);
    return w;
}

/* A built-in scenario with tinyos's symbols, focused on tinyos (VM 0). */
static ui_dbg_t *tinyos(hv_t **hv, const char *scenario)
{
    *hv = hu_scenario(&sc, &m, scenario);
    ui_dbg_t *dbg = ui_dbg_new(&m);
    cr_assert_not_null(dbg);
    char path[512];
    snprintf(path, sizeof path, "%s/guestos/tinyos.sym", th_build_dir());
    cpu_symbol_t *syms;
    size_t n;
    cr_assert_eq(cpu_syms_load(path, &syms, &n, stderr), 0);
    cr_assert_eq(ui_dbg_set_vm_symbols(dbg, 0, syms, n), 0);
    cpu_syms_free(syms, n);
    cr_assert_eq(ui_dbg_set_focus_vm(dbg, 0), 0);
    return dbg;
}

static uint32_t sym(ui_dbg_t *dbg, const char *name)
{
    uint32_t a = 0;
    cr_assert(ui_dbg_symbol_addr(dbg, name, &a), "no symbol %s", name);
    return a;
}

/* Runs tinyos, a million cycles at a time, until its timer has ticked and it is stopped where
 * `ticks` can be read by its virtual address (in its kernel: a user process's privilege cannot
 * read it), not to a breakpoint: translated code never runs at the guest's pc. */
static void run_some_ticks(ui_dbg_t *dbg)
{
    uint32_t ticks = sym(dbg, "ticks"), value = 0;
    for (int i = 0; i < 400 && value < 1; i++) {
        ui_dbg_stop_t st;
        cr_assert_eq(ui_dbg_set_focus_vm(dbg, 0), 0);
        cr_assert_eq(ui_dbg_run_cycles(dbg, 1000000, &st), 0);
        cr_assert_eq(st.kind, UI_DBG_STOP_CYCLES, "%s", st.text);
        cr_assert_eq(ui_dbg_set_focus_vm(dbg, 0), 0);
        if (ui_dbg_read(dbg, UI_DBG_SPACE_GVA, ticks, &value, 4) != 0)
            value = 0; /* not mapped yet (booting), or a user process runs */
    }
    cr_assert_geq(value, 1, "the timer has ticked");
}

/* The guest's own store through nested paging (default), shadow paging (shadow) and under the
 * interpreter (emu): gva, gpa and hpa watchpoints on `ticks` all fire on the one store, the
 * first hit says the value it had before, and who wrote it. */
ParameterizedTestParameters(debug_watch_paths, guest_store)
{
    static const char *const scenarios[] = {"default", "shadow", "emu", "trap", "bt"};
    TH_ROW_INDICES(sizeof scenarios / sizeof scenarios[0]);
}

ParameterizedTest(size_t *row, debug_watch_paths, guest_store, .timeout = 120)
{
    static const char *const scenarios[] = {"default", "shadow", "emu", "trap", "bt"};
    bool translated = strcmp(scenarios[*row], "bt") == 0;
    hv_t *hv;
    ui_dbg_t *dbg = tinyos(&hv, scenarios[*row]);
    run_some_ticks(dbg);
    uint32_t ticks = sym(dbg, "ticks"), before, hpa;
    cr_assert_eq(ui_dbg_read(dbg, UI_DBG_SPACE_GVA, ticks, &before, 4), 0, "%s", ui_dbg_error(dbg));
    cr_assert_gt(before, 0, "the timer has ticked");
    cr_assert_eq(ui_dbg_to_hpa(dbg, UI_DBG_SPACE_GVA, ticks, &hpa), 0);
    uint32_t gpa;
    cr_assert_eq(ui_dbg_to_hpa(dbg, UI_DBG_SPACE_GPA, ticks, &gpa), 0); /* kernel: gva = gpa */
    cr_assert_eq(gpa, hpa);
    int gva_id = ui_dbg_watch(dbg, UI_DBG_SPACE_GVA, ticks, 4, UI_DBG_WRITE);
    int gpa_id = ui_dbg_watch(dbg, UI_DBG_SPACE_GPA, ticks, 4, UI_DBG_WRITE);
    int hpa_id = ui_dbg_watch(dbg, UI_DBG_SPACE_HPA, hpa, 4, UI_DBG_WRITE);
    cr_assert(gva_id > 0 && gpa_id > 0 && hpa_id > 0, "%s", ui_dbg_error(dbg));

    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_assert_eq(st.kind, UI_DBG_STOP_WATCHPOINT, "%s", st.text);
    cr_expect_eq(st.id, gva_id);
    cr_expect(st.old_known);
    cr_expect_eq(st.old, before, "the first hit's old value is what was there");
    cr_expect_eq(st.value, before + 1);
    cr_expect_eq(ram_word(hpa), before + 1, "the store has happened at the stop");
    cr_expect_eq(st.hpa, hpa);
    cr_expect_eq(st.by.by, SIM_BY_CPU);
    cr_expect_eq(st.by.vm, 0);
    cr_expect_eq(st.nalso, 2);
    cr_expect_eq(st.also[0], gpa_id);
    cr_expect_eq(st.also[1], hpa_id);
    for (int id = gva_id; id <= hpa_id; id++)
        cr_expect_eq(ui_dbg_bp_by_id(dbg, id)->hits, 1, "watchpoint %d", id);
    char want[320], at[64];
    if (translated) /* the store ran in the translation cache, for the guest's instruction */
        snprintf(at, sizeof at, "0x%08x (translated from timer_tick+0x14)", st.by.pc);
    else
        snprintf(at, sizeof at, "0x%08x <timer_tick+0x14>", sym(dbg, "timer_tick") + 0x14);
    snprintf(want, sizeof want,
             "Watchpoint %d: write of 0x%08x to gva 0x%08x <ticks> (hpa 0x%08x) by tinyos's "
             "`st r1, [r2]` at %s on cpu0 (was 0x%08x); also watchpoint %d, %d.",
             gva_id, before + 1, ticks, hpa, at, before, gpa_id, hpa_id);
    cr_expect_str_eq(st.text, want);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

/* rwatch fires on a load, with the value read; awatch on the next access of either kind. */
Test(debug_watch_paths, rwatch_and_awatch_fire_on_loads, .timeout = 120)
{
    hv_t *hv;
    ui_dbg_t *dbg = tinyos(&hv, "default");
    run_some_ticks(dbg);
    uint32_t ticks = sym(dbg, "ticks"), hpa;
    cr_assert_eq(ui_dbg_to_hpa(dbg, UI_DBG_SPACE_GVA, ticks, &hpa), 0);
    int r = ui_dbg_watch(dbg, UI_DBG_SPACE_GVA, ticks, 4, UI_DBG_READ);
    cr_assert_gt(r, 0, "%s", ui_dbg_error(dbg));
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_assert_eq(st.kind, UI_DBG_STOP_WATCHPOINT, "%s", st.text);
    cr_expect_eq(st.access, UI_DBG_READ);
    cr_expect_eq(st.value, ram_word(hpa));
    cr_expect_eq(st.by.by, SIM_BY_CPU);
    char head[40];
    snprintf(head, sizeof head, "Watchpoint %d: read of ", r);
    cr_expect(strncmp(st.text, head, strlen(head)) == 0, "%s", st.text);
    cr_expect(strstr(st.text, " from gva ") && strstr(st.text, "by tinyos's `ld "), "%s", st.text);
    cr_expect_null(strstr(st.text, "(was"), "a read changes nothing: %s", st.text);
    cr_assert_eq(ui_dbg_delete(dbg, r), 0);
    int a = ui_dbg_watch(dbg, UI_DBG_SPACE_GPA, ticks, 4, UI_DBG_READ | UI_DBG_WRITE);
    cr_assert_gt(a, 0, "%s", ui_dbg_error(dbg));
    char desc[128];
    ui_dbg_bp_describe(dbg, ui_dbg_bp_by_id(dbg, a), desc, sizeof desc);
    cr_expect(strncmp(desc, "read/write gpa ", 15) == 0, "%s", desc);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_assert_eq(st.kind, UI_DBG_STOP_WATCHPOINT, "%s", st.text);
    cr_expect_eq(st.id, a);
    cr_expect_eq(ui_dbg_bp_by_id(dbg, a)->hits, 1);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

/* The hypervisor outside any pCPU (a virtual disk's transfer, in a device event) writes the
 * word: the stop is made on the pCPU of the VM it worked for, not on the focus. */
Test(debug_watch_paths, virtual_disk_copy_stops_its_vms_pcpu, .timeout = 120)
{
    hv_t *hv;
    ui_dbg_t *dbg = tinyos(&hv, "default");
    cr_assert_eq(ui_dbg_set_focus(dbg, 1), 0); /* rtos's pCPU */
    uint32_t ticks = sym(dbg, "ticks");
    int id = ui_dbg_watch_vm(dbg, UI_DBG_SPACE_GVA, ticks, 4, UI_DBG_WRITE, 0);
    cr_assert_gt(id, 0, "%s", ui_dbg_error(dbg));
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_assert_eq(st.kind, UI_DBG_STOP_WATCHPOINT, "%s", st.text);
    cr_expect_eq(st.by.by, SIM_BY_HV);
    cr_expect_eq(st.by.cpu, -1);
    cr_expect_eq(st.cpu, 0, "tinyos's pCPU");
    cr_expect_eq(st.value, ram_word(st.hpa));
    char want[320];
    snprintf(want, sizeof want,
             "Watchpoint %d: write of 0x%08x to gva 0x%08x <ticks> (hpa 0x%08x) by the hypervisor "
             "(the virtual disk's DMA) for tinyos (was 0x%08x).",
             id, st.value, ticks, st.hpa, st.old);
    cr_expect_str_eq(st.text, want);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

/* A gva or gpa watchpoint with the hypervisor as the focus and no VM named would watch
 * nothing: it is refused, saying what to do. */
Test(debug_watch_paths, a_guest_address_needs_its_vm, .timeout = 60)
{
    hv_t *hv;
    ui_dbg_t *dbg = tinyos(&hv, "default");
    cr_assert_eq(ui_dbg_set_focus_vm(dbg, -1), 0);
    cr_expect_eq(ui_dbg_watch(dbg, UI_DBG_SPACE_GVA, 0x1000, 4, UI_DBG_WRITE), -1);
    cr_expect_str_eq(ui_dbg_error(dbg), "A gva watchpoint needs its VM: the focus is the "
                                        "hypervisor. \"focus VM\" first, or name a VM's symbol "
                                        "(tinyos:ticks).");
    cr_expect_eq(ui_dbg_watch(dbg, UI_DBG_SPACE_GPA, 0x1000, 4, UI_DBG_WRITE), -1);
    cr_expect_eq(ui_dbg_watch_vm(dbg, UI_DBG_SPACE_GPA, 0x1000, 4, UI_DBG_WRITE, 9), -1);
    cr_expect(strstr(ui_dbg_error(dbg), "no VM 9") != NULL, "%s", ui_dbg_error(dbg));
    int id = ui_dbg_watch_vm(dbg, UI_DBG_SPACE_GPA, 0x1000, 4, UI_DBG_WRITE, 1);
    cr_assert_gt(id, 0, "%s", ui_dbg_error(dbg));
    char desc[128];
    ui_dbg_bp_describe(dbg, ui_dbg_bp_by_id(dbg, id), desc, sizeof desc);
    cr_expect_str_eq(desc, "write gpa 0x00001000, 4 bytes in rtos");
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

/* ------------------------------------------------------------------------------------------
 * The hypervisor writing on a guest's behalf: shadow paging sets the A bit in the guest's own
 * page-table entry when it fills the shadow for the guest's first load through it.
 * ------------------------------------------------------------------------------------------ */
#define ROOT 0x10000u
#define L0 0x11000u
#define DATA 0x20000u
#define VA 0x200000u

static void put(hv_t *hv, int vm, uint32_t gpa, uint32_t value)
{
    cr_assert(hv_copy_to_guest(hv, (unsigned)vm, gpa, &value, 4, NULL));
}

/* A one-VM machine whose guest turns paging on and loads from VA, whose page-table entry
 * (at gpa *leaf, holding *pte) has A clear. */
static int a_bit_guest(hv_t **hv, hv_mem_technique_t mem, uint32_t *leaf, uint32_t *pte)
{
    hv_config_t cfg = hu_config();
    *hv = hu_machine(&m, 1, &cfg);
    hv_vm_config_t c = {.cpu = HV_CPU_HW, .mem = mem, .pin = {-1, -1, -1, -1}};
    int vm = hu_vm(*hv, "guest",
                   ".org 0x1000\nli r1, 0x10003\ncsrw ptroot, r1\nli r2, 0x200000\n"
                   "ld r3, [r2]\nout r0, [0xf0]\n",
                   &c);
    *leaf = L0 + 4 * ((VA >> 12) & 0x3ff);
    *pte = MMU_PTE_MAKE(DATA >> 12, MMU_PTE_V | MMU_PTE_R);
    put(*hv, vm, ROOT, MMU_PTE_MAKE(L0 >> 12, MMU_PTE_V));
    put(*hv, vm, L0 + 4, MMU_PTE_MAKE(0x1, MMU_PTE_V | MMU_PTE_R | MMU_PTE_X)); /* the code */
    put(*hv, vm, *leaf, *pte);
    return vm;
}

/* A debugger on that machine, a watchpoint on gpa `leaf` of VM vm, run to its first hit. */
static ui_dbg_t *watch_to_first_hit(int vm, uint32_t leaf, unsigned access, int *id,
                                    ui_dbg_stop_t *st)
{
    ui_dbg_t *dbg = ui_dbg_new(&m);
    cr_assert_not_null(dbg);
    cr_assert_eq(ui_dbg_set_focus_vm(dbg, vm), 0);
    *id = ui_dbg_watch(dbg, UI_DBG_SPACE_GPA, leaf, 4, access);
    cr_assert_gt(*id, 0, "%s", ui_dbg_error(dbg));
    cr_assert_eq(ui_dbg_continue(dbg, st), 0);
    cr_assert_eq(st->kind, UI_DBG_STOP_WATCHPOINT, "%s", st->text);
    return dbg;
}

Test(debug_watch_paths, hypervisor_write_for_the_guest)
{
    hv_t *hv;
    uint32_t leaf, pte;
    int vm = a_bit_guest(&hv, HV_MEM_SHADOW, &leaf, &pte);
    ui_dbg_stop_t st;
    int id;
    ui_dbg_t *dbg = watch_to_first_hit(vm, leaf, UI_DBG_WRITE, &id, &st);
    cr_expect_eq(st.by.by, SIM_BY_HV);
    cr_expect_eq(st.by.cpu, 0);
    cr_expect_eq(st.old, pte);
    cr_expect_eq(st.value, pte | MMU_PTE_A);
    char want[320];
    snprintf(want, sizeof want,
             "Watchpoint 1: write of 0x%08x to gpa 0x%08x (hpa 0x%08x) by the hypervisor on cpu0, "
             "in its EXCEPTION handler (hv_handle_exception) for guest (was 0x%08x).",
             pte | MMU_PTE_A, leaf, st.hpa, pte);
    cr_expect_str_eq(st.text, want);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_POWEROFF, "%s", st.text);
    ui_dbg_free(dbg);
    hu_free(hv, &m);
}

/* The same under nested paging: there the hardware's page walker sets A in the guest's entry
 * (through the nested tables), and before that reads it. */
Test(debug_watch_paths, page_walker_reads_and_sets_a)
{
    hv_t *hv;
    uint32_t leaf, pte;
    int vm = a_bit_guest(&hv, HV_MEM_NESTED, &leaf, &pte);
    ui_dbg_stop_t st;
    int id;
    ui_dbg_t *dbg = watch_to_first_hit(vm, leaf, UI_DBG_READ | UI_DBG_WRITE, &id, &st);
    cr_expect_eq(st.by.by, SIM_BY_HW);
    char want[320];
    snprintf(want, sizeof want,
             "Watchpoint 1: read of 0x%08x from gpa 0x%08x (hpa 0x%08x) by cpu0's hardware (its "
             "page walker, translating 0x%08x).",
             pte, leaf, st.hpa, VA);
    cr_expect_str_eq(st.text, want);
    /* The first walk ends in a nested fault (the data page is not backed yet): after the
     * hypervisor maps it, the instruction walks again, reads the entry again, and sets A. */
    do {
        cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
        cr_assert_eq(st.kind, UI_DBG_STOP_WATCHPOINT, "%s", st.text);
    } while (st.access == UI_DBG_READ && ui_dbg_bp_by_id(dbg, id)->hits < 10);
    snprintf(want, sizeof want,
             "Watchpoint 1: write of 0x%08x to gpa 0x%08x (hpa 0x%08x) by cpu0's hardware (its "
             "page walker, translating 0x%08x) (was 0x%08x).",
             pte | MMU_PTE_A, leaf, st.hpa, VA, pte);
    cr_expect_str_eq(st.text, want);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_POWEROFF, "%s", st.text);
    ui_dbg_free(dbg);
    hu_free(hv, &m);
}

/* ------------------------------------------------------------------------------------------
 * A device's DMA: the disk reads a sector into memory through the IOMMU (pass-through here).
 * ------------------------------------------------------------------------------------------ */
Test(debug_watch_paths, disk_dma)
{
    cr_assert_eq(sim_machine_init(&m, 1u << 20, 1), 0);
    sim_console_set_output(&m, NULL);
    cpu_asm_result_t res;
    cr_assert_eq(cpu_asm_string("dma.s",
                                "start: li r1, 1\nout r1, [0x1f1]\nli r1, 0x3000\nout r1, [0x1f2]\n"
                                "li r1, 1\nout r1, [0x1f3]\n"
                                "wait: in r1, [0x1f4]\nandi r1, r1, 2\ncmpi r1, 0\nbeq wait\n"
                                "out r0, [0xf0]\n",
                                stderr, &res),
                 0);
    cr_assert_eq(sim_load(&m, res.base, res.bytes, res.size), 0);
    m.cpu[0].s.pc = res.base;
    cpu_asm_free(&res);
    uint8_t sector[512] = {0x0d, 0xf0, 0xfe, 0xca};
    cr_assert_eq(sim_disk_attach(&m, sector, sizeof sector), 0);
    uint32_t old = 0x11111111u;
    cr_assert_eq(sim_load(&m, 0x3000, &old, 4), 0);
    ui_dbg_t *dbg = ui_dbg_new(&m);
    cr_assert_not_null(dbg);
    int id = ui_dbg_watch(dbg, UI_DBG_SPACE_HPA, 0x3000, 4, UI_DBG_WRITE);
    cr_assert_gt(id, 0, "%s", ui_dbg_error(dbg));
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_assert_eq(st.kind, UI_DBG_STOP_WATCHPOINT, "%s", st.text);
    cr_expect_eq(st.by.by, SIM_BY_DMA);
    cr_expect_eq(st.by.device, SIM_DISK_DMA_ID);
    cr_expect_str_eq(st.text, "Watchpoint 1: write of 0xcafef00d to hpa 0x00003000 by the disk's "
                              "DMA (IOMMU device 1) (was 0x11111111).");
    cr_expect_eq(ram_word(0x3000), 0xcafef00du);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_POWEROFF, "%s", st.text);
    ui_dbg_free(dbg);
    sim_machine_free(&m);
}

/* ------------------------------------------------------------------------------------------
 * Watching changes nothing: a run stopped at every hit (the guest's stores and loads, the
 * hypervisor's copies) ends with the cycles and console output of a run without a debugger.
 * ------------------------------------------------------------------------------------------ */
Test(debug_watch_paths, stops_change_nothing, .timeout = 240)
{
    hv_t *hv = hu_scenario(&sc, &m, "default");
    cr_assert_eq(sim_run(&m, sc.max_cycles), SIM_RUN_POWEROFF);
    uint64_t cycles[SIM_MAX_CPUS];
    for (unsigned i = 0; i < m.ncpus; i++)
        cycles[i] = m.cpu[i].s.cycles;
    char *console = strdup(hv_vm_console(hv, 0));
    hu_scenario_free(&sc, hv, &m);

    ui_dbg_t *dbg = tinyos(&hv, "default");
    uint32_t ticks = sym(dbg, "ticks");
    cr_assert_gt(ui_dbg_watch(dbg, UI_DBG_SPACE_GVA, ticks, 4, UI_DBG_WRITE), 0);
    cr_assert_gt(ui_dbg_watch(dbg, UI_DBG_SPACE_GPA, ticks, 4, UI_DBG_READ), 0);
    ui_dbg_stop_t st;
    unsigned stops = 0, by[3] = {0};
    do {
        cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
        if (st.kind == UI_DBG_STOP_WATCHPOINT)
            stops++, by[st.by.by]++;
    } while (st.kind == UI_DBG_STOP_WATCHPOINT);
    cr_expect_eq(st.kind, UI_DBG_STOP_POWEROFF, "%s", st.text);
    /* Each of tinyos's 1 ms ticks reads and stores `ticks` (a gva write watch, a gpa read
     * watch): a few stops a tick, over the run's 23 ticks. */
    cr_expect_gt(by[SIM_BY_CPU], 40, "%u stops", stops);
    cr_expect_gt(by[SIM_BY_HV], 0, "the virtual disk's copy over the kernel's data");
    for (unsigned i = 0; i < m.ncpus; i++)
        cr_expect_eq(m.cpu[i].s.cycles, cycles[i], "cpu%u", i);
    cr_expect_str_eq(hv_vm_console(hv, 0), console);
    free(console);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}
