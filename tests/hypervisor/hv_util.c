/*
 * hv_util.c - machines with the hypervisor for the hypervisor suites (see hv_util.h).
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "../support/harness.h"
#include "hv_util.h"
#include "hw_util.h"

hv_config_t hu_config(void)
{
    return (hv_config_t){.type = HV_TYPE1, .sched = HV_SCHED_PIN};
}

hv_t *hu_machine(sim_machine_t *m, unsigned ncpus, const hv_config_t *cfg)
{
    cr_assert_eq(sim_machine_init(m, HU_RAM, ncpus), 0);
    sim_console_set_output(m, NULL);
    char err[200] = "";
    hv_t *hv = hv_new(m, cfg, err, sizeof err);
    cr_assert_not_null(hv, "%s", err);
    return hv;
}

int hu_vm(hv_t *hv, const char *name, const char *src, const hv_vm_config_t *extra)
{
    cpu_asm_result_t res;
    hw_assemble(src, &res);
    hv_vm_config_t c = extra ? *extra : (hv_vm_config_t){0};
    c.name = name;
    if (!c.vcpus)
        c.vcpus = 1;
    if (!c.memory)
        c.memory = 1u << 20;
    for (unsigned i = 0; i < HV_MAX_VCPUS && !extra; i++)
        c.pin[i] = -1;
    c.program = res.bytes;
    c.program_len = res.size;
    c.program_base = res.base;
    char err[200] = "";
    int vm = hv_vm_create(hv, &c, err, sizeof err);
    cpu_asm_free(&res);
    cr_assert_geq(vm, 0, "%s", err);
    return vm;
}

void hu_free(hv_t *hv, sim_machine_t *m)
{
    hv_free(hv);
    sim_machine_free(m);
}

hv_t *hu_scenario(hv_scenario_t *sc, sim_machine_t *m, const char *name)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/guestos", th_build_dir());
    cr_assert_eq(hv_scenario_load(sc, name, dir, stderr), 0, "scenario %s", name);
    hv_t *hv = hv_scenario_start(sc, m, NULL, stderr);
    cr_assert_not_null(hv, "scenario %s", name);
    return hv;
}

hv_t *hu_scenario_text(hv_scenario_t *sc, sim_machine_t *m, const char *name, const char *text)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/guestos", th_build_dir());
    cr_assert_eq(hv_scenario_parse(sc, name, text, NULL, dir, stderr), 0, "scenario %s", name);
    hv_t *hv = hv_scenario_start(sc, m, NULL, stderr);
    cr_assert_not_null(hv, "scenario %s", name);
    return hv;
}

void hu_scenario_free(hv_scenario_t *sc, hv_t *hv, sim_machine_t *m)
{
    hv_free(hv);
    sim_machine_free(m);
    hv_scenario_free(sc);
}
