/*
 * repl_memory.c - `info memory [VM]`: where each VM's guest-physical memory is (resident in
 * host frames of its own, swapped to the hypervisor's swap device, mapped to frames shared by
 * content, given back by its balloon driver) against its limit, and the host's side: the frame
 * pool, host_memory, each host's RAM when there are two, the swap device, the shared frames
 * (docs/memory.md, docs/migration.md). A VM with a
 * reservation gets a line of its own under its row: the floor and how often reclaim stopped
 * at it; a VM whose guest swaps to its own disk, its page-outs and double paging.
 */
#include <stdio.h>

#include "ui_repl.h"

static const char *kib(uint64_t bytes, char *buf, size_t len)
{
    char n[32];
    snprintf(buf, len, "%s KiB", sim_group_digits(bytes >> 10, n, sizeof n));
    return buf;
}

static void host_line(ui_repl_t *r)
{
    ui_dbg_host_memory_t h;
    if (ui_dbg_host_memory(r->dbg, &h) != 0)
        return;
    char a[32], b[32], c[32], d[32], used[32], slots[32];
    fprintf(r->out, "  host: %s for the VMs (%s): %s held privately, %s in shared frames%s\n",
            kib(h.host_memory ? h.host_memory : h.pool, a, sizeof a),
            h.host_memory ? "host_memory" : "the frame pool", kib(h.held, b, sizeof b),
            kib((uint64_t)h.shared_frames << 12, c, sizeof c), h.sharing ? "" : " (sharing off)");
    for (unsigned i = 0; h.hosts > 1 && i < h.hosts; i++) /* each host's own RAM */
        fprintf(r->out, "  host%u's RAM: hpa 0x%08x..0x%08x (%s), %s free\n", i,
                h.host_first[i] << 12, (h.host_end[i] << 12) - 1,
                kib((uint64_t)(h.host_end[i] - h.host_first[i]) << 12, a, sizeof a),
                kib((uint64_t)h.host_free[i] << 12, b, sizeof b));
    fprintf(r->out, "  swap device: %s of %s slots used (%s)\n",
            sim_group_digits(h.swap_used, used, sizeof used),
            sim_group_digits(h.swap_slots, slots, sizeof slots),
            kib((uint64_t)h.swap_used << 12, d, sizeof d));
}

/* Under a VM's row, its reservation where it has one: the floor, whether it is at it now and
 * how often reclaim stopped there (hypervisor/hv_reserve.c). */
static void reservation_line(ui_repl_t *r, const ui_dbg_vm_t *vm)
{
    char a[32], n[48];
    if (!vm->reservation)
        return;
    uint64_t held = (uint64_t)vm->frames << 12;
    const char *where = held > vm->reservation    ? "it holds more"
                        : held == vm->reservation ? "it is at its floor"
                                                  : "it has not grown to it yet";
    fprintf(r->out, "      reservation %s (%s); reclaim stopped at it %s\n",
            kib(vm->reservation, a, sizeof a), where,
            vm->reserve_spared ? sim_counted(vm->reserve_spared, "time", n, sizeof n) : "never");
}

/* Under a VM's row, its guest's own swapping where its disk has a swap area: the guest's
 * page-outs and page-ins, and how many of its page-outs were double paging (hv_gswap.c). */
static void guest_swap_line(ui_repl_t *r, const ui_dbg_vm_t *vm)
{
    char a[48], b[48], c[32], d[32], e[48], f[32];
    if (!vm->guest_swap_slots)
        return;
    fprintf(r->out,
            "      guest swap (%s at its disk's end): %s out, %s in; double paging: %s of them "
            "read back from the hypervisor's swap first (%s, %s cycles)\n",
            sim_counted(vm->guest_swap_slots, "slot", a, sizeof a),
            sim_counted(vm->guest_swap_outs, "page", b, sizeof b),
            sim_group_digits(vm->guest_swap_ins, c, sizeof c),
            sim_group_digits(vm->double_paged, d, sizeof d),
            sim_counted(vm->double_paged_ops, "swap-device operation", e, sizeof e),
            sim_group_digits(vm->double_paged_cycles, f, sizeof f));
}

/* info memory [VM]: every VM's row, or the one named. */
int ui_repl_info_memory(ui_repl_t *r, int argc, char **argv)
{
    const char *usage = "info memory [VM]";
    if (!ui_dbg_has_hypervisor(r->dbg) || ui_dbg_vm_count(r->dbg) == 0) {
        fprintf(r->out, "No VMs: this machine runs without a hypervisor.\n");
        return 0;
    }
    int only = -1;
    if (argc >= 2 && (only = ui_dbg_vm_by_name(r->dbg, argv[1])) < 0)
        return ui_repl_error(r, usage, "%s", ui_dbg_error(r->dbg));
    host_line(r);
    fprintf(r->out, "  %-3s %-10s %12s %12s %12s %12s %12s %12s\n", "id", "name", "memory",
            "resident", "limit", "swapped", "shared", "balloon");
    for (unsigned i = 0; i < ui_dbg_vm_count(r->dbg); i++) {
        ui_dbg_vm_t vm;
        if ((only >= 0 && (int)i != only) || ui_dbg_vm_info(r->dbg, i, &vm) != 0)
            continue;
        char m[32], res[32], lim[32], sw[32], sh[32], bl[32];
        fprintf(r->out, "%c %-3d %-10s %12s %12s %12s %12s %12s %12s\n",
                ui_dbg_focus_vm(r->dbg) == vm.id ? '*' : ' ', vm.id, vm.name,
                kib(vm.memory, m, sizeof m), kib((uint64_t)vm.frames << 12, res, sizeof res),
                kib(vm.resident_max, lim, sizeof lim),
                kib((uint64_t)vm.swapped << 12, sw, sizeof sw),
                kib((uint64_t)vm.shared << 12, sh, sizeof sh),
                kib((uint64_t)vm.balloon << 12, bl, sizeof bl));
        reservation_line(r, &vm);
        guest_swap_line(r, &vm);
    }
    return 0;
}
