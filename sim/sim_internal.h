/*
 * sim_internal.h - what the machine's own files share: the built-in devices.
 */
#ifndef HVSIM_SIM_INTERNAL_H
#define HVSIM_SIM_INTERNAL_H

#include "sim.h"

/* Adds the console UART (ports 0x3f8.., MMIO 0xf0000000) and the power-off device. */
void sim_add_uart(sim_machine_t *m);
void sim_add_power(sim_machine_t *m);

#endif
