/*
 * debug_sentence.c - the sentence of every event that debug_text.c (traps, instructions,
 * interrupts) does not cover: each hypervisor action (hv_action events, with the cycles it
 * charged and the cost-table entries behind them), VM exits and entries, injections, walks,
 * TLB flushes, nested faults, DMA faults, disk and NIC events. These are what `info events`,
 * the REPL's stop reports, the window's TRANSITION panel and the timeline's markers print;
 * the one-line raw form (sim_event_format) stays for --trace. Names, not numbers: VMs by
 * name, ports and MMIO by the virtual device behind them, guest addresses with symbols.
 */
#include <string.h>

#include "../../hypervisor/hv.h"
#include "debug_internal.h"

/* "sched+0x1c" in the VM's symbols (or "0x00401a2c" when none is near). */
const char *dbg_guest_where(const ui_dbg_t *d, int vm, uint32_t addr, char *buf, size_t len)
{
    char sym[64];
    ui_dbg_symbolize_vm(d, vm, addr, sym, sizeof sym);
    if (sym[0])
        snprintf(buf, len, "0x%08x%s", addr, sym);
    else
        snprintf(buf, len, "0x%08x", addr);
    return buf;
}

bool dbg_code_where(const ui_dbg_t *d, const sim_event_t *ev, uint32_t pc, char *buf, size_t len)
{
    const hv_t *hv = hv_of_machine(d->m);
    uint32_t gpc;
    dbg_guest_where(d, ev->vm, pc, buf, len);
    if (!hv || ev->vm < 0 || ev->vcpu < 0 ||
        !hv_bt_guest_pc(hv, (unsigned)ev->vm, (unsigned)ev->vcpu, pc, &gpc))
        return false;
    char from[96];
    size_t n = strlen(buf);
    snprintf(buf + n, len - n, " (translated from %s)",
             dbg_guest_where(d, ev->vm, gpc, from, sizeof from));
    return true;
}

/* What raises interrupt line `line`; `physical`: a host line, where 13 is the kick. */
static const char *line_name(uint32_t line, bool physical)
{
    switch (line) {
    case CPU_IRQ_TIMER: return "the timer";
    case SIM_UART_IRQ: return "the console";
    case SIM_NIC_IRQ: return "the NIC";
    case SIM_DISK_IRQ: return "the disk";
    case HV_KICK_IRQ:
        return physical ? "the kick with which the hypervisor takes a pCPU back" : "a device";
    default: return "a device";
    }
}

void dbg_lines_text(uint32_t lines, char *buf, size_t len)
{
    unsigned total = 0, n = 0;
    for (unsigned l = 0; l < 32; l++)
        total += (lines >> l) & 1u;
    size_t used = 0;
    buf[0] = '\0';
    dbg_append(buf, len, &used, "%s", total == 0 ? "no line" : total == 1 ? "line" : "lines");
    for (unsigned l = 0; l < 32; l++)
        if (lines & (1u << l))
            dbg_append(buf, len, &used, "%s %u (%s)",
                       n++ == 0     ? ""
                       : n == total ? " and"
                                    : ",",
                       l, line_name(l, true));
}

/* "tinyos vcpu0", or "tinyos" when the event names no VCPU. */
const char *dbg_who(const ui_dbg_t *d, const sim_event_t *ev, char *buf, size_t len)
{
    if (ev->vm < 0)
        snprintf(buf, len, "the host");
    else if (ev->vcpu >= 0)
        snprintf(buf, len, "%s vcpu%d", dbg_vm_name(d, ev->vm), ev->vcpu);
    else
        snprintf(buf, len, "%s", dbg_vm_name(d, ev->vm));
    return buf;
}

/* " (460 cycles: hv_dispatch 60, hv_handler 40, 5 x hv_mem 2)": what an action charged. */
static void add_charge(const ui_dbg_t *d, const sim_event_t *ev, char *buf, size_t len,
                       size_t *used)
{
    char num[32];
    if (!ev->charged && !ev->cost_n[0])
        return;
    dbg_append(buf, len, used, " (%s cycle%s", sim_group_digits(ev->charged, num, sizeof num),
               ev->charged == 1 ? "" : "s");
    uint64_t explained = 0;
    for (unsigned i = 0; i < 4 && ev->cost_n[i]; i++) {
        uint32_t each = d->m->costs.c[ev->cost[i] < SIM_COST_COUNT ? ev->cost[i] : 0];
        explained += (uint64_t)each * ev->cost_n[i];
        if (ev->cost_n[i] == 1)
            dbg_append(buf, len, used, "%s %s %u", i ? "," : ":", sim_cost_name(ev->cost[i]), each);
        else
            dbg_append(buf, len, used, "%s %u x %s %u", i ? "," : ":", ev->cost_n[i],
                       sim_cost_name(ev->cost[i]), each);
    }
    if (explained && explained < ev->charged)
        dbg_append(buf, len, used, ", other %s",
                   sim_group_digits(ev->charged - explained, num, sizeof num));
    dbg_append(buf, len, used, ")");
}

/* "port 0x1f0, tinyos's virtual disk, command register". */
void dbg_port_text(const ui_dbg_t *d, int vm, uint32_t port, char *buf, size_t len)
{
    const char *reg, *dev = hv_dev_port_name((uint16_t)port, &reg);
    if (dev)
        snprintf(buf, len, "port 0x%x, %s's %s, %s register", port, dbg_vm_name(d, vm), dev, reg);
    else
        snprintf(buf, len, "port 0x%x, where %s has no device", port, dbg_vm_name(d, vm));
}

/* "MMIO at gpa 0xf0000000, tinyos's virtual console (UART), data register". */
void dbg_mmio_text(const ui_dbg_t *d, int vm, uint32_t gpa, char *buf, size_t len)
{
    const char *reg;
    uint16_t port;
    const char *dev = hv_dev_mmio_name(gpa, &reg, &port);
    if (dev)
        snprintf(buf, len, "MMIO at gpa 0x%08x, %s's %s, %s register", gpa, dbg_vm_name(d, vm), dev,
                 reg);
    else
        snprintf(buf, len, "MMIO at gpa 0x%08x, where %s has no device register", gpa,
                 dbg_vm_name(d, vm));
}

/* Who gives a trap back to a VM's kernel: the technique that intercepted it (a deprivileged
 * kernel's traps under trap-and-emulate, the co-resident monitor under binary translation, a
 * guest's own page fault under hardware assist with shadow paging). */
static const char *reflector(const ui_dbg_t *d, int vm)
{
    const hv_t *hv = hv_of_machine(d->m);
    if (!hv || vm < 0 || vm >= HV_MAX_VMS || !hv->vms[vm].used)
        return "the hypervisor";
    switch (hv->vms[vm].cpu) {
    case HV_CPU_TRAP: return "trap-and-emulate";
    case HV_CPU_BT: return "binary translation's monitor";
    default: return hv->vms[vm].mem == HV_MEM_SHADOW ? "shadow paging" : "the hypervisor";
    }
}

/* The name of a schedulable entity: "rtos vcpu0", "the host process", "nothing". */
static void entity_text(const ui_dbg_t *d, uint32_t ent, char *buf, size_t len)
{
    const hv_t *hv = hv_of_machine(d->m);
    if (!hv || ent >= HV_MAX_ENTITIES || !hv->ent[ent].used)
        snprintf(buf, len, "nothing");
    else if (hv->ent[ent].host_process)
        snprintf(buf, len, "the host process");
    else
        snprintf(buf, len, "%s vcpu%u", dbg_vm_name(d, hv->ent[ent].vm), hv->ent[ent].index);
}

/* ------------------------------------------------------------------------------------------
 * Sentences of hypervisor actions
 * ------------------------------------------------------------------------------------------ */
/* "the virtual CPU answers tinyos vcpu0's cpuid leaf 1 with 0x80000000: bit 31, a hypervisor
 * is present". */
static void cpuid_text(const char *w, uint32_t leaf, uint32_t answer, char *buf, size_t len)
{
    char what[80];
    if (leaf == 0)
        snprintf(what, sizeof what, "the vendor, \"%c%c%c%c\"", (char)answer, (char)(answer >> 8),
                 (char)(answer >> 16), (char)(answer >> 24));
    else if (leaf == 1)
        snprintf(what, sizeof what, "bit 31%s, a hypervisor is present",
                 answer & CPU_CPUID_FEAT_HYPERVISOR ? "" : " clear: no");
    else if (leaf == 2)
        snprintf(what, sizeof what, "the VM's VCPU count");
    else
        snprintf(what, sizeof what, "no such leaf");
    snprintf(buf, len, "the virtual CPU answers %s's cpuid leaf %u with 0x%08x: %s", w, leaf,
             answer, what);
}

/* "the hypervisor stopped tinyos for good: VM entry failed: ...", with what it saw. */
static void crash_text(const ui_dbg_t *d, int vm, char *buf, size_t len)
{
    const hv_t *hv = hv_of_machine(d->m);
    const char *why =
        hv && vm >= 0 && vm < HV_MAX_VMS && hv->vms[vm].used && hv->vms[vm].state == HV_VM_CRASHED
            ? hv->vms[vm].why
            : "";
    snprintf(buf, len, "the hypervisor stopped %s for good%s%s", dbg_vm_name(d, vm),
             why[0] ? ": " : "", why);
}

/* Hypercall 3: the ring the guest will mark in with plain stores (hv_mark.c says why). */
static void mark_ring_text(const ui_dbg_t *d, const sim_event_t *ev, const char *who, char *buf,
                           size_t len)
{
    const hv_t *hv = hv_of_machine(d->m);
    bool off = hv && ev->vm >= 0 && ev->vm < HV_MAX_VMS && hv->vms[ev->vm].marks_off;
    snprintf(buf, len,
             "%s registers a mark ring of %u slots at gpa 0x%08x: it marks with plain stores "
             "from now on, %s",
             who, ev->pc, ev->b,
             off ? "and the hypervisor accepts the ring but never reads it (marks are off)"
                 : "and the hypervisor reads the ring when the VCPU exits anyway (no exit per "
                   "mark)");
}

/* "binary translation: tinyos vcpu0's pc moves out of the translation cache, 0xffc0009c
 * (translated from ...) -> 0x00001124 <probe_trap+0x10>". */
static void move_pc_text(const ui_dbg_t *d, const sim_event_t *ev, const char *w, char *buf,
                         size_t len)
{
    char from[200], to[200];
    bool tc_from = dbg_code_where(d, ev, ev->b, from, sizeof from);
    bool tc_to = dbg_code_where(d, ev, ev->pc, to, sizeof to);
    snprintf(buf, len, "binary translation: %s's pc moves %s, %s -> %s", w,
             tc_from && tc_to ? "within the translation cache"
             : tc_to          ? "into the translation cache"
             : tc_from        ? "out of the translation cache, to the guest's own code"
                              : "in the guest's own code",
             from, to);
}

/* The memory and migration actions all say "what happened to a VM, with two numbers": one
 * table of sentences serves them, each naming its arguments by position (%1$s the VM, %2$u
 * the event's b, %3$u its pc). `set` is -1 for either, else the entry serves only an event
 * with (1) or without (0) the bit `flag` in b, which is then masked off. */
static const struct {
    uint8_t action;
    int8_t set;
    uint32_t flag;
    const char *fmt;
} vm_sentences[] = {
    {SIM_HV_MAP, -1, 0,
     "first touch: gpa 0x%2$08x of %1$s is backed by a zeroed host frame, hpa 0x%3$08x, in its "
     "nested tables"},
    {SIM_HV_SWAP_OUT, -1, 0,
     "overcommit: a memory limit is reached; the hypervisor writes gpa 0x%2$08x of %1$s to swap "
     "slot %3$u and makes its nested entry invalid"},
    {SIM_HV_SWAP_IN, 0, SIM_HV_DOUBLE_PAGED,
     "overcommit: gpa 0x%2$08x of %1$s was swapped out; the hypervisor reads it back from swap "
     "slot %3$u into a host frame"},
    {SIM_HV_SWAP_IN, 1, SIM_HV_DOUBLE_PAGED,
     "overcommit: gpa 0x%2$08x of %1$s was swapped out; the hypervisor reads it back from swap "
     "slot %3$u into a host frame for the guest's own page-out to its disk: double paging (the "
     "page goes straight back out)"},
    {SIM_HV_SHARE, -1, 0,
     "page sharing: gpa 0x%2$08x of %1$s has the same bytes as a shared frame; it is mapped "
     "read-only to hpa 0x%3$08x and its own frame is freed"},
    {SIM_HV_COW, -1, 0,
     "copy-on-write: %1$s stored to its shared page gpa 0x%2$08x; the hypervisor copies it to a "
     "private frame, hpa 0x%3$08x, mapped writable"},
    {SIM_HV_MIGRATE_ROUND, -1, 0,
     "live migration: pre-copy round %3$u of %1$s sends %2$u pages (every page at first, then "
     "those whose nested D bit the guest set since they were sent)"},
    {SIM_HV_MIGRATE_STOP, -1, 0,
     "live migration: %1$s pauses for the stop-and-copy; its last %2$u dirty pages go while it "
     "is stopped (the downtime)"},
    {SIM_HV_MIGRATE_DONE, -1, 0,
     "live migration: %1$s resumes on host%2$u after a downtime of %3$u cycles"},
    {SIM_HV_BALLOON, 1, SIM_HV_WRITE,
     "ballooning: %1$s's balloon driver deflates: %2$u pages go back to its allocator, to be "
     "backed again at their next touch; %3$u stay in the balloon"},
    {SIM_HV_BALLOON, 0, SIM_HV_WRITE,
     "ballooning: %1$s's balloon driver gives %2$u free pages of its own choosing; the "
     "hypervisor frees the host frames (and swap slots) behind them; %3$u in the balloon now"},
};

/* The sentence of vm_sentences for ev, false when it has none. */
static bool vm_sentence(const sim_event_t *ev, const char *vm, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof vm_sentences / sizeof vm_sentences[0]; i++) {
        bool set = (ev->b & vm_sentences[i].flag) != 0;
        if (vm_sentences[i].action != ev->a ||
            (vm_sentences[i].set >= 0 && vm_sentences[i].set != set))
            continue;
        uint32_t b = ev->b & ~vm_sentences[i].flag;
        snprintf(buf, len, vm_sentences[i].fmt, vm, b, ev->pc);
        return true;
    }
    return false;
}

/* A disk command of the guest's own swapping (hv_gswap.c): a page-in, or a page-out, which is
 * double paging when the hypervisor had to read the page back for the guest's DMA first. */
static void guest_swap_text(const sim_event_t *ev, const char *vm, char *buf, size_t len)
{
    unsigned slot = ev->b & ~SIM_HV_WRITE;
    if (!(ev->b & SIM_HV_WRITE))
        snprintf(buf, len,
                 "guest swapping: %s read a page back in from slot %u of its own swap area, on "
                 "its disk",
                 vm, slot);
    else if (!ev->pc)
        snprintf(buf, len,
                 "guest swapping: %s wrote a page out to slot %u of its own swap area, on its "
                 "disk; its DMA found the page in a host frame",
                 vm, slot);
    else
        snprintf(buf, len,
                 "guest swapping: %s wrote a page out to slot %u of its own swap area, on its "
                 "disk; the hypervisor had swapped the page out and read it back for the DMA "
                 "first: double paging",
                 vm, slot);
}

static void hv_action_text(const ui_dbg_t *d, const sim_event_t *ev, char *buf, size_t len)
{
    char w[64], a[96], b[96], num[32], cause[48];
    const char *vm = dbg_vm_name(d, ev->vm);
    static const char *const rules[] = {
        [SIM_HV_PICK_PIN] = "it is pinned to this pCPU",
        [SIM_HV_PICK_PASS] = "the lowest stride pass of those ready",
        [SIM_HV_PICK_CAP] = "the lowest stride pass, another VM being held back by its cap"};
    dbg_who(d, ev, w, sizeof w);
    switch (ev->a) {
    case SIM_HV_HANDLER:
        snprintf(buf, len, "%s, %s:%u, handles %s's %s exit: %s", hv_exit_handler_name(ev->b),
                 hv_exit_handler_file(), hv_exit_handler_line(ev->b), w,
                 cpu_exit_reason_name(ev->b), hv_exit_handler_doc(ev->b));
        break;
    case SIM_HV_EMULATE:
        if (ev->b & SIM_HV_MMIO) /* the guest used the device's address, not its port */
            dbg_mmio_text(d, ev->vm, ev->span, a, sizeof a);
        else
            dbg_port_text(d, ev->vm, ev->b & 0xffffu, a, sizeof a);
        if (ev->b & SIM_HV_WRITE)
            snprintf(buf, len, "the hypervisor emulates %s: 0x%08x written", a, ev->pc);
        else if (ev->pc == 0xffffffffu && !hv_dev_port_name((uint16_t)ev->b, &(const char *){0}))
            snprintf(buf, len, "the hypervisor emulates %s: reads as 0xffffffff (an empty bus)", a);
        else
            snprintf(buf, len, "the hypervisor emulates %s: it reads 0x%08x", a, ev->pc);
        break;
    case SIM_HV_SET_REG:
        snprintf(buf, len, "the hypervisor writes r%u = 0x%08x into %s's saved registers (VMCB)",
                 ev->b, ev->pc, w);
        break;
    case SIM_HV_SKIP:
        snprintf(buf, len, "%s's pc moves past the instruction, %s -> %s", w,
                 dbg_guest_where(d, ev->vm, ev->b, a, sizeof a),
                 dbg_guest_where(d, ev->vm, ev->pc, b, sizeof b));
        break;
    case SIM_HV_INJECT:
        snprintf(buf, len, "the next entry will deliver %s (tval 0x%08x) into %s, through its tvec",
                 cpu_cause_name(ev->b, cause, sizeof cause), ev->pc, w);
        break;
    case SIM_HV_DISK: {
        unsigned ahead =
            (ev->b >> 8) & 0xffu; /* other VMs' commands before it at the host's disk */
        char behind[80] = "";
        if (ahead)
            snprintf(behind, sizeof behind, " behind %u other VM%s command%s at the host's disk",
                     ahead, ahead == 1 ? "'s" : "s'", ahead == 1 ? "" : "s");
        snprintf(buf, len,
                 "%s's virtual disk queued a %s of %u sector%s%s; irq %u goes to %s in %s cycles, "
                 "at cycle %s",
                 vm, (ev->b >> 16) == SIM_DISK_CMD_WRITE ? "write" : "read", ev->b & 0xffu,
                 (ev->b & 0xffu) == 1 ? "" : "s", behind, SIM_DISK_IRQ, vm,
                 sim_group_digits(ev->pc, a, sizeof a),
                 sim_group_digits(ev->cycle + ev->pc, num, sizeof num));
        break;
    }
    case SIM_HV_VTIMER:
        if (ev->b)
            snprintf(buf, len, "%s's virtual timer is set to fire in %s cycles, at cycle %s", w,
                     sim_group_digits(ev->b, a, sizeof a),
                     sim_group_digits(ev->cycle + ev->b, num, sizeof num));
        else
            snprintf(buf, len, "%s's virtual timer is turned off", w);
        break;
    case SIM_HV_CONSOLE:
        snprintf(buf, len, "%s's console hypercall: %u byte%s at gpa 0x%08x go to its console", w,
                 ev->b, ev->b == 1 ? "" : "s", ev->pc);
        break;
    case SIM_HV_ACK: {
        char lines[200];
        dbg_lines_text(ev->b, lines, sizeof lines);
        snprintf(buf, len, "the host acknowledges physical %s on pCPU%u; %s goes on", lines,
                 ev->cpu, w);
        break;
    }
    case SIM_HV_VIRQ:
        snprintf(buf, len, "virtual irq %u (%s) is raised for %s", ev->b, line_name(ev->b, false),
                 w);
        break;
    case SIM_HV_SWITCH:
        entity_text(d, ev->b, a, sizeof a);
        snprintf(buf, len, "the scheduler gives pCPU%u to %s (%s%s), because %s", ev->cpu,
                 ev->vm < 0 ? "the host process" : w, strcmp(a, "nothing") ? "after " : "",
                 strcmp(a, "nothing") ? a : "nothing ran there before",
                 ev->pc < sizeof rules / sizeof rules[0] ? rules[ev->pc] : "it was chosen");
        break;
    case SIM_HV_KEEP:
        snprintf(buf, len,
                 "the scheduler keeps %s on pCPU%u for another slice: no one else may run there "
                 "first",
                 w, ev->cpu);
        break;
    case SIM_HV_IDLE:
        snprintf(buf, len, "pCPU%u has nothing to run: it idles until a device event", ev->cpu);
        break;
    case SIM_HV_BLOCK:
        snprintf(buf, len, "%s halted: it waits for a virtual interrupt and gives up pCPU%u", w,
                 ev->cpu);
        break;
    case SIM_HV_WAKE:
        snprintf(buf, len, "%s wakes up: virtual lines 0x%x are raised", w, ev->b);
        break;
    case SIM_HV_TO_VMM:
        snprintf(buf, len,
                 "type 2: the host kernel hands %s's %s exit to the user-level VMM process", w,
                 cpu_exit_reason_name(ev->b));
        break;
    case SIM_HV_FROM_VMM:
        snprintf(buf, len,
                 "type 2: the VMM has handled %s's %s exit and goes back into the host kernel", w,
                 cpu_exit_reason_name(ev->b));
        break;
    case SIM_HV_HOST:
        snprintf(buf, len, "type 2: the host process runs on pCPU%u for %s cycles", ev->cpu,
                 sim_group_digits(ev->b, num, sizeof num));
        break;
    case SIM_HV_PAUSE: snprintf(buf, len, "%s is paused", vm); break;
    case SIM_HV_RESUME: snprintf(buf, len, "%s runs again", vm); break;
    case SIM_HV_VM_OFF: snprintf(buf, len, "%s powered off with exit code %u", vm, ev->b); break;
    case SIM_HV_CRASH: crash_text(d, ev->vm, buf, len); break;
    case SIM_HV_TRAP_EMULATE: {
        const char *mn = "?";
        for (unsigned op = 0; op < CPU_OP_COUNT; op++)
            if (cpu_isa[op].opcode == ev->b)
                mn = cpu_isa[op].mnemonic;
        if (strcmp(reflector(d, ev->vm), "binary translation's monitor") == 0)
            snprintf(buf, len,
                     "binary translation's monitor: %s's kernel ran the privileged `%s` in U; "
                     "the monitor does it on the virtual CPU",
                     w, mn);
        else
            snprintf(buf, len,
                     "trap-and-emulate: %s's kernel ran the privileged `%s` in U; the hypervisor "
                     "does it on the virtual CPU",
                     w, mn);
        break;
    }
    case SIM_HV_TRAP_REFLECT:
        snprintf(buf, len, "%s: %s goes to %s's own kernel, reflected through its virtual tvec",
                 reflector(d, ev->vm),
                 ev->b & CPU_CAUSE_INTERRUPT ? "an interrupt"
                                             : cpu_cause_name(ev->b, cause, sizeof cause),
                 w);
        break;
    case SIM_HV_SHADOW_FILL:
        snprintf(buf, len,
                 "shadow paging: a hidden page fault at gva 0x%08x of %s; the hypervisor walked "
                 "the guest's tables and filled the shadow entry",
                 ev->b, w);
        break;
    case SIM_HV_DMA_FAULT: {
        iommu_fault_t f = {.iova = ev->b,
                           .device = (uint16_t)(ev->pc >> 16),
                           .access = (uint8_t)(ev->pc >> 8),
                           .reason = (uint8_t)ev->pc};
        char text[256];
        snprintf(buf, len, "%s; the hypervisor's fault handler takes the record",
                 dbg_dma_fault_text(&f, ev->vm >= 0 ? vm : NULL, text, sizeof text));
        break;
    }
    case SIM_HV_PV_NOTIFY:
        snprintf(buf, len,
                 "paravirtual network card: %s's driver kicks the hypervisor, one hypercall for "
                 "the batch, which sends the %u frame%s of its transmit queue into the switch "
                 "and acknowledges its interrupt (%u frames received so far)",
                 vm, ev->b, ev->b == 1 ? "" : "s", ev->pc);
        break;
    case SIM_HV_SHARE_SCAN:
        snprintf(buf, len,
                 "page sharing: the scanner's pass ends; sharing saves %u host frames now", ev->b);
        break;
    case SIM_HV_SHADOW_RECLAIM:
        snprintf(buf, len,
                 "shadow paging: %s reached its budget of shadow tables; its shadow trees are "
                 "emptied (the tables stay its own, to be filled again)",
                 w);
        break;
    case SIM_HV_SHADOW_SYNC:
        if (ev->b == 0xffffffffu)
            snprintf(buf, len, "shadow paging: %s's tlbflush empties its shadow tree", w);
        else
            snprintf(buf, len, "shadow paging: %s's tlbinv drops gva 0x%08x from its shadows", w,
                     ev->b);
        break;
    case SIM_HV_SHADOW_TRACE:
        snprintf(buf, len,
                 "shadow paging: %s's page table at gpa 0x%08x is traced: write-protected in "
                 "the shadows, each store to it emulated",
                 w, ev->b);
        break;
    case SIM_HV_BT_TRANSLATE:
        snprintf(buf, len,
                 "binary translation: the block of %s at %s is translated into the translation "
                 "cache",
                 w, dbg_guest_where(d, ev->vm, ev->b, a, sizeof a));
        break;
    case SIM_HV_BT_CALLOUT:
        snprintf(buf, len,
                 "binary translation: %s's translated code calls out to the monitor for the "
                 "instruction at %s",
                 w, dbg_guest_where(d, ev->vm, ev->b, a, sizeof a));
        break;
    case SIM_HV_BT_ADAPT:
        snprintf(buf, len,
                 "adaptive binary translation: the store at %s of %s trapped %u times on "
                 "traced page tables: its blocks are translated again, the store into an in-TC "
                 "sequence that needs no trap",
                 dbg_guest_where(d, ev->vm, ev->b, a, sizeof a), w, ev->pc);
        break;
    case SIM_HV_BT_ADAPTED_STORE:
        snprintf(buf, len,
                 "adaptive binary translation: %s's adapted store at %s stores to gpa 0x%08x "
                 "in the translation cache and updates the shadows (no trap)",
                 w, dbg_guest_where(d, ev->vm, ev->b, a, sizeof a), ev->pc);
        break;
    case SIM_HV_BATCH:
        snprintf(buf, len,
                 "exit batching: the next instruction of %s, at %s, would exit too: the "
                 "hypervisor emulates it in this exit (no entry and exit for it)",
                 w, dbg_guest_where(d, ev->vm, ev->b, a, sizeof a));
        break;
    case SIM_HV_BT_INVALIDATE:
        snprintf(buf, len,
                 "binary translation: %s wrote to gpa page 0x%08x, which holds translated code: "
                 "its translations are dropped",
                 w, ev->b);
        break;
    case SIM_HV_MONITOR_CALL:
        if (ev->b)
            snprintf(buf, len,
                     "binary translation: %s's translated code calls into the co-resident "
                     "monitor for %s (a call, not a VM exit)",
                     w, dbg_guest_where(d, ev->vm, ev->b, a, sizeof a));
        else
            snprintf(buf, len,
                     "binary translation: %s's translated code calls into the co-resident "
                     "monitor: an interrupt waits (a call, not a VM exit)",
                     w);
        break;
    case SIM_HV_MONITOR_TRAP:
        snprintf(buf, len,
                 "binary translation: %s's %s at %s traps into the co-resident monitor (a "
                 "trap in the guest's own address space, not a VM exit)",
                 w, cpu_cause_name(ev->b, cause, sizeof cause),
                 dbg_guest_where(d, ev->vm, ev->pc, a, sizeof a));
        break;
    case SIM_HV_CPUID: cpuid_text(w, ev->b, ev->pc, buf, len); break;
    case SIM_HV_BT_MOVE_PC: move_pc_text(d, ev, w, buf, len); break;
    case SIM_HV_MARK: ui_dbg_describe_mark(d, ev, buf, len); break;
    case SIM_HV_MARK_RING: mark_ring_text(d, ev, w, buf, len); break;
    case SIM_HV_GUEST_SWAP: guest_swap_text(ev, vm, buf, len); break;
    case SIM_HV_MIGRATE_DONE:
        if (ev->b == 0 && ev->pc == 0)
            snprintf(buf, len, "live migration of %s fails; it stays where it was", vm);
        else
            vm_sentence(ev, vm, buf, len);
        break;
    default:
        if (!vm_sentence(ev, vm, buf, len))
            snprintf(buf, len, "the hypervisor did action %u", ev->a);
        break;
    }
    size_t used = strlen(buf);
    add_charge(d, ev, buf, len, &used);
}

/* ------------------------------------------------------------------------------------------
 * Sentences of the other events that debug_text.c does not cover
 * ------------------------------------------------------------------------------------------ */
/* "the NIC sent a frame of 60 bytes (transmit descriptor 0)". */
static void dbg_text_nic(const sim_event_t *ev, char *buf, size_t len)
{
    switch (ev->from_mode) {
    case SIM_NIC_EV_SEND:
        snprintf(buf, len, "the NIC started sending a frame of %u bytes (transmit descriptor %u)",
                 ev->b, ev->a);
        break;
    case SIM_NIC_EV_SENT:
        snprintf(buf, len, "the NIC sent a frame of %u bytes (transmit descriptor %u)", ev->b,
                 ev->a);
        break;
    case SIM_NIC_EV_RECEIVE:
        snprintf(buf, len, "the NIC received a frame of %u bytes into receive descriptor %u", ev->b,
                 ev->a);
        break;
    case SIM_NIC_EV_DROP:
        snprintf(buf, len, "the NIC dropped a frame of %u bytes: no receive buffer was free",
                 ev->b);
        break;
    default:
        snprintf(buf, len, "the NIC failed at descriptor %u: %s (%s)", ev->a,
                 sim_nic_error_name(ev->b), sim_nic_error_doc(ev->b));
        break;
    }
}

void dbg_text_entry(const ui_dbg_t *d, const sim_event_t *ev, const char *mode, char *buf,
                    size_t len)
{
    char w[64], a[200];
    dbg_code_where(d, ev, ev->pc, a, sizeof a);
    if (ev->flags & SIM_EVF_MONITOR) /* binary translation: no VM entry, a return */
        snprintf(buf, len, "return from the co-resident monitor: %s resumes in %s at %s",
                 dbg_who(d, ev, w, sizeof w), mode, a);
    else
        snprintf(buf, len, "entry: %s resumes in %s at %s", dbg_who(d, ev, w, sizeof w), mode, a);
}

void dbg_text_other_event(const ui_dbg_t *d, const sim_event_t *ev, char *buf, size_t len)
{
    char w[64], a[96], cause[48];
    dbg_who(d, ev, w, sizeof w);
    switch (ev->kind) {
    case SIM_EV_HV: hv_action_text(d, ev, buf, len); break;
    case SIM_EV_VMEXIT: {
        char insn[200], mode[64]; /* the instruction, read where the guest saw it */
        bool monitor = (ev->flags & SIM_EVF_MONITOR) != 0;
        if (ev->a == CPU_EXIT_ENTRY_FAILED) /* the CPU was in ring -1: no guest instruction */
            snprintf(buf, len, "exit ENTRY_FAILED: the VM entry into %s at %s failed, because %s",
                     w, dbg_guest_where(d, ev->vm, dbg_exit_guest_pc(d, ev), a, sizeof a),
                     cpu_exit_reason_why(ev->a));
        else if (monitor) /* binary translation: no world switch (the control MONITOR) */
            snprintf(buf, len,
                     "%s enters its co-resident monitor at %s (%s): a call or trap in its own "
                     "address space, not a VM exit",
                     w, dbg_guest_where(d, ev->vm, dbg_trap_insn_pc(ev, ev->pc), a, sizeof a),
                     cpu_cause_name(ev->b, cause, sizeof cause));
        else if (ui_dbg_guest_insn((ui_dbg_t *)d, ev, insn, sizeof insn))
            snprintf(buf, len, "exit %s: %s %s %s, because %s", cpu_exit_reason_name(ev->a), w,
                     ui_dbg_insn_verb(ev), insn, cpu_exit_reason_why(ev->a));
        else
            snprintf(buf, len, "exit %s: %s leaves %s at %s, because %s",
                     cpu_exit_reason_name(ev->a), w, dbg_guest_mode_text(d, ev, mode, sizeof mode),
                     dbg_guest_where(d, ev->vm, ev->pc, a, sizeof a), cpu_exit_reason_why(ev->a));
        break;
    }
    case SIM_EV_VMENTRY: {
        char mode[64]; /* a deprivileged kernel is entered in U: it resumes in its virtual K */
        dbg_text_entry(d, ev, dbg_guest_mode_text(d, ev, mode, sizeof mode), buf, len);
        break;
    }
    case SIM_EV_INJECT:
        snprintf(buf, len, "%s takes the injected %s (tval 0x%08x) at %s", w,
                 cpu_cause_name(ev->a, cause, sizeof cause), ev->b,
                 dbg_guest_where(d, ev->vm, ev->pc, a, sizeof a));
        break;
    case SIM_EV_WALK:
        snprintf(buf, len, "cpu%u walked the page tables for 0x%08x: %u memory reference%s",
                 ev->cpu, ev->a, ev->b, ev->b == 1 ? "" : "s");
        break;
    case SIM_EV_TLBFLUSH:
        snprintf(buf, len, "cpu%u flushed TLB entries (%s 0x%x)", ev->cpu, mmu_flush_name(ev->a),
                 ev->b);
        break;
    case SIM_EV_NESTEDFAULT:
        snprintf(buf, len,
                 "cpu%u: the nested tables do not map gpa 0x%08x (for gva 0x%08x) at 0x%08x",
                 ev->cpu, ev->b, ev->a, ev->pc);
        break;
    case SIM_EV_DMAFAULT:
        snprintf(buf, len, "the IOMMU blocked a DMA of device %u to iova 0x%08x", ev->a, ev->b);
        break;
    case SIM_EV_DISK:
        snprintf(buf, len, "the disk %s a command of %u sector%s at sector %u (DMA 0x%08x)",
                 ev->from_mode ? "completed" : "started", ev->pc & 0xffffu,
                 (ev->pc & 0xffffu) == 1 ? "" : "s", ev->a, ev->b);
        break;
    case SIM_EV_NIC: dbg_text_nic(ev, buf, len); break;
    default: sim_event_format(ev, buf, len); break;
    }
}
