/*
 * hw_util.c - a hand-built guest for the ring -1 hardware suites (see hw_util.h).
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "hw_util.h"

static void put_word(sim_machine_t *m, uint32_t hpa, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        m->ram[hpa + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_word(const sim_machine_t *m, uint32_t hpa)
{
    return (uint32_t)m->ram[hpa] | (uint32_t)m->ram[hpa + 1] << 8 |
           (uint32_t)m->ram[hpa + 2] << 16 | (uint32_t)m->ram[hpa + 3] << 24;
}

void hw_assemble(const char *src, cpu_asm_result_t *out)
{
    char *diag = NULL;
    size_t diag_len = 0;
    FILE *d = open_memstream(&diag, &diag_len);
    int rc = cpu_asm_string("guest.s", src, d, out);
    fclose(d);
    cr_assert_eq(rc, 0, "the guest program does not assemble:\n%s", diag);
    free(diag);
}

void hw_setup(sim_machine_t *m, const char *src, uint32_t controls)
{
    cr_assert_eq(sim_machine_init(m, HW_RAM, 1), 0);
    sim_console_set_output(m, NULL);
    cpu_set_hypervisor_mode(&m->cpu[0]);
    mmu_builder_t nb;
    cr_assert(mmu_build_init(&nb, m, 2, 0, 0x300, 0x3f0));
    cr_assert(mmu_build_map_range(&nb, 0, HW_GUEST_HPA, HW_GUEST_RAM,
                                  MMU_PTE_R | MMU_PTE_W | MMU_PTE_X));
    cpu_asm_result_t res;
    hw_assemble(src, &res);
    cr_assert(res.base + res.size <= HW_GUEST_RAM);
    cr_assert_eq(sim_load(m, HW_GUEST_HPA + res.base, res.bytes, res.size), 0);
    hw_set_vmcb(m, CPU_VMCB_REV, CPU_VMCB_REVISION);
    hw_set_vmcb(m, CPU_VMCB_VM_LABEL, 0);
    hw_set_vmcb(m, CPU_VMCB_VCPU_ID, 0);
    hw_set_vmcb(m, CPU_VMCB_CONTROLS, controls);
    hw_set_vmcb(m, CPU_VMCB_VMID, HW_VMID);
    hw_set_vmcb(m, CPU_VMCB_NESTED_ENABLE, 1);
    hw_set_vmcb(m, CPU_VMCB_NESTED_LEVELS, 2);
    hw_set_vmcb(m, CPU_VMCB_NESTED_ROOT, nb.root_pfn << MMU_PAGE_SHIFT);
    hw_set_vmcb(m, CPU_VMCB_GUEST + CPU_VMCB_PC, res.base);
    hw_set_vmcb(m, CPU_VMCB_GUEST + CPU_VMCB_FLAGS, (uint32_t)CPU_MODE_K << CPU_FLAG_MODE_SHIFT);
    hw_set_vmcb(m, CPU_VMCB_GUEST + CPU_VMCB_CSR(CPU_CSR_IM), 0xffff);
    hw_set_vmcb(m, CPU_VMCB_GUEST + CPU_VMCB_R(CPU_REG_SP), 0x80000);
    cpu_asm_free(&res);
}

uint32_t hw_vmcb(const sim_machine_t *m, uint32_t offset)
{
    return get_word(m, HW_VMCB + offset);
}

void hw_set_vmcb(sim_machine_t *m, uint32_t offset, uint32_t value)
{
    put_word(m, HW_VMCB + offset, value);
}

uint32_t hw_guest_reg(const sim_machine_t *m, unsigned reg)
{
    return hw_vmcb(m, CPU_VMCB_GUEST + CPU_VMCB_R(reg));
}

cpu_stop_t hw_enter_run(sim_machine_t *m, uint64_t budget)
{
    cpu_t *cpu = &m->cpu[0];
    bool ok = cpu_vm_enter(cpu, HW_VMCB, 0);
    char why[300] = "";
    if (!ok)
        cpu_vm_entry_error(cpu, why, sizeof why);
    cr_assert(ok, "%s", why);
    return cpu_run(cpu, budget);
}
