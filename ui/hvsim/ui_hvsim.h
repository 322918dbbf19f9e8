/*
 * ui_hvsim.h - what the hvsim command's own files share.
 */
#ifndef HVSIM_UI_HVSIM_H
#define HVSIM_UI_HVSIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../../sim/sim.h"

typedef struct {
    const char *program; /* .s or .bin */
    const char *input;   /* console input file, or NULL */
    uint64_t max_cycles;
    uint32_t ram_size;
    uint32_t base;       /* load address of a .bin */
    bool stats, trace;
} ui_bare_options_t;

/* Runs a program on the bare machine; returns the process exit status. */
int ui_run_bare(const ui_bare_options_t *opt);

struct sim_machine;
/* Runs a loaded machine headless with opt's trace, cycle limit and statistics; says why when
 * it did not power off. Returns the exit status: the guest's code, 124 (cycle limit) or 125
 * (idle for ever). Used by --bare and --scenario. */
int ui_run_machine(struct sim_machine *m, const ui_bare_options_t *opt);
/* Feeds a file to the console as keyboard input; -1 (after a message) when it cannot be read. */
int ui_load_input(struct sim_machine *m, const char *path);

/* `hvsim --scenario NAME` (scenario.c): a built-in scenario, headless. opt->program is unused;
 * opt->ram_size 0 means the scenario's own. Returns the exit status. */
int ui_run_scenario(const char *name, const ui_bare_options_t *opt, const char *argv0);
/* Builds the machine of a built-in scenario (ROM, disk, console input) without running it;
 * with syms, also the symbols of its ROM, loader and kernel (sorted; free with cpu_syms_free).
 * Returns 0, or the exit status after a message (the machine is then freed). */
int ui_scenario_prepare(struct sim_machine *m, const char *name, const ui_bare_options_t *opt,
                        const char *argv0, cpu_symbol_t **syms, size_t *nsyms);
/* `hvsim --list-scenarios`: one line per built-in scenario. */
void ui_list_scenarios(FILE *out);
/* `hvsim walkdemo`: one cold page walk, printed reference by reference (walkdemo.c). */
int ui_cmd_walkdemo(int argc, char **argv);
/* Parses "123", "0x10", "64K", "16M". */
bool ui_parse_size(const char *text, uint64_t *out);

#endif
