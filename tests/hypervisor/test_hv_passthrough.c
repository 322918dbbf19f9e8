/*
 * test_hv_passthrough.c - the physical network card assigned to a VM (hypervisor/
 * hv_passthrough.c): the guest's own driver reaches the card with no exit, the card's DMA is
 * translated by the IOMMU through the VM's I/O page table (the same frames as its nested map,
 * nothing else), its interrupt is posted to the VM; and what `assign` refuses.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv_internal.h"
#include "../support/harness.h"
#include "hv_util.h"

/* The passthrough scenario: tinyos pings the peer host through the card it owns. The
 * transcript is the same as natively, timing aside. */
Test(hv_passthrough, the_scenario_pings_the_peer_with_no_exit_for_the_card)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, "passthrough");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    const char *con = hv_vm_console(hv, 0);
    cr_expect(strstr(con, "ping 02:00:00:00:00:fe: pong from peer (02:00:00:00:00:fe) in 7677 "
                          "cycles\n"),
              "%s", con);
    cr_expect(strstr(con, "ping ff:ff:ff:ff:ff:ff: pong from peer"), "%s", con);
    const hv_vm_t *v = &hv->vms[0];
    cr_expect_eq(v->stats.io_exits[HV_IO_NIC], 0, "no register access of the card exits");
    cr_expect_gt(v->stats.io_exits[HV_IO_CONSOLE] + v->stats.io_exits[HV_IO_DISK], 0,
                 "the other devices still exit");
    cr_expect_eq(m.nic.tx_frames, 4);
    cr_expect_eq(m.nic.rx_frames, 4);
    cr_expect(m.iommu.enabled);
    cr_expect_eq(m.iommu.stats.translations, 24, "every DMA page went through the I/O table");
    cr_expect_eq(m.iommu.stats.blocked, 0);
    cr_expect_eq(hv->uplink.rings, 0u, "the hypervisor's own driver never touched the card");
    hu_scenario_free(&sc, hv, &m);
}

Test(hv_passthrough, transcript_equals_native)
{
    hu_transcripts_equal_native("passthrough");
}

/* The card's context and I/O page table: every page of the VM at its guest-physical address
 * maps the frame its nested map gives, and the first address past its memory maps nothing. */
Test(hv_passthrough, io_page_table_mirrors_the_nested_map)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, "passthrough");
    const hv_vm_t *v = &hv->vms[0];
    const iommu_context_t *c = &m.iommu.ctx[SIM_NIC_DMA_ID];
    cr_assert(c->valid && c->translate);
    cr_expect_eq(c->domain, v->vmid);
    cr_expect_eq(c->root_pfn, v->io_root >> MMU_PAGE_SHIFT);
    cr_expect_eq(hv->owner[v->io_root >> MMU_PAGE_SHIFT], HV_FRAME_HV);
    for (uint32_t gpa = 0; gpa < v->memory; gpa += MMU_PAGE_SIZE) {
        uint32_t hpa = 0, pa = 0;
        iommu_reason_t why;
        cr_assert(hv_gpa_to_hpa(hv, 0, gpa + 0x123, false, &hpa), "gpa 0x%x is pinned", gpa);
        cr_assert_eq(iommu_translate(&m, SIM_NIC_DMA_ID, gpa + 0x123, MMU_STORE, &pa, &why),
                     IOMMU_OK, "iova 0x%x", gpa);
        cr_assert_eq(pa, hpa, "iova 0x%x: 0x%x, its nested map says 0x%x", gpa, pa, hpa);
    }
    uint32_t pa;
    iommu_reason_t why;
    cr_expect_eq(iommu_translate(&m, SIM_NIC_DMA_ID, v->memory, MMU_LOAD, &pa, &why),
                 IOMMU_BLOCKED);
    cr_expect_eq(why, IOMMU_REASON_NOT_PRESENT);
    cr_expect_eq(iommu_translate(&m, SIM_NIC_DMA_ID, 0xfffff000u, MMU_LOAD, &pa, &why),
                 IOMMU_BLOCKED);
    uint32_t vmcb = hv->ent[v->vcpu[0]].vmcb;
    cr_expect(cpu_vmcb_peek(&m.cpu[0], vmcb, CPU_VMCB_CONTROLS) & CPU_VMCTL_PORTS);
    cr_expect_eq(cpu_vmcb_peek(&m.cpu[0], vmcb, CPU_VMCB_PORT_FIRST), SIM_NIC_PORT);
    cr_expect_eq(cpu_vmcb_peek(&m.cpu[0], vmcb, CPU_VMCB_PORT_COUNT), SIM_NIC_NREGS);
    hu_scenario_free(&sc, hv, &m);
}

/* Destroying the VM gives the card back: no context, the table's frames back in the pool. */
Test(hv_passthrough, destroy_releases_the_card)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, "passthrough");
    uint32_t root = hv->vms[0].io_root;
    hv_vm_destroy(hv, 0);
    cr_expect_not(m.iommu.ctx[SIM_NIC_DMA_ID].valid);
    cr_expect_eq(hv->owner[root >> MMU_PAGE_SHIFT], HV_FRAME_FREE);
    cr_expect_eq(hv_passthrough_nic_vm(hv), -1);
    char buf[200];
    cr_expect_null(hv_check_invariants(hv, buf, sizeof buf), "%s", buf);
    hu_scenario_free(&sc, hv, &m);
}

typedef struct {
    const char *name, *hypervisor, *vms, *want;
} refusal_t;

#define PT_VM(name, extra)                                                                         \
    "[vm " name                                                                                    \
    "]\nimage = tinyos.img\nmemory = 8M\ncpu = hw\nmem = nested\nassign = nic0\n" extra "\n"

static refusal_t refusals[] = {
    {"cpu = trap", "", PT_VM("a", "cpu = trap\n"), "assign = nic0 needs cpu = hw and mem = nested"},
    {"mem = shadow", "", PT_VM("a", "mem = shadow\n"), "assign = nic0 needs cpu = hw"},
    {"resident_max", "", PT_VM("a", "resident_max = 4M\n"), "cannot be below its memory"},
    {"sharing", "sharing = on\n", PT_VM("a", ""), "sharing = on would move its frames"},
    {"twice", "", PT_VM("a", "") PT_VM("b", ""), "VM b: nic0 is already assigned to another VM"},
};

ParameterizedTestParameters(hv_passthrough, refused)
{
    TH_ROW_INDICES(sizeof refusals / sizeof refusals[0]);
}

ParameterizedTest(size_t *i, hv_passthrough, refused)
{
    const refusal_t *r = &refusals[*i];
    char text[1024];
    snprintf(text, sizeof text, "[machine]\nram = 48M\n[hypervisor]\n%s\n%s", r->hypervisor,
             r->vms);
    hu_expect_scenario_error(text, true, r->want);
}

Test(hv_passthrough, only_nic0_can_be_assigned)
{
    hu_expect_scenario_error(PT_VM("a", "assign = disk0\n"), false,
                             "t.ini:7: error: assign = 'disk0': the one device that can be "
                             "assigned is nic0");
}
