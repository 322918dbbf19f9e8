/*
 * test_hv_rogue.c - the IOMMU as protection (the scenario rogue-dma): a VM that owns the
 * physical network card aims its DMA at the victim's secret (a read, then a write) and at the
 * victim's VMCB (the hypervisor's memory). With the IOMMU each DMA is blocked, logged with the
 * VM's domain, handled by the hypervisor (a dma-fault action), and the victim's bytes are
 * unchanged; with `iommu = off` the same DMAs go through. Guest-programmed malformed
 * descriptors through the assigned card are device errors, never a simulator fault.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv_internal.h"
#include "../support/harness.h"
#include "hv_util.h"

/* The host-physical addresses guestos/rogue/kernel.s aims at. */
#define VICTIM_SECRET 0x00015000u
#define VICTIM_VMCB_SPOT 0x00022800u

static const char rogue_blocked[] =
    "rogue: the network card is mine; its DMA goes where I say\n"
    "rogue: DMA read of the victim's secret at host-physical 0x00015000: the card reports an "
    "error (the IOMMU blocked it)\n"
    "rogue: DMA write over the victim's secret at host-physical 0x00015000: the card reports an "
    "error (the IOMMU blocked it)\n"
    "rogue: DMA write into the victim's VMCB at host-physical 0x00022800: the card reports an "
    "error (the IOMMU blocked it)\n";

/* The hypervisor's dma-fault actions of a run. */
typedef struct {
    sim_event_t ev[8];
    unsigned n;
} faults_t;

static void keep_faults(const sim_event_t *ev, void *ctx)
{
    faults_t *r = ctx;
    if (ev->kind == SIM_EV_HV && ev->a == SIM_HV_DMA_FAULT && r->n < 8)
        r->ev[r->n++] = *ev;
}

/* The addresses the rogue hard-codes are the victim's: its secret's page and its VMCB. */
Test(hv_rogue, the_rogue_aims_at_the_victims_frames)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, "rogue-dma");
    uint32_t hpa;
    cr_assert(hv_gpa_to_hpa(hv, 0, 0x3000, false, &hpa));
    cr_expect_eq(hpa, VICTIM_SECRET, "the victim's secret is at hpa 0x%x", hpa);
    cr_expect_eq(hv->ent[hv->vms[0].vcpu[0]].vmcb + 0x800, VICTIM_VMCB_SPOT);
    cr_expect_geq(VICTIM_SECRET, hv->vms[1].memory, "outside the rogue's I/O address space");
    hu_scenario_free(&sc, hv, &m);
}

Test(hv_rogue, the_iommu_blocks_each_dma_and_nothing_changes)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    static faults_t rec;
    hv_t *hv = hu_scenario(&sc, &m, "rogue-dma");
    sim_add_sink(&m, keep_faults, &rec);
    uint8_t secret[MMU_PAGE_SIZE], vmcb_spot[256];
    memcpy(secret, m.ram + VICTIM_SECRET, sizeof secret);
    memcpy(vmcb_spot, m.ram + VICTIM_VMCB_SPOT, sizeof vmcb_spot);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    cr_expect_str_eq(hv_vm_console(hv, 1), rogue_blocked);
    cr_expect_str_eq(hv_vm_console(hv, 0), "victim: my secret is 'the victim's secret'\n");
    cr_expect_arr_eq(m.ram + VICTIM_SECRET, secret, sizeof secret, "the victim's page changed");
    cr_expect_arr_eq(m.ram + VICTIM_VMCB_SPOT, vmcb_spot, sizeof vmcb_spot, "its VMCB changed");
    const iommu_t *io = &m.iommu;
    cr_assert_eq(io->log_count, 3);
    static const struct {
        uint32_t iova;
        uint8_t access;
    } want[] = {
        {VICTIM_SECRET, MMU_LOAD}, {VICTIM_SECRET, MMU_STORE}, {VICTIM_VMCB_SPOT, MMU_STORE}};
    for (unsigned i = 0; i < 3; i++) {
        const iommu_fault_t *f = &io->log[(io->log_head + i) % IOMMU_FAULT_LOG];
        cr_expect_eq(f->device, SIM_NIC_DMA_ID, "fault %u", i);
        cr_expect_eq(f->domain, hv->vms[1].vmid, "fault %u: the rogue's domain", i);
        cr_expect_eq(f->iova, want[i].iova, "fault %u: iova 0x%x", i, f->iova);
        cr_expect_eq(f->access, want[i].access, "fault %u", i);
        cr_expect_eq(f->reason, IOMMU_REASON_NOT_PRESENT, "fault %u", i);
        cr_assert_eq(rec.ev[i].vm, 1, "the hypervisor's action %u names the rogue", i);
        cr_expect_eq(rec.ev[i].b, want[i].iova);
        cr_expect_eq(rec.ev[i].pc, (uint32_t)SIM_NIC_DMA_ID << 16 | (uint32_t)want[i].access << 8 |
                                       IOMMU_REASON_NOT_PRESENT);
    }
    cr_expect_eq(rec.n, 3);
    cr_expect_eq(hv->vms[1].stats.dma_faults, 3);
    cr_expect_eq(m.cpu[0].s.irq_lines & (1u << IOMMU_IRQ), 0, "the hypervisor took the line");
    char buf[200];
    cr_expect_null(hv_check_invariants(hv, buf, sizeof buf), "%s", buf);
    hu_scenario_free(&sc, hv, &m);
}

/* The same scenario with iommu = off: every DMA goes through, the victim is robbed. */
Test(hv_rogue, without_the_iommu_the_same_dmas_succeed)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    const char *text = hv_builtin_text("rogue-dma");
    cr_assert_not_null(text);
    char *off = malloc(strlen(text) + 32);
    const char *at = strstr(text, "type = 1\n");
    cr_assert_not_null(at);
    size_t head = (size_t)(at - text) + strlen("type = 1\n");
    sprintf(off, "%.*siommu = off\n%s", (int)head, text, text + head);
    hv_t *hv = hu_scenario_text(&sc, &m, "rogue-dma-off", off);
    free(off);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    cr_expect_str_eq(hv_vm_console(hv, 1),
                     "rogue: the network card is mine; its DMA goes where I say\n"
                     "rogue: DMA read of the victim's secret at host-physical 0x00015000: done\n"
                     "rogue: it holds 'the victim's secret'\n"
                     "rogue: DMA write over the victim's secret at host-physical 0x00015000: "
                     "done\n"
                     "rogue: DMA write into the victim's VMCB at host-physical 0x00022800: "
                     "done\n");
    cr_expect_str_eq(hv_vm_console(hv, 0), "victim: my secret is '..............ROGUE WAS HERE'\n");
    cr_expect_not(m.iommu.enabled);
    cr_expect_eq(m.iommu.faults, 0);
    cr_expect_eq(memcmp(m.ram + VICTIM_VMCB_SPOT, "..............ROGUE", 19), 0,
                 "the hypervisor's memory was written");
    hu_scenario_free(&sc, hv, &m);
}

/* iommu = off needs the assigned VM's memory in one run of frames (its driver adds one base). */
Test(hv_rogue, iommu_off_refuses_memory_that_is_not_one_run)
{
    hu_expect_scenario_error("[machine]\nram = 32M\n[hypervisor]\niommu = off\n"
                             "[vm a]\nkernel = rogue.bin\nmemory = 8M\nbacking = eager\n"
                             "assign = nic0\n",
                             true,
                             "t.ini:5: error: VM a: with iommu = off its memory must be one run "
                             "of host frames for nic0");
}

/* A guest driver of the assigned card hands it a ring of malformed descriptors: a wild
 * length, a buffer beyond its memory, a buffer wrapping around 2^32. Each is marked with its
 * error and passed over, the guest goes on to power off, nothing outside it is touched. */
static const char bad_ring_src[] = "        li      r1, 0x10000\n"
                                   "        li      r2, 0x12000\n" /* 0: a wild length */
                                   "        st      r2, [r1]\n"
                                   "        li      r2, -1\n"
                                   "        st      r2, [r1 + 4]\n"
                                   "        li      r2, 0x00ff0000\n" /* 1: beyond its memory */
                                   "        st      r2, [r1 + 16]\n"
                                   "        li      r2, 60\n"
                                   "        st      r2, [r1 + 20]\n"
                                   "        li      r2, -16\n" /* 2: wrapping around 2^32 */
                                   "        st      r2, [r1 + 32]\n"
                                   "        li      r2, 60\n"
                                   "        st      r2, [r1 + 36]\n"
                                   "        out     r1, [r0 + 0x301]\n"
                                   "        li      r2, 4\n"
                                   "        out     r2, [r0 + 0x302]\n"
                                   "        li      r1, 0x10100\n"
                                   "        out     r1, [r0 + 0x305]\n"
                                   "        out     r2, [r0 + 0x306]\n"
                                   "        li      r2, 3\n" /* on, in loopback */
                                   "        out     r2, [r0 + 0x300]\n"
                                   "        out     r2, [r0 + 0x303]\n" /* all three at once */
                                   "        in      r3, [r0 + 0x304]\n"
                                   "        li      r1, 0x11000\n"
                                   "        st      r3, [r1]\n"
                                   "        out     r0, [r0 + 0xf0]\n";

Test(hv_rogue, malformed_descriptors_are_device_errors)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    hv_vm_config_t extra = {.assign_nic = true, .backing = HV_BACKING_LAZY};
    int vm = hu_vm(hv, "driver", bad_ring_src, &extra);
    uint32_t checksum = hv_image_checksum(hv);
    cr_assert_eq(hv_run(hv, 10000000), SIM_RUN_POWEROFF);
    cr_expect_eq(hu_get_word(hv, vm, 0x11000), 3, "the card went past all three");
    uint32_t err = SIM_NIC_DESC_DONE | SIM_NIC_DESC_ERROR;
    cr_expect_eq(hu_get_word(hv, vm, 0x10008), err | SIM_NIC_E_BAD_LENGTH << 8);
    cr_expect_eq(hu_get_word(hv, vm, 0x10018), err | SIM_NIC_E_DMA_BLOCKED << 8);
    cr_expect_eq(hu_get_word(hv, vm, 0x10028), err | SIM_NIC_E_DMA_BLOCKED << 8);
    cr_expect_eq(m.nic.errors, 3);
    cr_expect_eq(m.nic.tx_frames, 0);
    cr_expect_eq(hv->vms[vm].stats.dma_faults, 2);
    cr_assert_eq(m.iommu.log_count, 2);
    cr_expect_eq(m.iommu.log[m.iommu.log_head].reason, IOMMU_REASON_NOT_PRESENT);
    cr_expect_eq(m.iommu.log[(m.iommu.log_head + 1) % IOMMU_FAULT_LOG].reason,
                 IOMMU_REASON_TOO_LONG);
    cr_expect_eq(hv_image_checksum(hv), checksum, "the hypervisor's image is untouched");
    char buf[200];
    cr_expect_null(hv_check_invariants(hv, buf, sizeof buf), "%s", buf);
    hu_free(hv, &m);
}
