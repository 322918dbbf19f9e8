/*
 * hv_host.h - each host's own RAM (hv_host.c; docs/migration.md, "Two hosts, each with its
 * RAM"), for the hypervisor and for the debugger's memory map: which frames are whose host's.
 */
#ifndef HVSIM_HV_HOST_H
#define HVSIM_HV_HOST_H

#include "hv.h"

/* The frames [*first, *end) of host `host` (one host: every frame). */
void hv_host_frames(const hv_t *hv, unsigned host, uint32_t *first, uint32_t *end);
/* The host a frame belongs to. */
unsigned hv_frame_host(const hv_t *hv, uint32_t frame);
/* Free frames in a host's pool. */
uint32_t hv_host_free_frames(const hv_t *hv, unsigned host);

#endif
