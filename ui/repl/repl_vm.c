/*
 * repl_vm.c - info vms, info vcpus and info vmcb: the hypervisor's VMs as the debugger API
 * reports them (sim.h, "VMs and the hypervisor"), laid out as docs/debugger.md shows. On a
 * bare-metal machine each says there are no VMs.
 */
#include <stdlib.h>
#include <string.h>

#include "ui_repl.h"

static bool no_vms(ui_repl_t *r)
{
    if (ui_dbg_has_hypervisor(r->dbg))
        return false;
    fprintf(r->out, "%s\n", UI_DBG_NO_VMS);
    return true;
}

/* "8 MiB", "640 KiB". */
static const char *size_text(uint32_t bytes, char *buf, size_t len)
{
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
        snprintf(buf, len, "%u MiB", bytes >> 20);
    else
        snprintf(buf, len, "%u KiB", bytes >> 10);
    return buf;
}

int ui_repl_info_vms(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    if (no_vms(r))
        return 0;
    char mem[32], exits[32];
    fprintf(r->out, "  %-3s %-10s %-8s %-6s %-8s %-4s %-7s %s\n", "id", "name", "state", "vcpus",
            "memory", "cpu", "mem", "exits");
    for (unsigned i = 0; i < ui_dbg_vm_count(r->dbg); i++) {
        ui_dbg_vm_t vm;
        if (ui_dbg_vm_info(r->dbg, i, &vm) != 0)
            continue;
        fprintf(r->out, "%c %-3d %-10s %-8s %-6u %-8s %-4s %-7s %7s\n",
                ui_dbg_focus_vm(r->dbg) == vm.id ? '*' : ' ', vm.id, vm.name, vm.state, vm.vcpus,
                size_text(vm.memory, mem, sizeof mem), vm.cpu, vm.mem,
                sim_group_digits(vm.exits, exits, sizeof exits));
    }
    return 0;
}

int ui_repl_info_vcpus(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    if (no_vms(r))
        return 0;
    char where[24], pin[16], pc[96], slices[32];
    fprintf(r->out, "  %-10s %-6s %-8s %-6s %-5s %-12s %-7s %s\n", "vm", "vcpu", "state", "pcpu",
            "pin", "vmcb (hpa)", "slices", "guest pc");
    for (unsigned i = 0; i < ui_dbg_vm_count(r->dbg); i++) {
        ui_dbg_vm_t vm;
        if (ui_dbg_vm_info(r->dbg, i, &vm) != 0)
            continue;
        for (unsigned k = 0; k < vm.vcpus; k++) {
            ui_dbg_vcpu_t v;
            if (ui_dbg_vcpu_info(r->dbg, i, k, &v) != 0)
                continue;
            snprintf(where, sizeof where, v.pcpu >= 0 ? "pCPU%d" : "-", v.pcpu);
            snprintf(pin, sizeof pin, v.pin >= 0 ? "%d" : "-", v.pin);
            char sym[80];
            snprintf(pc, sizeof pc, "0x%08x%s", v.pc,
                     ui_dbg_symbolize_vm(r->dbg, (int)i, v.pc, sym, sizeof sym));
            char mode[48];
            snprintf(mode, sizeof mode, v.guest_mode == v.mode ? "%s" : "%s, virtual %s",
                     cpu_mode_name(v.mode), cpu_mode_name(v.guest_mode));
            fprintf(r->out, "  %-10s vcpu%-2u %-8s %-6s %-5s 0x%08x   %-7s %s (%s)%s\n", vm.name, k,
                    v.state, where, pin, v.vmcb, sim_group_digits(v.slices, slices, sizeof slices),
                    pc, mode, v.in_guest ? "" : " saved in the VMCB");
        }
    }
    return 0;
}

/* The VMCB words info vmcb shows, in layout order (cpu.h, docs/isa.md). */
static const struct {
    uint32_t off;
    const char *name;
} fields[] = {
    {CPU_VMCB_VMID, "vmid"},
    {CPU_VMCB_EXCEPTIONS, "exception bitmap"},
    {CPU_VMCB_PREEMPT, "preemption timer"},
    {CPU_VMCB_NESTED_ENABLE, "nested enable"},
    {CPU_VMCB_NESTED_LEVELS, "nested levels"},
    {CPU_VMCB_NESTED_ROOT, "nested root (hpa)"},
    {CPU_VMCB_VIP, "virtual irq pending"},
    {CPU_VMCB_GUEST + CPU_VMCB_PC, "guest pc"},
    {CPU_VMCB_GUEST + CPU_VMCB_FLAGS, "guest flags"},
    {CPU_VMCB_GUEST + CPU_VMCB_R(14), "guest sp"},
    {CPU_VMCB_GUEST + CPU_VMCB_CSR(CPU_CSR_PTROOT), "guest ptroot"},
    {CPU_VMCB_HOST + CPU_VMCB_PC, "host pc"},
    {CPU_VMCB_EXIT_QUAL, "exit qualification"}, /* the last exit's information */
    {CPU_VMCB_EXIT_GVA, "exit gva"},
    {CPU_VMCB_EXIT_GPA, "exit gpa"},
};

/* info vmcb [VM [VCPU]]: the focus VM's (or the one on the focus pCPU) VCPU 0 by default. */
int ui_repl_info_vmcb(ui_repl_t *r, int argc, char **argv)
{
    const char *usage = "info vmcb [VM [VCPU]]";
    if (no_vms(r))
        return 0;
    int vm = ui_dbg_focus_vm(r->dbg), vcpu = 0;
    if (vm < 0)
        vm = ui_dbg_pcpu_vm(r->dbg, ui_dbg_focus(r->dbg), &vcpu);
    if (vcpu < 0)
        vcpu = 0;
    if (argc >= 2 && (vm = ui_dbg_vm_by_name(r->dbg, argv[1])) < 0)
        return ui_repl_error(r, usage, "%s", ui_dbg_error(r->dbg));
    if (argc >= 3)
        vcpu = atoi(argv[2][0] == 'v' ? argv[2] + 4 : argv[2]);
    if (vm < 0)
        return ui_repl_error(r, usage, "Which VM? The focus is the hypervisor: give one (\"info "
                             "vms\" lists them) or \"focus VM\" first.");
    ui_dbg_vm_t info;
    ui_dbg_vcpu_t v;
    if (ui_dbg_vm_info(r->dbg, (unsigned)vm, &info) != 0 ||
        ui_dbg_vcpu_info(r->dbg, (unsigned)vm, (unsigned)vcpu, &v) != 0)
        return ui_repl_error(r, usage, "%s", ui_dbg_error(r->dbg));
    uint32_t w, controls = 0, reason = 0, insn = 0;
    ui_dbg_vmcb_read(r->dbg, vm, (unsigned)vcpu, CPU_VMCB_CONTROLS, &controls);
    ui_dbg_vmcb_read(r->dbg, vm, (unsigned)vcpu, CPU_VMCB_EXIT_REASON, &reason);
    ui_dbg_vmcb_read(r->dbg, vm, (unsigned)vcpu, CPU_VMCB_EXIT_INSN, &insn);
    fprintf(r->out, "VMCB of %s vcpu%d at hpa 0x%08x%s\n", info.name, vcpu, v.vmcb,
            v.in_guest ? " (the guest runs: its state is live in pCPU registers)" : "");
    char on[160] = "";
    size_t used = 0;
    for (uint32_t bit = 1; bit && bit <= CPU_VMCTL_ALL; bit <<= 1)
        if ((controls & bit) && cpu_vm_control_name(bit) && used < sizeof on)
            used += (size_t)snprintf(on + used, sizeof on - used, "%s'%s'", used ? ", " : "",
                                     cpu_vm_control_name(bit));
    fprintf(r->out, "  %-30s 0x%08x  exit on: %s\n", "[0x010] controls", controls,
            used ? on : "nothing");
    char label[48], sym[96];
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (ui_dbg_vmcb_read(r->dbg, vm, (unsigned)vcpu, fields[i].off, &w) != 0)
            return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
        snprintf(label, sizeof label, "[0x%03x] %s", fields[i].off, fields[i].name);
        bool code = fields[i].off == CPU_VMCB_GUEST + CPU_VMCB_PC;
        bool root = fields[i].off == CPU_VMCB_GUEST + CPU_VMCB_CSR(CPU_CSR_PTROOT);
        if (root && v.shadow)
            snprintf(sym, sizeof sym, "  the shadow's root; the guest's own ptroot is 0x%08x",
                     v.guest_ptroot);
        fprintf(r->out, "  %-30s 0x%08x%s\n", label, w,
                code               ? ui_dbg_symbolize(r->dbg, w, sym, sizeof sym)
                : root && v.shadow ? sym
                                   : "");
    }
    fprintf(r->out, "  %-30s %u = %s, because %s\n", "[0x300] exit reason", reason,
            cpu_exit_reason_name(reason), ui_dbg_vmcb_exit_why(r->dbg, vm, vcpu, reason));
    if (insn) {
        char text[96];
        cpu_disasm(insn, 0, NULL, 0, text, sizeof text);
        fprintf(r->out, "  %-30s 0x%08x  `%s`\n", "[0x314] exit instruction", insn, text);
    }
    return 0;
}
