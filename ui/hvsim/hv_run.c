/*
 * hv_run.c - `hvsim --headless [--scenario NAME|FILE]`: a scenario under the hypervisor, to the
 * end of its run, with each VM's console lines prefixed by the VM's name, then the
 * statistics; `--vs-native` runs each VM alone on the bare machine too and prints the
 * overhead; `--trace-out FILE.json` writes the Perfetto trace; `--migration-plot` and
 * `--sharing-plot` draw a PNG (sharing_plot.c). A thin front end over
 * hypervisor/hv.h and hv_scenario.h.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../hypervisor/hv_scenario.h"
#include "../gui/ui_gui.h"
#include "ui_hvsim.h"

bool ui_hv_is_scenario(const char *name)
{
    return hv_builtin_text(name) != NULL || access(name, R_OK) == 0;
}

void ui_hv_list_scenarios(FILE *out)
{
    for (size_t i = 0; i < hv_builtin_count(); i++)
        fprintf(out, "%-14s %s\n", hv_builtin_name(i), hv_builtin_summary(i));
}

static const char *grp(uint64_t n, char *buf)
{
    return sim_group_digits(n, buf, 32);
}

/* The pages each round of the run's live migration sent, as a bar chart (docs/migration.md). */
static int plot_migration(const hv_t *hv, const char *path)
{
    const hv_migration_t *g = &hv->mig;
    if (g->state == HV_MIGRATE_IDLE || g->state == HV_MIGRATE_SCHEDULED || g->nrounds == 0) {
        fprintf(stderr,
                "%s: error: no live migration began in this run (migrate_at, or the "
                "REPL's migrate)\n",
                path);
        return 1;
    }
    ui_gui_bar_t bars[HV_MIGRATE_MAX_ROUNDS + 1];
    char labels[HV_MIGRATE_MAX_ROUNDS + 1][16];
    for (uint32_t i = 0; i < g->nrounds; i++) {
        bool stop = g->state >= HV_MIGRATE_STOPCOPY && i + 1 == g->nrounds;
        snprintf(labels[i], sizeof labels[i], stop ? "stop" : "%u", i);
        bars[i] = (ui_gui_bar_t){.label = labels[i], .value = g->round[i].sent};
    }
    char title[128], b1[32], b2[32];
    snprintf(title, sizeof title, "%s, host%u to host%u: downtime %s of %s cycles",
             hv->vms[g->vm].name, g->from, g->to,
             g->state == HV_MIGRATE_DONE ? grp(g->resumed - g->paused, b1) : "-",
             g->state == HV_MIGRATE_DONE ? grp(g->resumed - g->started, b2) : "-");
    return ui_gui_plot_bars(path, title,
                            "pages each round sent: round 0 all, then those dirtied meanwhile",
                            bars, g->nrounds) == 0
               ? 0
               : 1;
}

/* Runs VM i of the scenario natively and prints how much longer it took under the hypervisor.
 * Returns -1 when the native run could not be made. */
static int compare_native(const hv_scenario_t *sc, const hv_t *hv, unsigned i, uint64_t max_cycles)
{
    static sim_machine_t native;
    if (hv_scenario_start_native(sc, i, &native, NULL, stderr) != 0)
        return -1;
    sim_run_result_t r = sim_run(&native, max_cycles);
    uint64_t bare = native.cpu[0].s.cycles;
    int vm = hv_vm_by_name(hv, sc->vm[i].name);
    const hv_vm_stats_t *s = &hv->vms[vm].stats;
    uint64_t virt = (s->ended ? s->ended : hv->m->cpu[0].s.cycles) - s->started;
    char b1[32], b2[32];
    printf("[vs-native] %s: %s cycles under the hypervisor, %s natively: %+.1f%%%s; console %s\n",
           sc->vm[i].name, grp(virt, b1), grp(bare, b2),
           bare ? 100.0 * ((double)virt - (double)bare) / (double)bare : 0.0,
           r == SIM_RUN_POWEROFF ? "" : " (the native run did not end)",
           strcmp(sim_console_captured(&native), hv_vm_console(hv, (unsigned)vm)) == 0
               ? "identical"
               : "differs (timing lines, the hypervisor's presence)");
    sim_machine_free(&native);
    return 0;
}

static hv_scenario_t sc; /* the scenario being run; large, so static */

/* A scenario with type = none: its one VM on the bare machine, as a native built-in runs. */
static int run_native(const ui_hv_options_t *opt)
{
    static sim_machine_t m;
    int status = 1;
    if (opt->vs_native)
        fprintf(stderr,
                "hvsim: %s: type = none runs natively already: --vs-native compares a "
                "hypervisor scenario with its VMs run natively\n",
                sc.name);
    else if (hv_scenario_start_native(&sc, 0, &m, stdout, stderr) == 0) {
        ui_bare_options_t bo = {.max_cycles = opt->max_cycles ? opt->max_cycles : sc.max_cycles,
                                .stats = opt->stats,
                                .trace = opt->trace,
                                .trace_out = opt->trace_out};
        status = ui_run_native(&m, sc.vm[0].name, &bo);
        sim_machine_free(&m);
    }
    hv_scenario_free(&sc);
    return opt->vs_native ? 2 : status;
}

int ui_hv_run_to_end(hv_t *hv, uint64_t max_cycles, bool stats)
{
    sim_machine_t *m = hv->m;
    sim_run_result_t r = hv_run(hv, max_cycles);
    fflush(stdout);
    int status = (int)(m->exit_code & 0xff);
    if (r == SIM_RUN_MAX_CYCLES) {
        char n[48];
        fprintf(stderr, "hvsim: the VMs did not all power off within %s (--max-cycles)\n",
                sim_counted(max_cycles, "cycle", n, sizeof n));
        status = 124;
    } else if (r == SIM_RUN_IDLE) {
        char why[512];
        fprintf(stderr, "hvsim: every VCPU waits and nothing can wake it\n");
        if (hv_explain_idle(m, why, sizeof why))
            fprintf(stderr,
                    "hvsim: %s; a VM's console input is input = or input_file = in its "
                    "[vm] section\n",
                    why);
        status = 125;
    }
    hv_print_stats(hv, stdout);
    fflush(stdout); /* so that `2>&1` shows the two blocks whole, not cut into each other */
    if (stats)
        sim_print_stats(m, stderr);
    return status;
}

/* ------------------------------------------------------------------------------------------
 * A capture is never left half-written: the signals that end the program (its output piped
 * into `head`, which exits: SIGPIPE; ^C; kill) remove the temporary file first
 * ------------------------------------------------------------------------------------------ */
static char partial_capture[sizeof((hv_t *)0)->pcap_tmp];
static const int ending_signals[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP};

/* Async-signal-safe: unlink, then the signal's default action (the status says which). */
static void remove_partial_capture(int sig)
{
    unlink(partial_capture);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* While `tmp` is being written (NULL: it is complete or gone). A signal the caller of hvsim
 * ignores stays ignored: the run goes on and completes the capture. */
static void guard_capture(const char *tmp)
{
    if (tmp) /* the path first: the handler may run as soon as it is installed */
        snprintf(partial_capture, sizeof partial_capture, "%s", tmp);
    for (size_t i = 0; i < sizeof ending_signals / sizeof ending_signals[0]; i++) {
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sigemptyset(&sa.sa_mask);
        sa.sa_handler = tmp ? remove_partial_capture : SIG_DFL;
        if (sigaction(ending_signals[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(ending_signals[i], &sa, NULL);
    }
}

int ui_run_hv(const ui_hv_options_t *opt)
{
    char dir[4096];
    ui_guest_dir(opt->argv0, dir, sizeof dir);
    static sim_machine_t m;
    const char *name = opt->scenario ? opt->scenario : "default";
    if (hv_scenario_load(&sc, name, dir, stderr) != 0) {
        hv_scenario_free(&sc);
        return 1;
    }
    if (sc.native)
        return run_native(opt);
    hv_t *hv = hv_scenario_start(&sc, &m, stdout, stderr);
    if (!hv) {
        hv_scenario_free(&sc);
        return 1;
    }
    if (opt->trace)
        ui_trace_events(&m);
    if (opt->trace_out)
        hv_trace_start(hv);
    if (opt->pcap_out && hv_vswitch_capture(hv, opt->pcap_out, stderr) != 0) {
        hv_free(hv);
        sim_machine_free(&m);
        hv_scenario_free(&sc);
        return 1;
    }
    if (opt->pcap_out)
        guard_capture(hv->pcap_tmp);
    ui_sharing_series_t *sharing = NULL;
    if (opt->sharing_plot && !(sharing = ui_sharing_series_start(&m))) {
        hv_free(hv);
        sim_machine_free(&m);
        hv_scenario_free(&sc);
        return 1;
    }
    uint64_t max_cycles = opt->max_cycles ? opt->max_cycles : sc.max_cycles;
    int status = ui_hv_run_to_end(hv, max_cycles, opt->stats);
    for (unsigned i = 0; opt->vs_native && i < sc.nvms; i++)
        if (compare_native(&sc, hv, i, max_cycles) != 0 && !status)
            status = 1;
    if (opt->trace_out && hv_trace_write(hv, opt->trace_out, stderr) != 0 && !status)
        status = 1;
    if (opt->migration_plot && plot_migration(hv, opt->migration_plot) != 0 && !status)
        status = 1;
    if (sharing && ui_sharing_series_plot(&m, sharing, opt->sharing_plot, m.cpu[0].s.cycles) &&
        !status)
        status = 1;
    if (hv_vswitch_capture_end(hv, stderr) != 0 && !status)
        status = 1;
    if (opt->pcap_out)
        guard_capture(NULL);
    hv_free(hv);
    sim_machine_free(&m);
    hv_scenario_free(&sc);
    return status;
}

/* ------------------------------------------------------------------------------------------
 * hvsim scenario show NAME
 * ------------------------------------------------------------------------------------------ */
/* The built-in's own comment lines (what it is for), then a line on how to use the text. */
static void show_header(const char *name, FILE *out)
{
    const char *text = hv_builtin_text(name);
    if (ui_native_scenario_vm(name))
        fprintf(out, "; %s: the VM %s of the scenario 'default' alone on the bare machine.\n", name,
                ui_native_scenario_vm(name));
    while (text && *text == ';') {
        size_t n = strcspn(text, "\n");
        fprintf(out, "%.*s\n", (int)n, text);
        text += n + (text[n] == '\n');
    }
    fprintf(out,
            "; %s%s%s with every key and its value (docs/hypervisor.md, \"Scenario "
            "files\").\n; Save it as FILE.ini, change it, run it: hvsim --scenario FILE.ini\n\n",
            text || ui_native_scenario_vm(name) ? "The scenario '" : "", name,
            text || ui_native_scenario_vm(name) ? "'" : "");
}

/* A native built-in: the VM of "default" it runs, alone, with type = none. */
static int load_native(const char *name, const char *vm, const char *dir)
{
    if (hv_scenario_load(&sc, "default", dir, stderr) != 0)
        return -1;
    for (unsigned i = 0; i < sc.nvms; i++)
        if (strcmp(sc.vm[i].name, vm) == 0) {
            hv_scenario_vm_t keep = sc.vm[i];
            sc.vm[i].input = NULL; /* now keep's */
            hv_scenario_free(&sc);
            sc.vm[0] = keep;
            sc.nvms = 1;
        }
    sc.native = true;
    snprintf(sc.name, sizeof sc.name, "%s", name);
    return 0;
}

static int scenario_show(const char *name, const char *argv0)
{
    char dir[4096];
    ui_guest_dir(argv0, dir, sizeof dir);
    const char *native_vm = ui_native_scenario_vm(name);
    if (!native_vm && !ui_hv_is_scenario(name)) {
        fprintf(stderr,
                "hvsim: scenario show: no built-in scenario '%s' and no such file; the "
                "built-in ones are:\n",
                name);
        ui_list_scenarios(stderr);
        ui_hv_list_scenarios(stderr);
        return 2;
    }
    int rc =
        native_vm ? load_native(name, native_vm, dir) : hv_scenario_load(&sc, name, dir, stderr);
    if (rc == 0) {
        show_header(name, stdout);
        hv_scenario_write(&sc, dir, stdout);
    }
    hv_scenario_free(&sc);
    return rc == 0 ? 0 : 1;
}

int ui_cmd_scenario(const char *argv0, int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "show") == 0)
        return scenario_show(argv[2], argv0);
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        puts("usage: hvsim scenario show NAME|FILE.ini\n"
             "Prints the built-in scenario NAME (hvsim --list-scenarios) as an INI file with\n"
             "every key and its value, defaults included: save it, change it and run it with\n"
             "hvsim --scenario FILE.ini. Given a file, prints it the same way (after checking\n"
             "it). The format is in docs/hypervisor.md.");
        return 0;
    }
    fputs("usage: hvsim scenario show NAME|FILE.ini   (hvsim --list-scenarios lists the names)\n",
          stderr);
    return 2;
}
