/*
 * test_debug_vm.c - the debugger over the hypervisor (ui/debug/debug_vm.c): VM and VCPU lists,
 * the VMCB, `step exit` and `break exit` stopping before the handler with the stop sentence,
 * `break mode H`, gpa reads through a VM's nested tables, the focus VM, pause/resume and the
 * scheduling policy; and that every one of them still answers "No VMs" on bare metal.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../ui/repl/ui_repl.h"
#include "../../hypervisor/hv_technique.h"
#include "../support/harness.h"
#include "../hypervisor/hv_util.h"

static hv_scenario_t sc;
static sim_machine_t m;

static ui_dbg_t *start(hv_t **hv, const char *scenario)
{
    *hv = hu_scenario(&sc, &m, scenario);
    ui_dbg_t *dbg = ui_dbg_new(&m);
    cr_assert_not_null(dbg);
    return dbg;
}

static void done(ui_dbg_t *dbg, hv_t *hv)
{
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

Test(hv_debug, lists_vms_and_vcpus)
{
    hv_t *hv;
    ui_dbg_t *dbg = start(&hv, "default");
    cr_assert(ui_dbg_has_hypervisor(dbg));
    cr_assert_eq(ui_dbg_vm_count(dbg), 2);
    ui_dbg_vm_t vm;
    cr_assert_eq(ui_dbg_vm_info(dbg, 0, &vm), 0);
    cr_expect_str_eq(vm.name, "tinyos");
    cr_expect_str_eq(vm.state, "running");
    cr_expect_str_eq(vm.cpu, "hw");
    cr_expect_str_eq(vm.mem, "nested");
    cr_expect_eq(vm.vcpus, 1);
    cr_expect_eq(ui_dbg_vm_by_name(dbg, "rtos"), 1);
    cr_expect_eq(ui_dbg_vm_by_name(dbg, "1"), 1);
    cr_expect_eq(ui_dbg_vm_by_name(dbg, "nosuch"), -1);
    cr_expect(strstr(ui_dbg_error(dbg), "no VM called") != NULL);
    ui_dbg_vcpu_t v;
    cr_assert_eq(ui_dbg_vcpu_info(dbg, 1, 0, &v), 0);
    cr_expect_eq(v.vm, 1);
    cr_expect_neq(v.vmcb, 0);
    cr_expect_eq(ui_dbg_vcpu_info(dbg, 1, 3, &v), -1);
    uint32_t rev;
    cr_assert_eq(ui_dbg_vmcb_read(dbg, 0, 0, CPU_VMCB_REV, &rev), 0);
    cr_expect_eq(rev, CPU_VMCB_REVISION);
    cr_expect_eq(ui_dbg_vm_info(dbg, 7, &vm), -1);
    done(dbg, hv);
}

Test(hv_debug, step_exit_stops_before_the_handler)
{
    hv_t *hv;
    ui_dbg_t *dbg = start(&hv, "default");
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_step_exit(dbg, &st), 0);
    cr_assert_eq(st.kind, UI_DBG_STOP_VM_EXIT, "%s", st.text);
    cr_expect_eq(st.ev.kind, SIM_EV_VMEXIT);
    cr_expect_eq(st.mode, CPU_MODE_H, "the pCPU is in H: the hypervisor is about to handle it");
    cr_expect(ui_dbg_pcpu_exit_pending(dbg, st.cpu));
    cr_expect(strncmp(st.text, "Stopped at cycle ", 17) == 0, "%s", st.text);
    cr_expect(strstr(st.text, "because") != NULL, "%s", st.text);
    cr_expect_eq(ui_dbg_focus_vm(dbg), st.ev.vm, "the stop focuses the VM that exited");
    cr_expect_eq(ui_dbg_default_space(dbg), UI_DBG_SPACE_GVA);
    /* The guest's own memory reads through its nested tables. */
    uint32_t word, hpa;
    cr_expect_eq(ui_dbg_read(dbg, UI_DBG_SPACE_GPA, HV_GUEST_ROM, &word, 4), 0, "%s",
                 ui_dbg_error(dbg));
    cr_assert_eq(ui_dbg_to_hpa(dbg, UI_DBG_SPACE_GPA, HV_GUEST_ROM, &hpa), 0);
    cr_expect_geq(hpa, HV_RESERVED_BYTES, "a guest page lies outside the hypervisor's image");
    uint32_t direct;
    memcpy(&direct, &m.ram[hpa], 4);
    cr_expect_eq(word, direct);
    /* Going on runs the handler and the rest, to the end. */
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_POWEROFF, "%s", st.text);
    done(dbg, hv);
}

Test(hv_debug, break_exit_by_reason_and_vm)
{
    hv_t *hv;
    ui_dbg_t *dbg = start(&hv, "default");
    cr_expect_eq(ui_dbg_break_exit(dbg, "NO_SUCH", UI_DBG_ANY_VM), -1);
    cr_expect_eq(ui_dbg_break_exit(dbg, "IO_PORT", 9), -1);
    int id = ui_dbg_break_exit(dbg, "IO_PORT", 1);
    cr_assert_gt(id, 0, "%s", ui_dbg_error(dbg));
    char desc[128];
    ui_dbg_bp_describe(dbg, ui_dbg_bp_by_id(dbg, id), desc, sizeof desc);
    cr_expect_str_eq(desc, "VM exit IO_PORT in rtos");
    ui_dbg_stop_t st;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
        cr_assert_eq(st.kind, UI_DBG_STOP_BREAKPOINT, "%s", st.text);
        cr_expect_eq(st.id, id);
        cr_expect_eq(st.ev.a, CPU_EXIT_IO_PORT);
        cr_expect_eq(st.ev.vm, 1);
        cr_expect(strstr(st.text, "VM exit IO_PORT in rtos (vcpu0), because") != NULL, "%s",
                  st.text);
        cr_expect(strstr(st.text, "the guest ran `") != NULL, "%s", st.text);
    }
    done(dbg, hv);
}

Test(hv_debug, break_mode_h_is_an_exit)
{
    hv_t *hv;
    ui_dbg_t *dbg = start(&hv, "default");
    int id = ui_dbg_break_mode(dbg, CPU_MODE_H);
    cr_assert_gt(id, 0, "%s", ui_dbg_error(dbg));
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_BREAKPOINT, "%s", st.text);
    cr_expect_eq(st.mode, CPU_MODE_H);
    cr_expect(strstr(st.text, "-> H") != NULL, "%s", st.text);
    done(dbg, hv);
}

Test(hv_debug, focus_pause_and_sched)
{
    hv_t *hv;
    ui_dbg_t *dbg = start(&hv, "default");
    cr_expect_eq(ui_dbg_focus_vm(dbg), -1);
    cr_expect_eq(ui_dbg_read(dbg, UI_DBG_SPACE_GPA, HV_GUEST_ROM, &(uint32_t){0}, 4), -1,
                 "gpa needs a VM");
    cr_assert_eq(ui_dbg_set_focus_vm(dbg, 1), 0);
    cr_expect_eq(ui_dbg_focus_vm(dbg), 1);
    cr_expect_eq(ui_dbg_set_focus_vm(dbg, 5), -1);
    cr_assert_eq(ui_dbg_vm_pause(dbg, 1, true), 0, "%s", ui_dbg_error(dbg));
    ui_dbg_vm_t vm;
    ui_dbg_vm_info(dbg, 1, &vm);
    cr_expect_str_eq(vm.state, "paused");
    cr_expect_eq(ui_dbg_vm_pause(dbg, 1, true), -1, "already paused");
    cr_assert_eq(ui_dbg_vm_pause(dbg, 1, false), 0, "%s", ui_dbg_error(dbg));
    cr_expect_str_eq(ui_dbg_sched_name(dbg), "pin");
    cr_expect_eq(ui_dbg_sched_policy(dbg, "overcommit"), 0);
    cr_expect_str_eq(ui_dbg_sched_name(dbg), "overcommit");
    cr_expect_eq(ui_dbg_sched_policy(dbg, "pin"), 0, "%s", ui_dbg_error(dbg));
    cr_expect_eq(ui_dbg_sched_policy(dbg, "lottery"), -1);
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_POWEROFF, "%s", st.text);
    done(dbg, hv);
}

/* A new focus CPU brings its guest's addresses with it: with the rtos in focus (as after a
 * stop on pCPU1: the window's pause between frames lands on any CPU), focusing pCPU0 reads
 * tinyos's code at its pc. */
Test(hv_debug, focusing_a_cpu_focuses_its_vm)
{
    hv_t *hv;
    ui_dbg_t *dbg = start(&hv, "default");
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_run_cycles(dbg, 250000, &st), 0, "%s", ui_dbg_error(dbg));
    cr_assert(cpu_in_guest(&m.cpu[0]), "pCPU0 runs tinyos (puts)");
    cr_assert_eq(ui_dbg_set_focus_vm(dbg, hv_vm_by_name(hv, "rtos")), 0);
    cr_assert_eq(ui_dbg_focus(dbg), 1, "the rtos's pCPU");
    cr_assert_eq(ui_dbg_set_focus(dbg, 0), 0);
    cr_expect_eq(ui_dbg_focus_vm(dbg), hv_vm_by_name(hv, "tinyos"));
    char text[96];
    cr_expect(ui_dbg_disasm(dbg, ui_dbg_default_space(dbg), m.cpu[0].s.pc, text, sizeof text),
              "tinyos's code at pCPU0's pc 0x%08x", m.cpu[0].s.pc);
    done(dbg, hv);
}

Test(hv_debug, bare_metal_has_no_vms)
{
    static sim_machine_t bare;
    cr_assert_eq(sim_machine_init(&bare, 1u << 20, 1), 0);
    ui_dbg_t *dbg = ui_dbg_new(&bare);
    ui_dbg_stop_t st;
    cr_expect(!ui_dbg_has_hypervisor(dbg));
    cr_expect_eq(ui_dbg_vm_count(dbg), 0);
    cr_expect_eq(ui_dbg_step_exit(dbg, &st), -1);
    cr_expect(strstr(ui_dbg_error(dbg), "No VMs") != NULL);
    cr_expect_eq(ui_dbg_break_exit(dbg, "IO_PORT", UI_DBG_ANY_VM), -1);
    cr_expect_eq(ui_dbg_break_mode(dbg, CPU_MODE_H), -1);
    cr_expect_eq(ui_dbg_set_focus_vm(dbg, 0), -1);
    cr_expect_eq(ui_dbg_vm_pause(dbg, 0, true), -1);
    cr_expect_eq(ui_dbg_sched_policy(dbg, "pin"), -1);
    ui_dbg_free(dbg);
    sim_machine_free(&bare);
}

/* The REPL completes exit reasons and VM names from the debugger. */
Test(hv_debug, repl_completes_exit_reasons_and_vm_names)
{
    hv_t *hv;
    ui_dbg_t *dbg = start(&hv, "default");
    ui_repl_t r;
    ui_repl_init(&r, &m, dbg, stdout, stderr);
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"break exit IO_P", "IO_PORT"},
        {"break exit IO_PORT vm rt", "rtos"},
        {"focus tin", "tinyos"},
        {"vm pause rt", "rtos"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ui_repl_matches_t got = {0};
        size_t end = strlen(cases[i].line);
        const char *sp = strrchr(cases[i].line, ' ');
        ui_repl_complete(&r, cases[i].line, (size_t)(sp - cases[i].line) + 1, end, &got);
        cr_expect_eq(got.n, 1, "%s: %zu candidates", cases[i].line, got.n);
        if (got.n)
            cr_expect_str_eq(got.v[0], cases[i].want, "%s", cases[i].line);
        ui_repl_matches_free(&got);
    }
    done(dbg, hv);
}

/* break LOC vm N space gpa|gva: only that VM's VCPU stops there. */
Test(hv_debug, address_breakpoints_in_one_vm)
{
    hv_t *hv;
    ui_dbg_t *dbg = start(&hv, "default");
    ui_dbg_stop_t st;
    cr_expect_eq(ui_dbg_break_addr(dbg, UI_DBG_SPACE_GPA, 0x1008, UI_DBG_ANY_CPU, UI_DBG_ANY_VM),
                 -1, "a gpa breakpoint needs its VM");
    int id = ui_dbg_break_addr(dbg, UI_DBG_SPACE_GVA, HV_GUEST_ROM + 4, UI_DBG_ANY_CPU, 1);
    cr_assert_gt(id, 0, "%s", ui_dbg_error(dbg));
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_assert_eq(st.kind, UI_DBG_STOP_BREAKPOINT, "%s", st.text);
    cr_expect_eq(st.pc, HV_GUEST_ROM + 4);
    cr_expect_eq(m.cpu[st.cpu].s.vm.vm_label, 1, "rtos stopped, not tinyos");
    ui_dbg_delete_all(dbg);
    /* tinyos's idle loop, by its own symbol: its kernel maps itself at gva = gpa. */
    uint32_t idle;
    char path[512];
    cpu_symbol_t *syms;
    size_t n;
    snprintf(path, sizeof path, "%s/guestos/tinyos.sym", th_build_dir());
    cr_assert_eq(cpu_syms_load(path, &syms, &n, stderr), 0);
    cr_assert_eq(ui_dbg_set_vm_symbols(dbg, 0, syms, n), 0);
    cpu_syms_free(syms, n);
    cr_assert_eq(ui_dbg_set_focus_vm(dbg, 0), 0);
    cr_assert(ui_dbg_symbol_addr(dbg, "idle", &idle), "tinyos's symbols are attached");
    id = ui_dbg_break_addr(dbg, UI_DBG_SPACE_GPA, idle, UI_DBG_ANY_CPU, 0);
    cr_assert_gt(id, 0, "%s", ui_dbg_error(dbg));
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_assert_eq(st.kind, UI_DBG_STOP_BREAKPOINT, "%s", st.text);
    cr_expect_eq(m.cpu[st.cpu].s.vm.vm_label, 0, "tinyos stopped at its gpa");
    char desc[96];
    ui_dbg_bp_describe(dbg, ui_dbg_bp_by_id(dbg, id), desc, sizeof desc);
    cr_expect(strncmp(desc, "gpa 0x", 6) == 0 && strstr(desc, "<idle>"), "%s", desc);
    cr_expect(strstr(desc, " in tinyos") != NULL, "%s", desc);
    done(dbg, hv);
}

/* A deprivileged VCPU with shadow paging: the real mode is U while its kernel believes K, and
 * the VMCB's ptroot is the shadow's root while the guest's own is what it wrote. */
Test(hv_debug, vcpu_shows_virtual_mode_and_the_guests_own_ptroot)
{
    hv_t *hv;
    ui_dbg_t *dbg = start(&hv, "trap");
    cr_assert_eq(hv_run(hv, 10000000), SIM_RUN_MAX_CYCLES);
    ui_dbg_vcpu_t v;
    cr_assert_eq(ui_dbg_vcpu_info(dbg, 0, 0, &v), 0);
    cr_expect(v.shadow);
    cr_expect_eq(v.mode, CPU_MODE_U, "the kernel runs in real U");
    uint32_t vflags = hv_trap_virtual_flags(hv, 0, 0);
    cr_expect_eq(v.guest_mode, (cpu_mode_t)((vflags & CPU_FLAG_MODE_MASK) >> CPU_FLAG_MODE_SHIFT));
    uint32_t real;
    cr_assert_eq(ui_dbg_vmcb_read(dbg, 0, 0, CPU_VMCB_GUEST + CPU_VMCB_CSR(CPU_CSR_PTROOT), &real),
                 0);
    cr_expect(v.guest_ptroot & MMU_PTROOT_E, "tinyos has turned paging on: 0x%x", v.guest_ptroot);
    cr_expect_neq(real, v.guest_ptroot, "the real root is the shadow's");
    cr_expect_eq(v.guest_ptroot, hv_shadow_guest_ptroot(hv, 0, 0));
    done(dbg, hv);
}

/* Translated code is execute-only for the guest, but the debugger reads it: the disassembly
 * of a bt VCPU's pc in its translation cache. */
Test(hv_debug, reads_the_translation_cache)
{
    hv_t *hv;
    ui_dbg_t *dbg = start(&hv, "bt");
    ui_dbg_stop_t st;
    cr_assert_gt(ui_dbg_break_exit(dbg, "EXCEPTION", 0), 0, "%s", ui_dbg_error(dbg));
    for (unsigned k = 0; k < 50; k++) {
        cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
        if (m.cpu[st.cpu].s.vm.exit_qual == CPU_CAUSE_BREAKPOINT)
            break;
    }
    cr_assert_eq(m.cpu[st.cpu].s.vm.exit_qual, CPU_CAUSE_BREAKPOINT, "a callout of the TC");
    cr_expect(strstr(st.text, " (translated from ") != NULL, "the guest code it stands for: %s",
              st.text);
    ui_dbg_vcpu_t v;
    cr_assert_eq(ui_dbg_vcpu_info(dbg, 0, 0, &v), 0);
    cr_assert(hv_bt_in_tc(v.pc), "pc 0x%08x", v.pc);
    char text[96];
    cr_expect(ui_dbg_disasm(dbg, UI_DBG_SPACE_GVA, v.pc - 4, text, sizeof text), "%s", text);
    cr_expect_str_eq(text, "brk");
    done(dbg, hv);
}

/* Runs the bt scenario on until its tinyos VCPU last entered its translated kernel (in_tc)
 * or, with `in_tc` false, its own user code; returns the VCPU. */
static const hv_vcpu_t *run_until_in_tc(hv_t *hv, bool in_tc)
{
    const hv_vcpu_t *e = &hv->ent[hv->vms[hv_vm_by_name(hv, "tinyos")].vcpu[0]];
    for (uint64_t at = 3000000; at < 60000000 && (bool)e->bt.in_tc != in_tc; at += 20000)
        cr_assert_eq(hv_run(hv, at), SIM_RUN_MAX_CYCLES);
    cr_assert_eq((bool)e->bt.in_tc, in_tc);
    return e;
}

/* The window's disassembly names, for each word of translated code, the guest code it stands
 * for (ui_dbg_translated_from) while the VCPU runs its translated kernel; while it runs its
 * own user code, the same addresses are the guest's own (the monitor's record decides, not
 * the address). */
Test(hv_debug, translated_code_names_its_guest_code)
{
    hv_t *hv;
    ui_dbg_t *dbg = start(&hv, "bt");
    run_until_in_tc(hv, true);
    ui_dbg_vcpu_t v;
    cr_assert_eq(ui_dbg_vcpu_info(dbg, 0, 0, &v), 0);
    cr_assert_eq(ui_dbg_set_focus(dbg, (unsigned)v.pcpu), 0);
    char from[80] = "";
    cr_expect(ui_dbg_translated_from(dbg, HV_BT_REGION + 8, from, sizeof from), "the first block");
    cr_expect(from[0] != '\0' && strncmp(from, "0xffc", 5) != 0, "a guest address: %s", from);
    cr_expect(!ui_dbg_translated_from(dbg, 0x1000, from, sizeof from), "guest code is not");
    run_until_in_tc(hv, false);
    cr_expect(!ui_dbg_translated_from(dbg, HV_BT_REGION + 8, from, sizeof from),
              "in its user code the VCPU's 0xffc00008 is its own: %s", from);
    done(dbg, hv);
}

/* finish at a VM-exit stop runs to the VM entry that ends the handling; bt there says the
 * hypervisor is C code with no stack of the toy ISA. */
Test(hv_debug, finish_at_an_exit_runs_to_its_entry)
{
    hv_t *hv;
    ui_dbg_t *dbg = start(&hv, "default");
    ui_dbg_stop_t st;
    cr_assert_gt(ui_dbg_break_exit(dbg, "IO_PORT", 0), 0);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_assert(ui_dbg_pcpu_exit_pending(dbg, st.cpu), "%s", st.text);
    uint32_t guest_pc = st.ev.pc;
    ui_dbg_frame_t fr[4];
    size_t n;
    char why[320];
    cr_assert_eq(ui_dbg_backtrace(dbg, fr, 4, &n, why, sizeof why), 0);
    cr_expect_eq(n, 0);
    cr_expect(strstr(why, "in the hypervisor (ring -1, C code)") != NULL, "%s", why);
    cr_assert_eq(ui_dbg_delete(dbg, 1), 0);
    cr_assert_eq(ui_dbg_finish(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_FINISH, "%s", st.text);
    cr_expect_eq(st.ev.kind, SIM_EV_VMENTRY);
    cr_expect_eq(st.ev.vm, 0);
    cr_expect_eq(st.ev.pc, guest_pc + 4, "the handler emulated the out and skipped it");
    cr_expect(strncmp(st.text, "The hypervisor finished handling the exit: VM entry into tinyos",
                      63) == 0,
              "%s", st.text);
    cr_expect_not(ui_dbg_pcpu_exit_pending(dbg, st.cpu));
    done(dbg, hv);
}

/* An idle pCPU (ring -1, nothing it may run) reaches no instruction boundary of its own: a
 * `stepi` with it in focus says so and moves its time on by the turn it idled through, and
 * `continue N` counts its own cycles, idle or not, instead of running to another pCPU's stop.
 * At cycle 3 000 000 of the default scenario tinyos waits for its timer (pCPU0 idles) while
 * the rtos works on pCPU1. */
Test(hv_debug, stepping_an_idle_pcpu_moves_its_time)
{
    hv_t *hv;
    ui_dbg_t *dbg = start(&hv, "default");
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_run_cycles(dbg, 3000000, &st), 0, "%s", ui_dbg_error(dbg));
    cr_expect_eq(st.kind, UI_DBG_STOP_CYCLES, "%s", st.text);
    cr_expect_eq(st.cpu, 0);
    cr_expect_str_eq(st.text, "Ran 3 000 517 cycles on cpu0 (338 631 instructions); it is idle "
                              "now: the hypervisor has nothing it may run there.");
    ui_dbg_view_t view;
    ui_dbg_view(dbg, 0, &view);
    cr_assert_eq(view.kind, UI_DBG_VIEW_NONE, "%s", view.why);
    cr_assert(strstr(view.why, "idle") != NULL, "%s", view.why);
    uint64_t before = m.cpu[0].s.cycles, instret = m.cpu[0].s.instret;
    cr_assert_eq(ui_dbg_stepi(dbg, 1, &st), 0, "%s", ui_dbg_error(dbg));
    cr_expect_eq(st.kind, UI_DBG_STOP_STEP, "%s", st.text);
    cr_expect_eq(st.cpu, 0, "the focus stays on the idle pCPU: %s", st.text);
    cr_expect_eq(m.cpu[0].s.instret, instret, "no instruction ran there");
    cr_expect_gt(m.cpu[0].s.cycles, before, "its time moved on");
    cr_expect_leq(m.cpu[0].s.cycles, before + m.quantum, "by one idle turn at most");
    char want[200], num[32], num2[32];
    snprintf(want, sizeof want,
             "cpu0 is idle: the hypervisor has nothing it may run there, so there was no "
             "instruction to step; its time moved on %s, to cycle %s.",
             sim_counted(m.cpu[0].s.cycles - before, "cycle", num, sizeof num),
             sim_group_digits(m.cpu[0].s.cycles, num2, sizeof num2));
    cr_expect_str_eq(st.text, want);
    before = m.cpu[0].s.cycles;
    cr_assert_eq(ui_dbg_run_cycles(dbg, 50000, &st), 0, "%s", ui_dbg_error(dbg));
    cr_expect_eq(st.kind, UI_DBG_STOP_CYCLES, "%s", st.text);
    cr_expect_eq(st.cpu, 0, "%s", st.text);
    cr_expect_geq(m.cpu[0].s.cycles, before + 50000);
    cr_expect_lt(m.cpu[0].s.cycles, before + 50000 + m.quantum, "%s", st.text);
    done(dbg, hv);
}
