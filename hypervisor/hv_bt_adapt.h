/*
 * hv_bt_adapt.h - adaptive binary translation's record (hv_bt_adapt.c): per VM, the guest
 * store sites that trapped into the monitor on a traced page table, with their counts. Plain
 * data, saved with the VM.
 */
#ifndef HVSIM_HV_BT_ADAPT_H
#define HVSIM_HV_BT_ADAPT_H

#include <stdint.h>

#define HV_BT_STORE_SITES 64 /* store sites counted per VM; later ones are not counted */

typedef struct {
    uint32_t gva;    /* the guest pc of the store (kernel code: one address in every space) */
    uint16_t traps;  /* monitor traps it took on traced page tables */
    uint8_t adapted; /* retranslated into its in-TC sequence */
    uint8_t pad;
} hv_bt_store_site_t;

typedef struct {
    uint16_t nsites;
    uint16_t pad;
    hv_bt_store_site_t site[HV_BT_STORE_SITES];
} hv_bt_adapt_t;

#endif
