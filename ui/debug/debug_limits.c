/*
 * debug_limits.c - a VM's limits for the front ends: CPU share and cap, resident_max, its
 * reservation (a floor), disk_bw and net_bw, and how often each bound, as the hypervisor counts
 * them (hypervisor/hv_limits.c). `info limits` lays them out; the window shows them in short.
 */
#include <string.h>

#include "../../hypervisor/hv.h"
#include "debug_internal.h"

int ui_dbg_vm_limits(ui_dbg_t *dbg, unsigned vm, ui_dbg_limits_t *out)
{
    if (dbg_check_vm(dbg, (int)vm) != 0)
        return -1;
    hv_limits_t l;
    hv_vm_limits(hv_of_machine(dbg->m), vm, &l);
    *out = (ui_dbg_limits_t){.share = l.share,
                             .cap = l.cap,
                             .cap_stops = l.cap_stops,
                             .resident_max = l.resident_max,
                             .pages = l.pages,
                             .limit_swaps = l.limit_swaps,
                             .reserved = l.reserved,
                             .reserve_spared = l.reserve_spared,
                             .disk_bw = l.disk_bw,
                             .net_bw = l.net_bw,
                             .disk_held = l.disk_held,
                             .disk_held_cycles = l.disk_held_cycles,
                             .net_held = l.net_held,
                             .net_held_cycles = l.net_held_cycles};
    hv_limits_text(&l, out->text, sizeof out->text);
    return 0;
}
