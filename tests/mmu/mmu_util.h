/*
 * mmu_util.h - what the memory-system suites share: machines with page tables already built,
 * native (1-D) or as a virtual machine (2-D), and word access to their RAM.
 *
 * Layout of the 1 MiB test machine:
 *
 *   host-physical 0x00000000..0x0003ffff  programs, data pages of native tests
 *                 0x00040000..0x0007ffff  host page tables (native) or nested tables (2-D)
 *                 0x00080000..0x000fffff  guest RAM = guest-physical 0x00000..0x7ffff
 *                                         (guest tables in guest frames 0x70..0x7f)
 */
#ifndef HVSIM_TEST_MMU_UTIL_H
#define HVSIM_TEST_MMU_UTIL_H

#include <stdint.h>

#include "../../sim/sim.h"

#define MT_RAM (1u << 20)
#define MT_HOST_POOL 0x40u, 0x80u  /* host frames for host or nested tables */
#define MT_GUEST_HPA 0x00080000u   /* host address of guest-physical 0 */
#define MT_GUEST_RAM 0x00080000u   /* bytes of guest RAM */
#define MT_GUEST_POOL 0x70u, 0x80u /* guest frames for guest tables */
#define MT_ASID 1

/* A virtual machine's two table trees. */
typedef struct {
    mmu_builder_t guest;  /* guest-virtual -> guest-physical, in guest RAM */
    mmu_builder_t nested; /* guest-physical -> host-physical, in host memory */
} mt_vm_t;

/* A 1 MiB, one-CPU machine with console capture and the default MMU configuration, changed
 * to `levels` levels (and nested_levels) before the CPU's MMU is set up. */
void mt_machine(sim_machine_t *m, unsigned levels, unsigned nested_levels);
/* Host page tables for CPU 0 (pool MT_HOST_POOL), with ptroot set to them (ASID MT_ASID). */
void mt_native(sim_machine_t *m, mmu_builder_t *b);
/* A VM on CPU 0: nested tables mapping all guest RAM RWX (unless map_all is false), empty
 * guest tables, nested translation on with `vmid`, ptroot at the guest tables. */
void mt_vm(sim_machine_t *m, mt_vm_t *vm, uint16_t vmid, bool map_all);

uint32_t mt_word(const sim_machine_t *m, uint32_t hpa);
void mt_set_word(sim_machine_t *m, uint32_t hpa, uint32_t value);

#endif
