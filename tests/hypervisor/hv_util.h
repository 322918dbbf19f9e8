/*
 * hv_util.h - what the hypervisor suites share: a machine run by the hypervisor with VMs made
 * from small guest programs written in the test (assembled from strings).
 */
#ifndef HVSIM_TEST_HV_UTIL_H
#define HVSIM_TEST_HV_UTIL_H

#include "../../hypervisor/hv_scenario.h"

#define HU_RAM (16u << 20)

/* A machine of `ncpus` CPUs and HU_RAM bytes with the hypervisor on it (console lines are
 * kept, not printed). */
hv_t *hu_machine(sim_machine_t *m, unsigned ncpus, const hv_config_t *cfg);
/* A VM running `src` (assembled; loaded at its base; 1 MiB of memory unless cfg says). */
int hu_vm(hv_t *hv, const char *name, const char *src, const hv_vm_config_t *extra);
/* The default configuration: type 1, pinning. */
hv_config_t hu_config(void);
/* A copy of a machine for hv_clone: its own RAM, console and disk; pointers rebuilt; no sinks. */
void hu_copy_machine(sim_machine_t *dst, const sim_machine_t *src);
/* A word of a VM's guest-physical memory, written or read through the hypervisor (the test
 * fails when the address is not the VM's). */
void hu_put_word(hv_t *hv, int vm, uint32_t gpa, uint32_t value);
uint32_t hu_get_word(hv_t *hv, int vm, uint32_t gpa);
/* The hypervisor's statistics (hv_print_stats) as one malloc'd text. */
char *hu_stats_text(const hv_t *hv);
/* Frees the hypervisor and the machine. */
void hu_free(hv_t *hv, sim_machine_t *m);
/* Loads a built-in scenario (the guests from $HVSIM_BUILD/guestos) and starts it, console
 * lines kept, not printed. The test fails when it cannot. */
hv_t *hu_scenario(hv_scenario_t *sc, sim_machine_t *m, const char *name);
/* The same with every VM's backing set to `backing` (an hv_backing_t; -1: the scenario's). */
hv_t *hu_scenario_backed(hv_scenario_t *sc, sim_machine_t *m, const char *name, int backing);
/* The same with [hypervisor] shadow_sync = trace when `trace` is set. */
hv_t *hu_scenario_traced(hv_scenario_t *sc, sim_machine_t *m, const char *name, int backing,
                         bool trace);
/* What a test changes in a built-in scenario: every VM's backing and memory technique (-1: the
 * scenario's), shadow_sync = trace. */
typedef struct {
    int backing, mem;
    bool trace;
} hu_override_t;
hv_t *hu_scenario_with(hv_scenario_t *sc, sim_machine_t *m, const char *name, hu_override_t o);
/* The same for scenario text written in the test (`name` in messages). */
hv_t *hu_scenario_text(hv_scenario_t *sc, sim_machine_t *m, const char *name, const char *text);
/* Scenario text written in the test ("t.ini") that parses (parse_ok) or not, and then fails to
 * start: the messages must hold `want`. */
void hu_expect_scenario_error(const char *text, bool parse_ok, const char *want);
/* Frees what hu_scenario made. */
void hu_scenario_free(hv_scenario_t *sc, hv_t *hv, sim_machine_t *m);

/* A transcript with its timing taken out (malloc'd): lines reporting cycles dropped, the
 * rtos's hypervisor detection masked, lines of concurrent programs sorted. */
char *hu_untimed(const char *text);
/* Runs a built-in scenario, then each of its VMs natively: every transcript must equal the
 * native one but for timing lines (the test fails where not), and the invariants hold. */
void hu_transcripts_equal_native(const char *scenario);
/* The same with every VM's memory backed as `backing` says (-1: as the scenario says). */
void hu_transcripts_equal_native_backed(const char *scenario, int backing);
/* The same with [hypervisor] shadow_sync = trace when `trace` is set. */
void hu_transcripts_equal_native_traced(const char *scenario, int backing, bool trace);
/* The same with what `o` changes (every VM under shadow paging, say). */
void hu_transcripts_equal_native_with(const char *scenario, hu_override_t o);
/* The same for a started scenario sc (hv): runs it to its end and compares; the caller frees. */
void hu_transcripts_equal_native_run(const char *scenario, const hv_scenario_t *sc, hv_t *hv);

#endif
