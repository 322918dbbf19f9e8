/*
 * sim_internal.h - what the machine's own files share: the built-in devices.
 */
#ifndef HVSIM_SIM_INTERNAL_H
#define HVSIM_SIM_INTERNAL_H

#include "sim.h"

/* Adds the console UART (ports 0x3f8.., MMIO 0xf0000000) and the power-off device. */
void sim_add_uart(sim_machine_t *m);
void sim_add_power(sim_machine_t *m);
/* Adds the block device (ports 0x1f0..0x1f7, sim_disk.c), with no disk attached. */
void sim_add_disk(sim_machine_t *m);
/* Adds the network card (ports 0x300..0x30f, sim_nic.c), with nothing on its wire. */
void sim_add_nic(sim_machine_t *m);
/* Adds the peer host (sim_peer.c) and plugs it into the NIC's wire. */
void sim_add_peer(sim_machine_t *m);

#endif
