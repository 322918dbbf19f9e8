/*
 * hv_snap.h - snapshots (hv_snap.c, hv_snap_diff.c, hv_vm_snap.c; docs/snapshot.md): the whole
 * machine with its hypervisor, saved, loaded, described and compared, and one VM alone saved
 * and restored (cold migration). Part of the hypervisor's public face: hv.h includes it, so a
 * file that includes hv.h has it.
 */
#ifndef HVSIM_HV_SNAP_H
#define HVSIM_HV_SNAP_H

#include "hv.h"

/* ------------------------------------------------------------------------------------------
 * Snapshots of the whole machine, with or without a hypervisor (hv_snap.c; docs/snapshot.md).
 * A machine is saved between runs, never from inside one.
 * ------------------------------------------------------------------------------------------ */
/* Builds the snapshot of m in w (sim_snap_writer_init is done here; free w after): the text
 * block names `scenario` (NULL: none). -1 when memory cannot be had. */
int hv_snapshot_build(const sim_machine_t *m, const char *scenario, sim_snap_writer_t *w);
/* The same into a writer made ready by the caller (sim_snap_writer_restart keeps its buffer:
 * the debugger's checkpoints reuse one). */
int hv_snapshot_fill(const sim_machine_t *m, const char *scenario, sim_snap_writer_t *w);
/* Saves m to `path` crash-safely. -1 after "PATH: error: ..." on diag. */
int hv_snapshot_save(const sim_machine_t *m, const char *scenario, const char *path, FILE *diag);
/* Builds a fresh machine in m (an unused struct) from a snapshot: the machine of its shape,
 * its hypervisor if it had one (VM console lines and the machine's console to `console`), then
 * every piece of state. -1 with "FILE: offset N: the rule broken" in err, m then empty. */
int hv_snapshot_load(sim_machine_t *m, const char *path, FILE *console, char *err, size_t errlen);
int hv_snapshot_load_parsed(sim_machine_t *m, const sim_snap_t *s, FILE *console, char *err,
                            size_t errlen);
/* `hvsim snapshot info` and `diff` (hv_snap_diff.c): what made a snapshot and its sections;
 * what differs from a to b, CPU by CPU, device by device, RAM page by page (with each page's
 * owner), disks sector by sector, VM by VM. diff returns the number of differences. */
void hv_snapshot_info(const sim_snap_t *s, FILE *out);
int hv_snapshot_diff(const sim_snap_t *a, const sim_snap_t *b, FILE *out);
/* One VM alone (hv_vm_snap.c; docs/snapshot.md, "VM snapshots"): cold migration. hv_vm_save
 * writes a paused VM (hw or emu with nested paging, no VCPU loaded) with its memory, VCPUs,
 * devices and disk; -1 after "PATH: error: why" on diag. hv_vm_restore builds it in this
 * hypervisor (another scenario, another host) as a paused VM whose guest time goes on where it
 * stopped; returns its index, or -1 with "FILE: ..." in err (nothing is built). */
int hv_vm_save(hv_t *hv, unsigned vm, const char *path, FILE *diag);
int hv_vm_restore(hv_t *hv, const char *path, char *err, size_t errlen);

#endif
