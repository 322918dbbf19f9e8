/*
 * fuzz_cpu.c - random 4 KiB guest images. The first byte of the input picks how the rest
 * (zero-padded to 4 KiB, loaded at 0x1000) runs for a bounded number of cycles:
 *   0, 1      bare, in K or in U;
 *   2 and on  as a VM under one technique pair and one hypervisor type (every pair the
 *             hypervisor runs, under type 1 and type 2), on its own pCPU beside a victim VM.
 * The victim must print exactly what it prints alone (what it printed so far, when the
 * cycles run out first), and the hypervisor's invariants must
 * hold after the run. Nothing the image does may crash or hang the simulator.
 *
 * HVSIM_FUZZ_BREAK=NAME in the environment breaks the hypervisor on purpose (hv_break.h:
 * shared-frame, hv-frame, stale-tlb) while the image runs: the test that proves this check
 * fires on a broken hypervisor (tests/hypervisor/test_hv_break.c) sets it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv.h"
#include "../support/hv_break.h"
#include "fuzz.h"

#define FUZZ_IMAGE_BYTES 4096u
#define FUZZ_CPU_CYCLES 200000u
#define FUZZ_VM_MEMORY (1u << 20)

/* The victim counts down and prints one line a step, then powers its VM off. */
static const char victim_src[] = ".org 0x1000\n"
                                 "        li r5, 5\n"
                                 "step:   li r1, 'v'\n"
                                 "        out r1, [0x3f8]\n"
                                 "        addi r1, r5, '0'\n"
                                 "        out r1, [0x3f8]\n"
                                 "        li r1, 10\n"
                                 "        out r1, [0x3f8]\n"
                                 "        addi r5, r5, -1\n"
                                 "        cmpi r5, 0\n"
                                 "        bne step\n"
                                 "        out r0, [0xf0]\n";
static const char victim_says[] = "v5\nv4\nv3\nv2\nv1\n";

typedef struct {
    hv_type_t type;
    unsigned cpu, mem;
} fuzz_setup_t;

/* The VM set-ups: every pair hv_technique_refusal allows, under type 1 then type 2. */
static unsigned vm_setups(fuzz_setup_t *out, unsigned max)
{
    unsigned n = 0;
    for (hv_type_t t = HV_TYPE1; t <= HV_TYPE2; t++)
        for (unsigned c = 0; c < HV_CPU_TECHNIQUE_COUNT; c++)
            for (unsigned mm = 0; mm < HV_MEM_TECHNIQUE_COUNT; mm++)
                if (!hv_technique_refusal(c, mm) && n < max)
                    out[n++] = (fuzz_setup_t){t, c, mm};
    return n;
}

static void run_bare(const uint8_t *image, bool user)
{
    static sim_machine_t m;
    if (sim_machine_init(&m, 1u << 20, 1) != 0)
        fuzz_fail("cannot build the machine");
    sim_console_set_output(&m, NULL);
    sim_load(&m, CPU_RESET_PC, image, FUZZ_IMAGE_BYTES);
    if (user)
        m.cpu[0].s.flags &= ~CPU_FLAG_MODE_MASK;
    sim_run(&m, FUZZ_CPU_CYCLES);
    sim_machine_free(&m);
}

/* A VM running a flat program at 0x1000 on pCPU `pcpu`. */
static int add_vm(hv_t *hv, const char *name, const fuzz_setup_t *s, unsigned pcpu,
                  const uint8_t *prog, size_t len)
{
    hv_vm_config_t c = {.name = name,
                        .vcpus = 1,
                        .memory = FUZZ_VM_MEMORY,
                        .cpu = s->cpu,
                        .mem = s->mem,
                        .program = prog,
                        .program_len = len,
                        .program_base = CPU_RESET_PC};
    for (unsigned i = 0; i < HV_MAX_VCPUS; i++)
        c.pin[i] = -1;
    c.pin[0] = (int)pcpu;
    char err[256];
    int vm = hv_vm_create(hv, &c, err, sizeof err);
    if (vm < 0)
        fuzz_fail("VM %s (%s/%s): %s", name, hv_cpu_technique_name(s->cpu),
                  hv_mem_technique_name(s->mem), err);
    return vm;
}

static void run_vm(const uint8_t *image, const fuzz_setup_t *s, const cpu_asm_result_t *victim)
{
    static sim_machine_t m;
    if (sim_machine_init(&m, 16u << 20, 2) != 0)
        fuzz_fail("cannot build the machine");
    sim_console_set_output(&m, NULL);
    hv_config_t cfg = {.type = s->type, .sched = HV_SCHED_PIN};
    char err[256];
    hv_t *hv = hv_new(&m, &cfg, err, sizeof err);
    if (!hv)
        fuzz_fail("hv_new: %s", err);
    fuzz_setup_t plain = {s->type, HV_CPU_HW, HV_MEM_NESTED};
    int v = add_vm(hv, "victim", &plain, 1, victim->bytes, victim->size);
    int a = add_vm(hv, "attacker", s, 0, image, FUZZ_IMAGE_BYTES);
    static hv_break_ctx_t broken;
    const char *name = getenv("HVSIM_FUZZ_BREAK");
    if (name && hv_break_by_name(name) < 0)
        fuzz_fail("HVSIM_FUZZ_BREAK=%s: not a break (hv_break.h)", name);
    if (name) {
        broken = (hv_break_ctx_t){
            .what = (hv_break_t)hv_break_by_name(name), .attacker = a, .victim = v};
        hv_break_install(hv, &broken);
    }
    hv_run(hv, FUZZ_CPU_CYCLES);
    /* A victim still running when the cycles ran out has printed a prefix of its lines. */
    const char *said = hv_vm_console(hv, (unsigned)v);
    bool done = hv->vms[v].state == HV_VM_OFF;
    if (done ? strcmp(said, victim_says) != 0 : strncmp(said, victim_says, strlen(said)) != 0)
        fuzz_fail("type %d, %s/%s: the victim printed \"%s\", not \"%s\"", s->type,
                  hv_cpu_technique_name(s->cpu), hv_mem_technique_name(s->mem), said, victim_says);
    char why[256];
    if (hv_check_invariants(hv, why, sizeof why))
        fuzz_fail("type %d, %s/%s: %s", s->type, hv_cpu_technique_name(s->cpu),
                  hv_mem_technique_name(s->mem), why);
    hv_free(hv);
    sim_machine_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cpu_asm_result_t victim;
    static fuzz_setup_t setups[2 * HV_CPU_TECHNIQUE_COUNT * HV_MEM_TECHNIQUE_COUNT];
    static unsigned nsetups;
    if (!victim.bytes) {
        if (cpu_asm_string("victim.s", victim_src, stderr, &victim) != 0)
            fuzz_fail("the victim does not assemble");
        nsetups = vm_setups(setups, sizeof setups / sizeof setups[0]);
    }
    if (size == 0)
        return 0;
    uint8_t image[FUZZ_IMAGE_BYTES] = {0};
    memcpy(image, data + 1, size - 1 < FUZZ_IMAGE_BYTES ? size - 1 : FUZZ_IMAGE_BYTES);
    unsigned pick = data[0] % (2 + nsetups);
    if (pick < 2)
        run_bare(image, pick == 1);
    else
        run_vm(image, &setups[pick - 2], &victim);
    return 0;
}
