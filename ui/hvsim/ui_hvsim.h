/*
 * ui_hvsim.h - what the hvsim command's own files share.
 */
#ifndef HVSIM_UI_HVSIM_H
#define HVSIM_UI_HVSIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../debug/ui_debug.h"

typedef struct {
    const char *program; /* .s or .bin */
    const char *input;   /* console input file, or NULL */
    uint64_t max_cycles;
    uint32_t ram_size;
    uint32_t base;       /* load address of a .bin */
    bool stats, trace;
    const char *trace_out; /* a native scenario's Chrome/Perfetto trace, or NULL */
} ui_bare_options_t;

/* Runs a program on the bare machine; returns the process exit status. */
int ui_run_bare(const ui_bare_options_t *opt);

struct sim_machine;
/* Runs a loaded machine headless with opt's trace, cycle limit and statistics; says why when
 * it did not power off. Returns the exit status: the guest's code, 124 (cycle limit) or 125
 * (idle for ever). Used by --bare and --scenario. */
int ui_run_machine(struct sim_machine *m, const ui_bare_options_t *opt);
/* The --trace sink: one event a line on stderr. main makes stdout line-buffered first, so that
 * the console's characters come out as whole lines and never inside a trace line. */
void ui_trace_events(struct sim_machine *m);

/* `hvsim --scenario NAME` (scenario.c): a built-in scenario, headless. opt->program is unused;
 * opt->ram_size 0 means the scenario's own. Returns the exit status. */
int ui_run_scenario(const char *name, const ui_bare_options_t *opt, const char *argv0);
/* Builds the machine of a built-in scenario (ROM, disk, console input) without running it;
 * with syms, also the symbols of its ROM, loader and kernel (sorted; free with cpu_syms_free).
 * Returns 0, or the exit status after a message (the machine is then freed). */
int ui_scenario_prepare(struct sim_machine *m, const char *name, const ui_bare_options_t *opt,
                        const char *argv0, cpu_symbol_t **syms, size_t *nsyms);
/* Adds the symbols of dir/file (a .sym) to *syms, sorted; a missing file adds nothing.
 * Returns -1 after a message when the file is bad. */
int ui_add_symbols(const char *dir, const char *file, cpu_symbol_t **syms, size_t *nsyms);
/* A native built-in scenario (native-tinyos, native-rtos): the VM of "default" it runs, or NULL
 * for any other name. */
const char *ui_native_scenario_vm(const char *name);
/* Runs a machine built by hv_scenario_start_native (VM `vm` alone, no hypervisor) as
 * ui_run_machine does, and writes opt->trace_out, a trace in the layout of the hypervisor's
 * (hv_native_trace_start). Returns the exit status. */
int ui_run_native(struct sim_machine *m, const char *vm, const ui_bare_options_t *opt);
/* `hvsim --list-scenarios`: one line per built-in scenario. */
void ui_list_scenarios(FILE *out);
/* The path of NAME beside the running hvsim binary (argv0 may be NULL). */
void ui_beside_exe(const char *argv0, const char *name, char *buf, size_t len);
/* The directory of the built guests: "guestos" beside the running hvsim binary. */
void ui_guest_dir(const char *argv0, char *buf, size_t len);

/* Scenarios under the hypervisor (hv_run.c): a built-in one (hypervisor/hv_scenario_builtin.c)
 * or an INI file, run headless: each VM's console lines prefixed with its name, then the
 * statistics. */
typedef struct {
    const char *scenario;  /* NULL: "default" */
    const char *trace_out; /* a Chrome/Perfetto JSON trace, or NULL */
    const char *pcap_out;  /* a .pcap capture of the virtual switch, or NULL */
    const char *migration_plot; /* a PNG of the live migration's rounds, or NULL */
    const char *sharing_plot;   /* a PNG of the sharing ratio over the run, or NULL */
    uint64_t max_cycles;   /* 0: the scenario's */
    bool stats;            /* also the machine's own statistics (stderr) */
    bool trace;            /* every event on stderr */
    bool vs_native;        /* run each VM natively too, and compare */
    const char *argv0;
} ui_hv_options_t;
/* The sharing ratio over a run (sharing_plot.c): start records each page-sharing scanner pass
 * from m's event stream (NULL after a message); plot stops recording, draws the ratio at each
 * twelfth of [0, end] cycles as a PNG and frees the series: 0, or 1 after "PATH: error: ...". */
typedef struct ui_sharing_series ui_sharing_series_t;
ui_sharing_series_t *ui_sharing_series_start(sim_machine_t *m);
int ui_sharing_series_plot(sim_machine_t *m, ui_sharing_series_t *s, const char *path,
                           uint64_t end);
/* Runs a hypervisor's machine to its end (or max_cycles) and prints why it stopped when not
 * every VM powered off, then the statistics (the machine's too on stderr with `stats`).
 * Returns the exit status: the machine's code, 124 (cycle limit) or 125 (idle for ever). */
struct hv;
int ui_hv_run_to_end(struct hv *hv, uint64_t max_cycles, bool stats);
/* `hvsim --restore FILE` (restore.c): the machine a snapshot holds, run headless to its end,
 * or under the debugger (repl, or script) with the symbols of its scenario when it names one.
 * Returns the exit status. */
int ui_run_restore(const char *path, const ui_bare_options_t *opt, bool repl, const char *script,
                   const char *argv0);
/* True when `name` is a hypervisor scenario: a built-in one, or a file that exists. */
bool ui_hv_is_scenario(const char *name);
/* Runs it; returns the exit status (0: every VM powered off with 0). */
int ui_run_hv(const ui_hv_options_t *opt);
/* The hypervisor's built-in scenarios, one line each (after ui_list_scenarios' lines). */
void ui_hv_list_scenarios(FILE *out);
/* A hypervisor scenario under the debugger (hv_debug.c). ui_hv_prepare loads and starts it
 * without running (VM console lines "[name] line" to `console`, NULL: kept only) and attaches
 * a debugger with each VM's symbols (its ROM's, loader's and kernel's .sym beside its image);
 * returns the debugger, or NULL after a message (nothing is left to free). ui_hv_release frees
 * what it made. The debugger can rebuild the scenario from cycle 0 (ui_dbg_restart) as long as
 * the session struct stays where it is. */
typedef struct {
    /* The machine's hypervisor is hv_of_machine(m): a restored snapshot replaces it. */
    ui_dbg_t *dbg;
    sim_machine_t *m;
    uint64_t max_cycles;   /* the scenario's */
    char name[64];
    FILE *console; /* where VM console lines go (kept for a restart) */
} ui_hv_session_t;
int ui_hv_prepare(ui_hv_session_t *s, const char *scenario, const char *argv0, FILE *console);
void ui_hv_release(ui_hv_session_t *s);
/* A debugger session on a machine (hv_debug.c): the commands of `script` (an open file,
 * called script_name in errors), or of a terminal with readline after printing `banner`, or
 * of stdin without prompt. Returns the exit status: the machine's exit code when it powered
 * off, else 1 when a command of the script failed, else 0. */
int ui_debug_session(sim_machine_t *m, ui_dbg_t *dbg, FILE *script, const char *script_name,
                     bool terminal, const char *banner);
/* Opens a debugger script; NULL after a message. */
FILE *ui_open_script(const char *script);
/* `hvsim --repl --scenario native-NAME` (scenario.c): a native scenario under the debugger. */
int ui_native_repl(const char *name, const char *script, bool terminal,
                   const ui_bare_options_t *opt, const char *argv0);
/* `hvsim --repl --scenario NAME` and `hvsim -x SCRIPT --scenario NAME`. */
int ui_hv_repl(const char *scenario, const char *script, bool terminal, uint64_t max_cycles,
               const char *argv0);
/* `hvsim scenario show NAME`: a built-in scenario as an INI file (hv_run.c). */
int ui_cmd_scenario(const char *argv0, int argc, char **argv);
/* `hvsim walkdemo`: one cold page walk, printed reference by reference (walkdemo.c). */
int ui_cmd_walkdemo(int argc, char **argv);
/* `hvsim snapshot info FILE | diff A B` (snapshot.c): exit 0, 1 when diff finds differences,
 * 2 for bad usage or an unreadable snapshot. */
int ui_cmd_snapshot(int argc, char **argv);
/* `hvsim bench-virt [--json]`: the technique table (bench_virt.c). */
int ui_cmd_bench_virt(const char *argv0, int argc, char **argv);
/* `hvsim bench-io [--json]`: the I/O paths compared (bench_io.c). */
int ui_cmd_bench_io(const char *argv0, int argc, char **argv);
/* Parses "123", "0x10", "64K", "16M". */
bool ui_parse_size(const char *text, uint64_t *out);

#endif
