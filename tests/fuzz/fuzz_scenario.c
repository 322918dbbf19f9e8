/*
 * fuzz_scenario.c - the scenario loader on any INI text: parse it (relative paths are looked
 * for among the built guests), and when it parses, build the machine and run it briefly
 * (FUZZ_SCENARIO_CYCLES). The hypervisor's invariants must hold after the run.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../../hypervisor/hv_scenario.h"
#include "fuzz.h"

#define FUZZ_SCENARIO_CYCLES 300000u
/* Larger machines are parsed but not built: allocating gigabytes per input would only slow
 * the fuzzer (the sizes themselves are checked by the parser, which does run). */
#define FUZZ_SCENARIO_MAX_RAM (96u << 20)

static void run_native(const hv_scenario_t *sc)
{
    static sim_machine_t m;
    if (hv_scenario_start_native(sc, 0, &m, NULL, fuzz_null()) != 0)
        return;
    sim_run(&m, FUZZ_SCENARIO_CYCLES);
    sim_machine_free(&m);
}

static void run_hypervisor(const hv_scenario_t *sc)
{
    static sim_machine_t m;
    hv_t *hv = hv_scenario_start(sc, &m, NULL, fuzz_null());
    if (!hv)
        return;
    hv_run(hv, FUZZ_SCENARIO_CYCLES);
    char why[256];
    if (hv_check_invariants(hv, why, sizeof why))
        fuzz_fail("after a brief run: %s", why);
    hv_free(hv);
    sim_machine_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    static hv_scenario_t sc;
    if (hv_scenario_parse(&sc, "fuzz.ini", text, NULL, fuzz_guest_dir(), fuzz_null()) == 0) {
        uint64_t total = sc.ram;
        for (unsigned i = 0; i < sc.nvms; i++)
            total += sc.vm[i].memory;
        if (total <= FUZZ_SCENARIO_MAX_RAM)
            sc.native ? run_native(&sc) : run_hypervisor(&sc);
    }
    hv_scenario_free(&sc);
    free(text);
    return 0;
}
