/*
 * test_hv_migrate_ram.c - each host has its own RAM (hv_host.c, hv_rehome.c; docs/migration.md
 * "Two hosts, each with its RAM"): every frame a VM uses is its host's, a migration builds the
 * VM's structures again in the destination's RAM and gives the source's frames back, a
 * destination without room is refused (or the migration fails and the VM goes on at the
 * source), and the checker catches a VM reaching the other host's RAM.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "../../hypervisor/hv_internal.h"
#include "hv_util.h"

/* Stores into TOUCH pages from 1 MiB up, then loads the first 300 000 times, then checks them and
 * powers off with 0 (1 if a page lost its number). */
#define TOUCHER(TOUCH)                                                                             \
    ".org 0x1000\n"                                                                                \
    "        li r1, 0x100000\n"                                                                    \
    "        li r2, " #TOUCH "\n"                                                                  \
    "        li r4, 4096\n"                                                                        \
    "touch:  st r2, [r1]\n"                                                                        \
    "        add r1, r1, r4\n"                                                                     \
    "        addi r2, r2, -1\n"                                                                    \
    "        cmpi r2, 0\n"                                                                         \
    "        bne touch\n"                                                                          \
    "        li r6, 300000\n"                                                                       \
    "outer:  li r1, 0x100000\n"                                                                    \
    "        ld r3, [r1]\n"                                                                        \
    "        addi r6, r6, -1\n"                                                                    \
    "        cmpi r6, 0\n"                                                                         \
    "        bne outer\n"                                                                          \
    "        li r1, 0x100000\n"                                                                    \
    "        li r2, " #TOUCH "\n"                                                                  \
    "check:  ld r3, [r1]\n"                                                                        \
    "        cmp r3, r2\n"                                                                         \
    "        bne bad\n"                                                                            \
    "        add r1, r1, r4\n"                                                                     \
    "        addi r2, r2, -1\n"                                                                    \
    "        cmpi r2, 0\n"                                                                         \
    "        bne check\n"                                                                          \
    "        li r5, 0\n"                                                                           \
    "        out r5, [0xf0]\n"                                                                     \
    "bad:    li r5, 1\n"                                                                           \
    "        out r5, [0xf0]\n"

static sim_machine_t m;

/* Two hosts of one pCPU each (host1 with `host1_ram` bytes of the machine's 16 MiB; 0: half),
 * a VM on host 0 with 4 MiB under `cpu` and `mem` running `src`. */
static hv_t *two_hosts(const char *src, uint32_t host1_ram, hv_cpu_technique_t cpu,
                       hv_mem_technique_t mem, int *vm)
{
    hv_config_t cfg = hu_config();
    cfg.hosts = 2;
    cfg.cpu_host[1] = 1;
    cfg.host_ram[1] = host1_ram;
    cfg.link = (hv_link_t){.bandwidth = 10000, .latency = 10000, .max_rounds = 8, .stop_pages = 16};
    hv_t *hv = hu_machine(&m, 2, &cfg);
    hv_vm_config_t c = {.memory = 4u << 20, .cpu = cpu, .mem = mem, .pin = {-1}};
    *vm = hu_vm(hv, "guest", src, &c);
    cr_assert_geq(*vm, 0);
    return hv;
}

/* True when every frame the VM owns, its nested root, VMCB and monitor pages are in host h. */
static bool all_on(const hv_t *hv, int vm, unsigned h)
{
    uint32_t first, end;
    hv_host_frames(hv, h, &first, &end);
    const hv_vm_t *v = &hv->vms[vm];
    for (uint32_t f = 0; f < hv->nframes; f++)
        if (hv->owner[f] == HV_FRAME_VM(vm) && (f < first || f >= end))
            return false;
    const hv_vcpu_t *e = &hv->ent[v->vcpu[0]];
    uint32_t pages[] = {v->nested_root, e->vmcb, e->bt.state, e->bt.sites, e->bt.tc[0]};
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
        if (pages[i] && hv_frame_host(hv, pages[i] >> MMU_PAGE_SHIFT) != h)
            return false;
    return true;
}

/* The split: 8 MiB each by default; host0's frames start with the hypervisor's image. */
Test(hv_migrate_ram, the_machine_s_ram_is_split_between_the_hosts)
{
    int vm;
    hv_t *hv = two_hosts(TOUCHER(64), 0, HV_CPU_HW, HV_MEM_NESTED, &vm);
    cr_expect_eq(hv->cfg.host_ram[0], 8u << 20);
    cr_expect_eq(hv->cfg.host_ram[1], 8u << 20);
    uint32_t first, end;
    hv_host_frames(hv, 1, &first, &end);
    cr_expect_eq(first, 2048);
    cr_expect_eq(end, 4096);
    cr_expect_eq(hv_host_free_frames(hv, 1), 2048, "host1's RAM is untouched");
    cr_expect(all_on(hv, vm, 0), "the VM's frames are host0's");
    hu_free(hv, &m);

    char why[200];
    cr_expect_str_eq(hv_host_ram_refusal(12u << 20, 12u << 20, 16u << 20, why, sizeof why),
                     "host0's ram (12288 KiB) and host1's (12288 KiB) add up to 24576 KiB, but "
                     "the machine has 16384 KiB: the hosts split the machine's RAM between them");
    cr_expect_null(hv_host_ram_refusal(0, 3u << 20, 16u << 20, why, sizeof why), "host0: the rest");
}

/* Every technique: after the move all the VM's frames and structures are host1's, host0's RAM
 * has every frame back but the hypervisor's image, the guest's pages held their data, and the
 * checker (which walks nested and shadow trees) holds. */
Test(hv_migrate_ram, a_migrated_vm_lives_in_the_destination_s_ram, .timeout = 120)
{
    static const struct {
        hv_cpu_technique_t cpu;
        hv_mem_technique_t mem;
    } cases[] = {{HV_CPU_HW, HV_MEM_NESTED}, {HV_CPU_HW, HV_MEM_SHADOW},
                 {HV_CPU_EMU, HV_MEM_NESTED}, {HV_CPU_TRAP, HV_MEM_SHADOW},
                 {HV_CPU_BT, HV_MEM_SHADOW}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int vm;
        hv_t *hv = two_hosts(TOUCHER(128), 0, cases[i].cpu, cases[i].mem, &vm);
        char err[200];
        cr_assert_eq(hv_migrate_schedule(hv, (unsigned)vm, 1, 300000, err, sizeof err), 0, "%s",
                     err);
        cr_assert_eq(hv_run(hv, 400000000), SIM_RUN_POWEROFF);
        cr_expect_eq(hv->mig.state, HV_MIGRATE_DONE, "case %zu: %s", i, hv->mig.why);
        cr_expect_eq(hv->vms[vm].exit_code, 0, "case %zu: every page held its data", i);
        cr_expect(all_on(hv, vm, 1), "case %zu: the VM's frames are host1's", i);
        cr_expect_eq(hv_host_free_frames(hv, 0), 2048 - HV_RESERVED_BYTES / MMU_PAGE_SIZE,
                     "case %zu: host0 has its RAM back", i);
        char why[200];
        cr_expect_null(hv_check_invariants(hv, why, sizeof why), "case %zu: %s", i, why);
        hu_free(hv, &m);
    }
}

/* A destination too small for the VM: refused at once when the VM is that big already; when it
 * grows past it during the rounds, the migration fails and the VM goes on at the source. */
Test(hv_migrate_ram, no_room_on_the_destination_refuses_the_migration)
{
    int vm;
    hv_t *hv = two_hosts(TOUCHER(400), 1u << 20, HV_CPU_HW, HV_MEM_NESTED, &vm);
    uint64_t until = 100000;
    while (hv->vms[vm].frames < 400 && until < 5000000)
        hv_run(hv, until += 100000); /* until its 400 pages are touched */
    char err[300];
    cr_expect_eq(hv_migrate_start(hv, (unsigned)vm, 1, err, sizeof err), -1);
    cr_expect_str_eq(err, "host1 has no room for guest: its 401 pages and 3 frames of tables and "
                          "VMCBs need 404 frames of host1's RAM, 256 are free");
    cr_assert_eq(hv_run(hv, 400000000), SIM_RUN_POWEROFF);
    cr_expect_eq(hv->vms[vm].exit_code, 0);
    cr_expect_eq(hv->vms[vm].host, 0);
    hu_free(hv, &m);

    hv = two_hosts(TOUCHER(400), 1u << 20, HV_CPU_HW, HV_MEM_NESTED, &vm);
    cr_assert_eq(hv_migrate_schedule(hv, (unsigned)vm, 1, 300000, err, sizeof err), 0, "%s", err);
    cr_assert_eq(hv_run(hv, 400000000), SIM_RUN_POWEROFF);
    cr_expect_eq(hv->mig.state, HV_MIGRATE_FAILED);
    cr_expect_str_eq(hv->mig.why, "host1's RAM is full: no frame for the copy of a page",
                     "it had room at the start, and grew during the rounds");
    cr_expect_eq(hv->vms[vm].exit_code, 0, "it ran to its end at the source");
    cr_expect_eq(hv->vms[vm].host, 0);
    cr_expect_eq(hv_host_free_frames(hv, 1), 256, "host1 kept nothing of it");
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    hu_free(hv, &m);

    /* migrate_at for when it has grown: checked again at the start */
    hv = two_hosts(TOUCHER(400), 1u << 20, HV_CPU_HW, HV_MEM_NESTED, &vm);
    cr_assert_eq(hv_migrate_schedule(hv, (unsigned)vm, 1, until, err, sizeof err), 0, "%s", err);
    cr_assert_eq(hv_run(hv, 400000000), SIM_RUN_POWEROFF);
    cr_expect_eq(hv->mig.state, HV_MIGRATE_FAILED);
    cr_expect(strstr(hv->mig.why, "host1 has no room for guest: its 4") != NULL, "%s", hv->mig.why);
    cr_expect_eq(hv->vms[vm].exit_code, 0, "it ran to its end at the source");
    cr_expect_eq(hv_host_free_frames(hv, 1), 256, "host1 kept nothing of it");
    hu_free(hv, &m);
}

/* The checker: a VM owning, or a VCPU's VMCB in, a frame of the other host is caught. */
Test(hv_migrate_ram, the_checker_catches_a_vm_reaching_the_other_host)
{
    int vm;
    hv_t *hv = two_hosts(TOUCHER(16), 0, HV_CPU_HW, HV_MEM_NESTED, &vm);
    hv_run(hv, 100000);
    char why[200];
    cr_assert_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    hv_vcpu_t *e = &hv->ent[hv->vms[vm].vcpu[0]];
    uint32_t vmcb = e->vmcb, other = hv_frame_alloc(hv, 1, HV_FRAME_HV);
    e->vmcb = other;
    cr_expect_str_eq(hv_check_invariants(hv, why, sizeof why) ? why : "",
                     "VM guest runs on host0, but its VMCB is in a frame 0x00800, which is host1's");
    e->vmcb = vmcb;
    hv_frame_free(hv, other);
    uint32_t leaf = hv_nested_leaf_entry(hv, (unsigned)vm, 0x100000, false, &(bool){false});
    cr_assert_neq(leaf, 0);
    uint32_t pte = hv_read32(hv, leaf), frame = MMU_PTE_PFN(pte);
    other = hv_frame_alloc(hv, 1, (uint8_t)HV_FRAME_VM(vm));
    hv->owner[frame] = HV_FRAME_FREE;
    hv_write32(hv, leaf, MMU_PTE_MAKE(other >> MMU_PAGE_SHIFT, pte & MMU_PAGE_OFFSET));
    for (unsigned c = 0; c < hv->m->ncpus; c++) /* as a hypervisor changing a leaf would */
        mmu_invalidate(&hv->m->cpu[c].mmu, MMU_FLUSH_VM, hv->vms[vm].vmid, 0, 0);
    char want[120];
    snprintf(want, sizeof want, "VM guest runs on host0, but owns frame 0x%05x, which is host1's",
             other >> MMU_PAGE_SHIFT);
    cr_expect_str_eq(hv_check_invariants(hv, why, sizeof why) ? why : "", want);
    hu_free(hv, &m);
}

/* Scenario keys: [host.N] ram, with the line of what is wrong. */
Test(hv_migrate_ram, host_ram_errors_name_the_line)
{
#define HOSTS(R0, R1)                                                                              \
    "[machine]\npcpus = 2\nram = 32M\n[host.0]\npcpus = 0\n" R0 "[host.1]\npcpus = 1\n" R1         \
    "[vm a]\nkernel = x.s\n"
    static const struct {
        const char *text, *want;
    } cases[] = {
        {HOSTS("ram = 20M\n", "ram = 20M\n"),
         "t.ini:9: error: [host.1] ram: host0's ram (20480 KiB) and host1's (20480 KiB) add up to "
         "40960 KiB, but the machine has 32768 KiB: the hosts split the machine's RAM between "
         "them\n"},
        {HOSTS("", "ram = 32M\n"),
         "t.ini:8: error: [host.1] ram: host0 needs at least 1088 KiB of ram (its hypervisor's "
         "image and 1 MiB) and host1 at least 1 MiB, of the machine's 32768 KiB\n"},
        {HOSTS("ram = 3000\n", ""),
         "t.ini:6: error: ram = '3000': it must be a size in bytes from 1M to"},
        {HOSTS("memory = 3M\n", ""),
         "t.ini:6: error: unknown key 'memory' in [host.0] (known: pcpus, ram)\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL;
        size_t len = 0;
        FILE *diag = open_memstream(&out, &len);
        hv_scenario_t sc;
        cr_expect_eq(hv_scenario_parse(&sc, "t.ini", cases[i].text, ".", ".", diag), -1);
        fclose(diag);
        cr_expect(strstr(out, cases[i].want), "case %zu: %s", i, out);
        hv_scenario_free(&sc);
        free(out);
    }
}
