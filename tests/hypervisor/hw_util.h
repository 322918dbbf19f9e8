/*
 * hw_util.h - what the ring -1 hardware suites share: a machine with one guest set up by hand
 * (a VMCB, nested tables mapping the guest's memory, a guest program), the way a hypervisor
 * would, but without the hypervisor, so that the tests see the CPU's side alone.
 *
 * Layout of the 4 MiB test machine:
 *
 *   host-physical 0x00000000..0x000fffff  host programs (H code at 0x1000 in some tests)
 *                 0x00100000..0x001fffff  guest RAM = guest-physical 0x00000..0xfffff
 *                 0x00300000..0x003effff  nested tables
 *                 0x003f0000              the VMCB
 */
#ifndef HVSIM_TEST_HW_UTIL_H
#define HVSIM_TEST_HW_UTIL_H

#include <stdint.h>

#include "../../sim/sim.h"

#define HW_RAM (4u << 20)
#define HW_GUEST_HPA 0x00100000u
#define HW_GUEST_RAM 0x00100000u
#define HW_VMCB 0x003f0000u
#define HW_VMID 7
#define HW_GUEST_PC 0x1000u

/* Builds the machine: CPU 0 in H, nested tables mapping guest RAM RWX, the guest program
 * `src` (assembled at its own base, a guest-physical address) copied into guest RAM, and a
 * VMCB: revision 1, vmid HW_VMID, nested on, guest pc at the program's base in K with
 * interrupts off, the given exit controls, everything else 0. */
void hw_setup(sim_machine_t *m, const char *src, uint32_t controls);
/* VMCB word access. */
uint32_t hw_vmcb(const sim_machine_t *m, uint32_t offset);
void hw_set_vmcb(sim_machine_t *m, uint32_t offset, uint32_t value);
/* A guest register as the VMCB holds it after an exit. */
uint32_t hw_guest_reg(const sim_machine_t *m, unsigned reg);
/* Enters the VM (the test fails if the entry fails) and runs until the CPU stops. */
cpu_stop_t hw_enter_run(sim_machine_t *m, uint64_t budget);
/* Assembles src; the image and its base in *out (free with cpu_asm_free). */
void hw_assemble(const char *src, cpu_asm_result_t *out);

#endif
