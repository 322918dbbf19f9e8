/*
 * debug_vm.c - the debugger over the hypervisor: VM and VCPU lists, the VMCB of a VCPU,
 * VM-exit breakpoints and their stop sentence, the focus VM (its symbols and address space),
 * guest-physical and guest-virtual addresses of a VM that is not loaded on the focus CPU,
 * pausing VMs, moving a balloon's target and the scheduling policy.
 *
 * The debugger reads the hypervisor only through hv.h (hv_of_machine and its plain data); on a
 * bare-metal machine every function here answers UI_DBG_NO_VMS.
 */
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv.h"
#include "../../hypervisor/hv_host.h"
#include "../../hypervisor/hv_scenario.h"
#include "debug_internal.h"

static hv_t *hv_of(const ui_dbg_t *d)
{
    return hv_of_machine(d->m);
}

static bool vm_ok(const hv_t *hv, int vm)
{
    return hv && vm >= 0 && vm < HV_MAX_VMS && (unsigned)vm < hv->nvms && hv->vms[vm].used;
}

int dbg_check_vm(ui_dbg_t *d, int vm)
{
    hv_t *hv = hv_of(d);
    if (!hv)
        return dbg_fail(d, "%s", UI_DBG_NO_VMS);
    if (!vm_ok(hv, vm))
        return dbg_fail(d, "There is no VM %d (\"info vms\" lists them).", vm);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Symbols per VM: table 0 is the machine's (bare metal or the hypervisor), table i + 1 VM i's.
 * d->syms points at the one the focus uses: its VM's when it has any, else table 0.
 * ------------------------------------------------------------------------------------------ */
static void select_symbols(ui_dbg_t *d)
{
    unsigned t = d->focus_vm >= 0 && d->tab_n[d->focus_vm + 1] ? (unsigned)d->focus_vm + 1 : 0;
    d->syms = d->tab[t];
    d->nsyms = d->tab_n[t];
}

int dbg_store_symbols(ui_dbg_t *d, unsigned table, const cpu_symbol_t *syms, size_t n)
{
    cpu_symbol_t *copy = n ? calloc(n, sizeof *copy) : NULL;
    if (n && !copy)
        return dbg_fail(d, "out of memory for %zu symbols", n);
    for (size_t i = 0; i < n; i++) {
        copy[i].addr = syms[i].addr;
        copy[i].name = strdup(syms[i].name);
        if (!copy[i].name) {
            cpu_syms_free(copy, i);
            return dbg_fail(d, "out of memory for %zu symbols", n);
        }
    }
    cpu_syms_sort(copy, n);
    cpu_syms_free(d->tab[table], d->tab_n[table]);
    d->tab[table] = copy;
    d->tab_n[table] = n;
    select_symbols(d);
    return 0;
}

void dbg_free_symbols(ui_dbg_t *d)
{
    for (unsigned t = 0; t <= UI_DBG_MAX_VMS; t++)
        cpu_syms_free(d->tab[t], d->tab_n[t]);
}

int ui_dbg_set_vm_symbols(ui_dbg_t *dbg, int vm, const cpu_symbol_t *syms, size_t n)
{
    if (vm < 0 || vm >= UI_DBG_MAX_VMS)
        return dbg_fail(dbg, "There is no VM %d.", vm);
    return dbg_store_symbols(dbg, (unsigned)vm + 1, syms, n);
}

/* "sched+0x1c" (no address) in VM vm's symbols, or "0x00401a2c" when none is near. */
static void vm_symbolize(const ui_dbg_t *d, int vm, uint32_t addr, char *buf, size_t len)
{
    unsigned t = vm >= 0 && vm < UI_DBG_MAX_VMS && d->tab_n[vm + 1] ? (unsigned)vm + 1 : 0;
    uint32_t off;
    const cpu_symbol_t *s = cpu_syms_lookup(d->tab[t], d->tab_n[t], addr, &off);
    if (!s || off >= 0x10000u)
        snprintf(buf, len, "0x%08x", addr);
    else if (off)
        snprintf(buf, len, "%s+0x%x", s->name, off);
    else
        snprintf(buf, len, "%s", s->name);
}

const char *ui_dbg_symbolize_vm(const ui_dbg_t *dbg, int vm, uint32_t addr, char *buf, size_t len)
{
    char name[96];
    vm_symbolize(dbg, vm, addr, name, sizeof name);
    if (name[0] == '0' && name[1] == 'x') /* no symbol near */
        snprintf(buf, len, "%s", "");
    else
        snprintf(buf, len, " <%s>", name);
    return buf;
}

/* ------------------------------------------------------------------------------------------
 * Lists
 * ------------------------------------------------------------------------------------------ */
unsigned ui_dbg_vm_count(const ui_dbg_t *dbg)
{
    hv_t *hv = hv_of(dbg);
    return hv ? hv->nvms : 0;
}

int ui_dbg_vm_of_vmid(const ui_dbg_t *dbg, unsigned vmid)
{
    const hv_t *hv = hv_of(dbg);
    for (unsigned i = 0; hv && vmid && i < HV_MAX_VMS; i++)
        if (hv->vms[i].used && hv->vms[i].vmid == vmid)
            return (int)i;
    return -1;
}

bool ui_dbg_describe_mark(const ui_dbg_t *dbg, const sim_event_t *ev, char *buf, size_t len)
{
    const hv_t *hv = hv_of(dbg);
    if (!hv || ev->kind != SIM_EV_HV || ev->a != SIM_HV_MARK)
        return false;
    const char *vm = ev->vm >= 0 && ev->vm < HV_MAX_VMS ? hv->vms[ev->vm].name : "?";
    snprintf(buf, len, "%s vcpu%d marked \"%s\" (value %u) on pCPU%u", vm, ev->vcpu,
             hv_mark_name(hv, ev->b), hv_mark_value(ev->b), ev->cpu);
    return true;
}

void ui_dbg_print_vm_stats(const ui_dbg_t *dbg, FILE *out)
{
    const hv_t *hv = hv_of(dbg);
    if (hv)
        hv_print_stats(hv, out);
}

bool ui_dbg_host_kernel(const ui_dbg_t *dbg)
{
    const hv_t *hv = hv_of(dbg);
    return hv && hv->cfg.type == HV_TYPE2;
}

const char *ui_dbg_time_name(const ui_dbg_t *dbg, sim_time_t kind)
{
    const hv_t *hv = hv_of(dbg);
    return hv ? hv_time_name(hv, kind) : sim_time_name(kind);
}

bool ui_dbg_has_hypervisor(const ui_dbg_t *dbg)
{
    return hv_of(dbg) != NULL;
}

int ui_dbg_vm_by_name(ui_dbg_t *dbg, const char *name)
{
    hv_t *hv = hv_of(dbg);
    if (!hv)
        return dbg_fail(dbg, "%s", UI_DBG_NO_VMS);
    char *end;
    long n = strtol(name, &end, 0);
    if (*name && !*end && vm_ok(hv, (int)n))
        return (int)n;
    int vm = hv_vm_by_name(hv, name);
    if (vm < 0)
        return dbg_fail(dbg, "There is no VM called \"%s\" (\"info vms\" lists them).", name);
    return vm;
}

int ui_dbg_vm_info(ui_dbg_t *dbg, unsigned vm, ui_dbg_vm_t *out)
{
    if (dbg_check_vm(dbg, (int)vm) != 0)
        return -1;
    const hv_t *hv = hv_of(dbg);
    const hv_vm_t *v = &hv->vms[vm];
    memset(out, 0, sizeof *out);
    out->id = (int)vm;
    snprintf(out->name, sizeof out->name, "%s", v->name);
    out->state = hv_vm_state_name(v->state);
    if (v->state == HV_VM_RUNNING) { /* every VCPU waiting for an interrupt: halted */
        bool all_blocked = v->nvcpus > 0;
        for (unsigned i = 0; i < v->nvcpus; i++)
            all_blocked &= hv->ent[v->vcpu[i]].state == HV_VCPU_BLOCKED;
        if (all_blocked)
            out->state = "halted";
    }
    out->vcpus = v->nvcpus;
    out->memory = v->memory;
    out->frames = v->frames;
    out->cpu = hv_cpu_technique_name(v->cpu);
    out->mem = hv_mem_technique_name(v->mem);
    for (unsigned r = 0; r < CPU_EXIT_COUNT; r++)
        out->exits += v->stats.exits[r];
    sim_account_vm(dbg->m, vm, out->time);
    for (unsigned r = 0; r < CPU_EXIT_COUNT; r++)
        out->cycles_exit += v->stats.exit_cycles[r];
    out->why = v->state == HV_VM_CRASHED ? v->why : "";
    out->exit_code = v->exit_code;
    out->resident_max = v->resident_max * MMU_PAGE_SIZE;
    out->swapped = v->swapped;
    out->shared = v->shared;
    out->balloon = v->ballooned;
    out->reservation = v->reserved * MMU_PAGE_SIZE;
    out->reserve_spared = v->stats.reserve_spared;
    out->guest_swap_slots = v->guest_swap_slots;
    out->guest_swap_outs = v->stats.guest_swap_outs;
    out->guest_swap_ins = v->stats.guest_swap_ins;
    out->double_paged = v->stats.double_paged;
    out->double_paged_ops = v->stats.double_paged_ops;
    out->double_paged_cycles = v->stats.double_paged_cycles;
    return 0;
}

int ui_dbg_balloon(ui_dbg_t *dbg, int vm, const char *size)
{
    uint64_t bytes;
    char err[200];
    if (dbg_check_vm(dbg, vm) != 0)
        return -1;
    if (!hv_scenario_parse_size(size, &bytes) || bytes > UINT32_MAX)
        return dbg_fail(dbg, "\"%s\" is not a size: give bytes, or K or M (2M, 512K, 0).", size);
    if (hv_balloon_set_target(hv_of(dbg), (unsigned)vm, (uint32_t)bytes, err, sizeof err) != 0)
        return dbg_fail(dbg, "No new target: %s.", err);
    return 0;
}

int ui_dbg_host_memory(ui_dbg_t *dbg, ui_dbg_host_memory_t *out)
{
    const hv_t *hv = hv_of(dbg);
    memset(out, 0, sizeof *out);
    if (!hv)
        return dbg_fail(dbg, "No hypervisor: this machine runs a program on its own.");
    out->pool = (hv->nframes - HV_RESERVED_BYTES / MMU_PAGE_SIZE) * MMU_PAGE_SIZE;
    out->host_memory = hv->cfg.host_memory;
    for (unsigned i = 0; i < HV_MAX_VMS; i++) {
        out->held += hv->vms[i].used ? hv->vms[i].frames * MMU_PAGE_SIZE : 0;
        out->ballooned += hv->vms[i].used ? hv->vms[i].ballooned : 0;
    }
    out->shared_frames = hv->share.live;
    out->swap_slots = hv->swap_slots;
    out->swap_used = hv->swap_used;
    out->sharing = hv->cfg.sharing;
    out->hosts = hv->cfg.hosts > 1 ? 2 : 1;
    for (unsigned h = 0; h < out->hosts; h++) {
        hv_host_frames(hv, h, &out->host_first[h], &out->host_end[h]);
        out->host_free[h] = hv_host_free_frames(hv, h);
    }
    return 0;
}

cpu_mode_t dbg_virtual_mode(const ui_dbg_t *d, int vm, int vcpu, cpu_mode_t real)
{
    const hv_t *hv = hv_of(d);
    if (!hv || vm < 0 || vcpu < 0 || (unsigned)vm >= hv->nvms || !hv->vms[vm].used ||
        (unsigned)vcpu >= hv->vms[vm].nvcpus || real == CPU_MODE_H)
        return real;
    if (hv->vms[vm].cpu != HV_CPU_TRAP && hv->vms[vm].cpu != HV_CPU_BT)
        return real; /* not deprivileged: the CPU's mode is the guest's */
    uint32_t vflags = hv_trap_virtual_flags(hv, (unsigned)vm, (unsigned)vcpu);
    return (cpu_mode_t)((vflags & CPU_FLAG_MODE_MASK) >> CPU_FLAG_MODE_SHIFT);
}

int ui_dbg_vcpu_info(ui_dbg_t *dbg, unsigned vm, unsigned vcpu, ui_dbg_vcpu_t *out)
{
    if (dbg_check_vm(dbg, (int)vm) != 0)
        return -1;
    const hv_t *hv = hv_of(dbg);
    const hv_vm_t *v = &hv->vms[vm];
    if (vcpu >= v->nvcpus)
        return dbg_fail(dbg, "%s has %u VCPU%s: there is no vcpu%u.", v->name, v->nvcpus,
                        v->nvcpus == 1 ? "" : "s", vcpu);
    const hv_vcpu_t *e = &hv->ent[v->vcpu[vcpu]];
    memset(out, 0, sizeof *out);
    out->vm = (int)vm;
    out->index = vcpu;
    out->state = hv_vcpu_state_name(e->state);
    out->pcpu = e->on_cpu;
    out->pin = e->pin;
    out->vmcb = e->vmcb;
    out->slices = e->slices;
    const cpu_t *cpu = e->on_cpu >= 0 ? &dbg->m->cpu[e->on_cpu] : NULL;
    if (cpu && cpu_in_guest(cpu) && cpu->s.vm.vmcb == e->vmcb) { /* live on its pCPU */
        out->pc = cpu->s.pc;
        out->mode = cpu_mode(cpu);
        out->in_guest = true;
    } else {
        const cpu_t *any = &dbg->m->cpu[0];
        out->pc = cpu_vmcb_peek(any, e->vmcb, CPU_VMCB_GUEST + CPU_VMCB_PC);
        uint32_t flags = cpu_vmcb_peek(any, e->vmcb, CPU_VMCB_GUEST + CPU_VMCB_FLAGS);
        out->mode = (cpu_mode_t)((flags & CPU_FLAG_MODE_MASK) >> CPU_FLAG_MODE_SHIFT);
    }
    out->guest_mode = dbg_virtual_mode(dbg, (int)vm, (int)vcpu, out->mode);
    out->shadow = v->mem == HV_MEM_SHADOW;
    out->guest_ptroot = out->shadow ? hv_shadow_guest_ptroot(hv, vm, vcpu)
                                    : cpu_vmcb_peek(&dbg->m->cpu[0], e->vmcb,
                                                    CPU_VMCB_GUEST + CPU_VMCB_CSR(CPU_CSR_PTROOT));
    return 0;
}

int ui_dbg_vmcb_read(ui_dbg_t *dbg, int vm, unsigned vcpu, uint32_t offset, uint32_t *value)
{
    ui_dbg_vcpu_t info;
    if (ui_dbg_vcpu_info(dbg, (unsigned)vm, vcpu, &info) != 0)
        return -1;
    if (offset >= CPU_VMCB_SIZE || (offset & 3))
        return dbg_fail(dbg, "0x%03x is not a word of the VMCB (0x000..0x%03x).", offset,
                        CPU_VMCB_SIZE - 4);
    *value = cpu_vmcb_peek(&dbg->m->cpu[0], info.vmcb, offset);
    return 0;
}

bool ui_dbg_translated_from(const ui_dbg_t *dbg, uint32_t addr, char *buf, size_t len)
{
    int vcpu, vm = ui_dbg_pcpu_vm(dbg, ui_dbg_focus(dbg), &vcpu);
    uint32_t gpc;
    if (vm < 0 || vcpu < 0 || !hv_bt_guest_pc(hv_of(dbg), (unsigned)vm, (unsigned)vcpu, addr, &gpc))
        return false;
    vm_symbolize(dbg, vm, gpc, buf, len);
    return true;
}

int ui_dbg_pcpu_vm(const ui_dbg_t *dbg, unsigned cpu, int *vcpu)
{
    hv_t *hv = hv_of(dbg);
    if (vcpu)
        *vcpu = -1;
    if (!hv || cpu >= dbg->m->ncpus)
        return -1;
    int vm = hv_pcpu_vm(hv, cpu);
    if (vm >= 0 && vcpu)
        *vcpu = hv_pcpu_vcpu(hv, cpu);
    return vm;
}

bool ui_dbg_pcpu_exit_pending(const ui_dbg_t *dbg, unsigned cpu)
{
    hv_t *hv = hv_of(dbg);
    return hv && cpu < dbg->m->ncpus && hv->pcpu[cpu].exit_pending;
}

const char *ui_dbg_vm_console(const ui_dbg_t *dbg, unsigned vm)
{
    hv_t *hv = hv_of(dbg);
    return vm_ok(hv, (int)vm) ? hv_vm_console(hv, vm) : "";
}

int ui_dbg_frame_owner(const ui_dbg_t *dbg, uint32_t frame)
{
    hv_t *hv = hv_of(dbg);
    if (!hv || frame >= hv->nframes)
        return UI_DBG_OWNER_NONE;
    uint8_t o = hv->owner[frame];
    if (o == HV_FRAME_FREE)
        return UI_DBG_OWNER_NONE;
    if (o == HV_FRAME_HV)
        return UI_DBG_OWNER_HV;
    if (o == HV_FRAME_SHARED)
        return UI_DBG_OWNER_SHARED;
    return o - HV_FRAME_VM(0);
}

/* ------------------------------------------------------------------------------------------
 * Focus
 * ------------------------------------------------------------------------------------------ */
int ui_dbg_focus_vm(const ui_dbg_t *dbg)
{
    return dbg->focus_vm;
}

int ui_dbg_set_focus_vm(ui_dbg_t *dbg, int vm)
{
    if (vm < 0) {
        if (!hv_of(dbg))
            return dbg_fail(dbg, "%s", UI_DBG_NO_VMS);
        dbg->focus_vm = -1;
        select_symbols(dbg);
        return 0;
    }
    if (dbg_check_vm(dbg, vm) != 0)
        return -1;
    dbg->focus_vm = vm;
    /* The focus CPU follows the VM when one of its VCPUs is loaded somewhere. */
    for (unsigned c = 0; c < dbg->m->ncpus; c++)
        if (hv_pcpu_vm(hv_of(dbg), c) == vm) {
            dbg->focus = c;
            break;
        }
    select_symbols(dbg);
    return 0;
}

void dbg_focus_follow_cpu(ui_dbg_t *d)
{
    hv_t *hv = hv_of(d);
    const cpu_t *cpu = &d->m->cpu[d->focus];
    if (hv && cpu_in_guest(cpu) && vm_ok(hv, cpu->s.vm.vm_label) &&
        d->focus_vm != cpu->s.vm.vm_label) {
        d->focus_vm = cpu->s.vm.vm_label;
        select_symbols(d);
    }
}

void dbg_focus_after_stop(ui_dbg_t *d, const ui_dbg_stop_t *st)
{
    hv_t *hv = hv_of(d);
    if (!hv)
        return;
    const cpu_t *cpu = &d->m->cpu[st->cpu];
    if (st->has_event && st->ev.kind == SIM_EV_VMEXIT && vm_ok(hv, st->ev.vm))
        d->focus_vm = st->ev.vm;
    else if (cpu_in_guest(cpu) && vm_ok(hv, cpu->s.vm.vm_label))
        d->focus_vm = cpu->s.vm.vm_label;
    select_symbols(d);
}

/* ------------------------------------------------------------------------------------------
 * Addresses of the focus VM
 * ------------------------------------------------------------------------------------------ */
/* The VM whose gpa and gva the focus uses, or -1: the focus VM, else the VM loaded on the
 * focus CPU while it is in guest mode. */
int dbg_space_vm(const ui_dbg_t *d)
{
    hv_t *hv = hv_of(d);
    if (!hv)
        return -1;
    if (vm_ok(hv, d->use_vm)) /* a command about another VM's address (ui_dbg_use_vm) */
        return d->use_vm;
    if (vm_ok(hv, d->focus_vm))
        return d->focus_vm;
    const cpu_t *cpu = &d->m->cpu[d->focus];
    return cpu_in_guest(cpu) && vm_ok(hv, cpu->s.vm.vm_label) ? cpu->s.vm.vm_label : -1;
}

/* The focus CPU when it runs VM vm now, else NULL. */
static const cpu_t *live_cpu(const ui_dbg_t *d, int vm)
{
    const cpu_t *cpu = &d->m->cpu[d->focus];
    return cpu_in_guest(cpu) && cpu->s.vm.vm_label == vm ? cpu : NULL;
}

/* An MMU as VM vm has it: a pCPU's running its guest, else VCPU 0's from its VMCB (its
 * page-table root and nested tables as the last exit saved them).
 * The TLB and page-walk cache in the copy are not used by mmu_translate_probe. */
static void vm_mmu(const ui_dbg_t *d, int vm, mmu_t *out, mmu_priv_t *priv)
{
    const hv_t *hv = hv_of(d);
    const cpu_t *any = &d->m->cpu[0];
    /* A pCPU running the VM's guest now has the live state: its MMU as it is. */
    for (unsigned c = 0; c < d->m->ncpus; c++) {
        const cpu_t *cpu = &d->m->cpu[c];
        if (cpu_in_guest(cpu) && cpu->s.vm.vm_label == vm) {
            *out = cpu->mmu;
            *priv = cpu_mode(cpu) == CPU_MODE_U ? MMU_PRIV_USER : MMU_PRIV_KERNEL;
            return;
        }
    }
    uint32_t vmcb = hv->ent[hv->vms[vm].vcpu[0]].vmcb;
    *out = d->m->cpu[d->focus].mmu;
    mmu_nested_t nested = {.enabled = cpu_vmcb_peek(any, vmcb, CPU_VMCB_NESTED_ENABLE) != 0,
                           .levels = (uint8_t)cpu_vmcb_peek(any, vmcb, CPU_VMCB_NESTED_LEVELS),
                           .vmid = (uint16_t)cpu_vmcb_peek(any, vmcb, CPU_VMCB_VMID),
                           .root_pfn =
                               cpu_vmcb_peek(any, vmcb, CPU_VMCB_NESTED_ROOT) >> MMU_PAGE_SHIFT};
    mmu_set_nested(out, &nested);
    mmu_set_ptroot(out, cpu_vmcb_peek(any, vmcb, CPU_VMCB_GUEST + CPU_VMCB_CSR(CPU_CSR_PTROOT)));
    uint32_t flags = cpu_vmcb_peek(any, vmcb, CPU_VMCB_GUEST + CPU_VMCB_FLAGS);
    cpu_mode_t mode = (cpu_mode_t)((flags & CPU_FLAG_MODE_MASK) >> CPU_FLAG_MODE_SHIFT);
    *priv = mode == CPU_MODE_U ? MMU_PRIV_USER : MMU_PRIV_KERNEL;
}

int dbg_vm_translate(ui_dbg_t *d, int vm, ui_dbg_space_t space, uint32_t addr, mmu_access_t kind,
                     mmu_result_t *res, mmu_trace_t *trace)
{
    static mmu_t view; /* large (the TLB): kept off the stack */
    mmu_priv_t priv;
    vm_mmu(d, vm, &view, &priv);
    if (space == UI_DBG_SPACE_GVA) {
        *res = mmu_translate_probe(&view, d->m, addr, kind, priv, trace);
        return 0;
    }
    /* gpa: the hypervisor's nested tables alone, which map every VM's guest-physical memory
     * whatever its technique (a shadow-paging VM's pCPU has nested translation off). */
    memset(res, 0, sizeof *res);
    if (trace)
        memset(trace, 0, sizeof *trace);
    dbg_walk_nested(d, hv_of(d)->vms[vm].nested_root >> MMU_PAGE_SHIFT,
                    d->m->mmu_config.nested_levels, addr, kind, res, trace);
    return 0;
}

/* Shadow paging: the real page tables are the hypervisor's shadow, filled on demand (and
 * binary translation's code is only there). A gva the shadow lacks is translated as the guest
 * sees it: its own tables, then the hypervisor's gpa -> hpa map (the VM's nested tables,
 * walked in software by the hypervisor). Returns true when that was done. */
static bool shadow_translate(ui_dbg_t *d, int vm, uint32_t addr, mmu_access_t kind,
                             mmu_result_t *res, mmu_trace_t *trace)
{
    static mmu_t view; /* large (the TLB): kept off the stack */
    const hv_t *hv = hv_of(d);
    const cpu_t *live = live_cpu(d, vm);
    mmu_priv_t priv;
    vm_mmu(d, vm, &view, &priv);
    *res = mmu_translate_probe(live ? &live->mmu : &view, d->m, addr, kind, priv, trace);
    if (res->status == MMU_OK ||
        (res->status == MMU_PAGE_FAULT && res->reason == MMU_OUTCOME_PERMISSION))
        return true; /* the shadow has it (an execute-only page answers a fetch) */
    mmu_nested_t p2m = {.enabled = true,
                        .levels = (uint8_t)d->m->mmu_config.nested_levels,
                        .vmid = hv->vms[vm].vmid,
                        .root_pfn = hv->vms[vm].nested_root >> MMU_PAGE_SHIFT};
    mmu_set_nested(&view, &p2m);
    mmu_set_ptroot(&view, hv_shadow_guest_ptroot(hv, (unsigned)vm, 0));
    *res = mmu_translate_probe(&view, d->m, addr, kind, priv, trace);
    return true;
}

/* ui_dbg_translate's part for a machine with a hypervisor: 1 when it did not apply (the
 * caller goes on as on bare metal), 0 or -1 when it did. */
int dbg_translate_hv(ui_dbg_t *d, ui_dbg_space_t space, uint32_t addr, mmu_access_t kind,
                     mmu_result_t *res, mmu_trace_t *trace)
{
    if (!hv_of(d) || space == UI_DBG_SPACE_HPA)
        return 1;
    int vm = dbg_space_vm(d);
    if (vm < 0) {
        if (space == UI_DBG_SPACE_GPA)
            return dbg_fail(d,
                            "gpa 0x%08x: whose guest-physical memory? The focus is the "
                            "hypervisor; \"focus VM\" chooses a VM first.",
                            addr);
        return 1; /* the hypervisor's own virtual addresses, if it pages */
    }
    if (space == UI_DBG_SPACE_GVA && hv_of(d)->vms[vm].mem == HV_MEM_SHADOW &&
        shadow_translate(d, vm, addr, kind, res, trace))
        return 0;
    if (space == UI_DBG_SPACE_GVA && live_cpu(d, vm))
        return 1; /* the focus CPU runs this VM now: its own MMU state is the truth */
    return dbg_vm_translate(d, vm, space, addr, kind, res, trace);
}

/* ------------------------------------------------------------------------------------------
 * VM exits: breakpoints and the stop sentence
 * ------------------------------------------------------------------------------------------ */
int ui_dbg_break_exit(ui_dbg_t *dbg, const char *reason, int vm)
{
    hv_t *hv = hv_of(dbg);
    if (!hv)
        return dbg_fail(dbg, "%s", UI_DBG_NO_VMS " There are no VM exits to break on.");
    uint32_t cause = UI_DBG_CAUSE_ANY;
    if (strcmp(reason, "any") != 0) {
        int r = cpu_exit_reason_by_name(reason);
        if (r < 0)
            return dbg_fail(dbg,
                            "There is no exit reason called \"%s\" (IO_PORT, CPUID, HLT, "
                            "NESTED_FAULT, ... or any).",
                            reason);
        cause = (uint32_t)r;
    }
    if (vm != UI_DBG_ANY_VM && dbg_check_vm(dbg, vm) != 0)
        return -1;
    ui_dbg_bp_t *bp = dbg_add_bp(dbg, UI_DBG_BP_EXIT);
    if (!bp)
        return -1;
    bp->cause = cause;
    bp->vm = vm;
    return bp->id;
}

bool dbg_exit_bp_matches(const ui_dbg_bp_t *bp, const sim_event_t *ev)
{
    return ev->kind == SIM_EV_VMEXIT && (bp->cause == UI_DBG_CAUSE_ANY || bp->cause == ev->a) &&
           (bp->vm == UI_DBG_ANY_VM || bp->vm == ev->vm);
}

const char *dbg_vm_name(const ui_dbg_t *d, int vm)
{
    hv_t *hv = hv_of(d);
    return vm_ok(hv, vm) ? hv->vms[vm].name : "a VM since gone";
}

void dbg_describe_exit_bp(const ui_dbg_t *d, const ui_dbg_bp_t *bp, char *buf, size_t len)
{
    const char *reason =
        bp->cause == UI_DBG_CAUSE_ANY ? "(any reason)" : cpu_exit_reason_name(bp->cause);
    if (bp->vm == UI_DBG_ANY_VM)
        snprintf(buf, len, "VM exit %s in any VM", reason);
    else
        snprintf(buf, len, "VM exit %s in %s", reason, dbg_vm_name(d, bp->vm));
}

/* "Stopped at cycle 1 284 512 on pCPU0: VM exit IO_PORT in tinyos (vcpu0), because the exit
 * control 'port I/O' is set; the guest ran `out 0x1f0, r3` at sched+0x1c." */
void dbg_text_vmexit(ui_dbg_t *d, ui_dbg_stop_t *st)
{
    hv_t *hv = hv_of(d);
    char what[200], cyc[32], where[160], insn[96] = "";
    d->exit_vm = st->ev.vm; /* the exit `finish` and the sub-steps are about */
    d->exit_vcpu = st->ev.vcpu;
    if (hv)
        hv_describe_exit(hv, &st->ev, what, sizeof what);
    else
        snprintf(what, sizeof what, "VM exit %s, because %s", cpu_exit_reason_name(st->ev.a),
                 cpu_exit_reason_why(st->ev.a));
    const cpu_t *cpu = &d->m->cpu[st->cpu];
    uint32_t word = cpu->s.vm.exit_insn;
    uint32_t gpc, at = dbg_exit_guest_pc(d, &st->ev);
    if (st->ev.a == CPU_EXIT_ENTRY_FAILED)
        word = 0; /* no instruction ran: the entry itself failed */
    at = dbg_trap_insn_pc(&st->ev, at); /* a callout's brk: the pc is past it */
    vm_symbolize(d, st->ev.vm, at, where, sizeof where);
    if (hv && st->ev.vm >= 0 && st->ev.vcpu >= 0 &&
        hv_bt_guest_pc(hv, (unsigned)st->ev.vm, (unsigned)st->ev.vcpu, at, &gpc)) {
        char sym[64]; /* binary translation: the TC address, and the guest code it stands for */
        vm_symbolize(d, st->ev.vm, gpc, sym, sizeof sym);
        size_t n = strlen(where);
        snprintf(where + n, sizeof where - n, " (translated from %s)", sym);
    }
    if (word) {
        unsigned t = st->ev.vm >= 0 && st->ev.vm < UI_DBG_MAX_VMS ? (unsigned)st->ev.vm + 1 : 0;
        if (!d->tab_n[t])
            t = 0;
        cpu_disasm(word, st->ev.pc, d->tab[t], d->tab_n[t], insn, sizeof insn);
    } else if (st->ev.a == CPU_EXIT_EXCEPTION && dbg_space_vm(d) == st->ev.vm &&
               !ui_dbg_disasm(d, UI_DBG_SPACE_GVA, at, insn, sizeof insn)) {
        insn[0] = '\0'; /* a trap's exit records no instruction: read it where the guest ran */
    }
    char full[512]; /* room for every part; st->text keeps what fits */
    if (insn[0])
        snprintf(full, sizeof full, "Stopped at cycle %s on pCPU%u: %s; the guest %s `%s` at %s.",
                 sim_group_digits(st->ev.cycle, cyc, sizeof cyc), st->cpu, what,
                 ui_dbg_insn_verb(&st->ev), insn, where);
    else
        snprintf(full, sizeof full, "Stopped at cycle %s on pCPU%u: %s; the guest was at %s.",
                 sim_group_digits(st->ev.cycle, cyc, sizeof cyc), st->cpu, what, where);
    size_t n = strlen(full);
    if (n >= sizeof st->text)
        n = sizeof st->text - 1;
    memcpy(st->text, full, n);
    st->text[n] = '\0';
}

int ui_dbg_step_exit(ui_dbg_t *dbg, ui_dbg_stop_t *stop)
{
    if (!hv_of(dbg))
        return dbg_fail(dbg, "%s", UI_DBG_NO_VMS " There are no VM exits to step to.");
    return dbg_go(dbg, DBG_GO_EXIT, stop);
}

/* ------------------------------------------------------------------------------------------
 * Control: pause, resume, scheduling policy
 * ------------------------------------------------------------------------------------------ */
int ui_dbg_vm_pause(ui_dbg_t *dbg, int vm, bool pause)
{
    if (dbg_check_vm(dbg, vm) != 0)
        return -1;
    hv_t *hv = hv_of(dbg);
    const hv_vm_t *v = &hv->vms[vm];
    if (pause ? v->state != HV_VM_RUNNING : v->state != HV_VM_PAUSED)
        return dbg_fail(dbg, "%s is %s: only a %s VM can be %s.", v->name,
                        hv_vm_state_name(v->state), pause ? "running" : "paused",
                        pause ? "paused" : "resumed");
    if ((pause ? hv_vm_pause(hv, (unsigned)vm) : hv_vm_resume(hv, (unsigned)vm)) != 0)
        return dbg_fail(dbg, "The hypervisor could not %s %s.", pause ? "pause" : "resume",
                        v->name);
    return 0;
}

int ui_dbg_sched_policy(ui_dbg_t *dbg, const char *policy)
{
    hv_t *hv = hv_of(dbg);
    if (!hv)
        return dbg_fail(dbg, "%s", UI_DBG_NO_VMS " There are no VCPUs to schedule.");
    if (strcmp(policy, "overcommit") == 0) {
        hv->cfg.sched = HV_SCHED_OVERCOMMIT;
        for (unsigned e = 0; e < hv->nent; e++)
            if (hv->ent[e].used && !hv->ent[e].host_process)
                hv->ent[e].pin = -1;
        return 0;
    }
    if (strcmp(policy, "pin") != 0)
        return dbg_fail(dbg, "There is no policy \"%s\": pin or overcommit.", policy);
    unsigned vcpus = 0;
    for (unsigned e = 0; e < hv->nent; e++)
        vcpus += hv->ent[e].used && !hv->ent[e].host_process;
    if (vcpus > dbg->m->ncpus)
        return dbg_fail(dbg,
                        "%u VCPUs cannot each have one of %u pCPUs: pinning needs a pCPU "
                        "per VCPU (overcommit shares them).",
                        vcpus, dbg->m->ncpus);
    /* Each VCPU keeps the pCPU it is on (or ran on last) when that one is still free. */
    bool taken[SIM_MAX_CPUS] = {false};
    int8_t pin[HV_MAX_ENTITIES];
    for (unsigned e = 0; e < hv->nent; e++) {
        const hv_vcpu_t *v = &hv->ent[e];
        int want = v->on_cpu >= 0 ? v->on_cpu : v->last_cpu;
        pin[e] = -1;
        if (v->used && !v->host_process && want >= 0 && !taken[want])
            taken[want] = true, pin[e] = (int8_t)want;
    }
    for (unsigned e = 0, c = 0; e < hv->nent; e++) {
        if (!hv->ent[e].used || hv->ent[e].host_process || pin[e] >= 0)
            continue;
        while (taken[c])
            c++;
        taken[c] = true;
        pin[e] = (int8_t)c;
    }
    for (unsigned e = 0; e < hv->nent; e++)
        if (hv->ent[e].used && !hv->ent[e].host_process)
            hv->ent[e].pin = pin[e];
    hv->cfg.sched = HV_SCHED_PIN;
    return 0;
}

const char *ui_dbg_sched_name(const ui_dbg_t *dbg)
{
    hv_t *hv = hv_of(dbg);
    return !hv ? "" : hv->cfg.sched == HV_SCHED_PIN ? "pin" : "overcommit";
}
