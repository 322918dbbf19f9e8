/*
 * hv_debug.c - a hypervisor scenario under the debugger: `hvsim --repl --scenario NAME|FILE`,
 * `hvsim -x SCRIPT --scenario ...`, and the set-up the window uses for hypervisor scenarios
 * (prepared, not run). The machine is built by hv_scenario.h; everything after goes through
 * the debugger API, so the REPL and the window see VMs only as sim.h describes them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../hypervisor/hv_scenario.h"
#include "../repl/ui_repl.h"
#include "ui_hvsim.h"

/* Scenario and machine live as long as the process: one session at a time. */
static hv_scenario_t sc;
static sim_machine_t machine;

/* Adds dir/file to VM i's line table when it is there. */
static int vm_lines(ui_dbg_t *dbg, unsigned i, const char *dir, const char *file)
{
    char path[HV_SCENARIO_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (access(path, R_OK) != 0)
        return 0;
    if (ui_dbg_load_lines(dbg, (int)i, path) == 0)
        return 0;
    fprintf(stderr, "hvsim: %s\n", ui_dbg_error(dbg));
    return -1;
}

/* VM i's symbols: the .sym files of its ROM, its boot loader and its kernel, found beside
 * its disk image (or its kernel .bin). A VM without them just shows addresses. */
static int vm_symbols(ui_dbg_t *dbg, unsigned i, const hv_scenario_vm_t *vm)
{
    const char *image = vm->image[0] ? vm->image : vm->kernel;
    if (!image[0])
        return 0;
    char dir[HV_SCENARIO_PATH_MAX], stem[HV_SCENARIO_PATH_MAX];
    const char *slash = strrchr(image, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - image) : 1, slash ? image : ".");
    const char *base = slash ? slash + 1 : image;
    snprintf(stem, sizeof stem, "%.*s.sym", (int)strcspn(base, "."), base);
    cpu_symbol_t *syms = NULL;
    size_t n = 0;
    int rc = 0;
    if ((vm->image[0] && (ui_add_symbols(dir, "rom.sym", &syms, &n) != 0 ||
                          ui_add_symbols(dir, "loader.sym", &syms, &n) != 0)) ||
        ui_add_symbols(dir, stem, &syms, &n) != 0 ||
        ui_dbg_set_vm_symbols(dbg, (int)i, syms, n) != 0)
        rc = -1;
    cpu_syms_free(syms, n);
    /* The line tables beside them (PROG.lines), for list and bt. */
    snprintf(stem + strcspn(stem, "."), sizeof stem - strcspn(stem, "."), ".lines");
    if (rc == 0 && ((vm->image[0] && (vm_lines(dbg, i, dir, "rom.lines") != 0 ||
                                      vm_lines(dbg, i, dir, "loader.lines") != 0)) ||
                    vm_lines(dbg, i, dir, stem) != 0))
        rc = -1;
    return rc;
}

/* The session that the rebuild function rebuilds (one at a time, as the machine). */
static int rebuild_scenario(sim_machine_t *m, void *ctx, char *err, size_t len)
{
    ui_hv_session_t *s = ctx;
    hv_machine_release(m);
    if (!hv_scenario_start(&sc, m, s->console, stderr)) {
        snprintf(err, len, "scenario %s cannot be started again (the message above says why).",
                 s->name);
        return -1;
    }
    return 0;
}

int ui_hv_prepare(ui_hv_session_t *s, const char *scenario, const char *argv0, FILE *console)
{
    char dir[4096];
    memset(s, 0, sizeof *s);
    ui_guest_dir(argv0, dir, sizeof dir);
    if (hv_scenario_load(&sc, scenario, dir, stderr) != 0) {
        hv_scenario_free(&sc);
        return -1;
    }
    if (sc.native) {
        fprintf(stderr, "hvsim: %s: type = none has no hypervisor: debug it with --bare\n",
                scenario);
        hv_scenario_free(&sc);
        return -1;
    }
    hv_t *hv = hv_scenario_start(&sc, &machine, console, stderr);
    if (!hv) {
        hv_scenario_free(&sc);
        return -1;
    }
    s->m = &machine;
    s->max_cycles = sc.max_cycles;
    snprintf(s->name, sizeof s->name, "%s", scenario);
    s->dbg = ui_dbg_new(&machine);
    bool ok = s->dbg != NULL;
    for (unsigned i = 0; ok && i < sc.nvms; i++)
        ok = vm_symbols(s->dbg, (unsigned)hv_vm_by_name(hv, sc.vm[i].name), &sc.vm[i]) == 0;
    if (!ok) {
        fprintf(stderr, "hvsim: cannot start the debugger on %s\n", scenario);
        ui_hv_release(s);
        return -1;
    }
    ui_dbg_set_max_cycles(s->dbg, sc.max_cycles);
    s->console = console;
    ui_dbg_set_rebuild(s->dbg, rebuild_scenario, s);
    ui_dbg_set_scenario(s->dbg, scenario);
    return 0;
}

void ui_hv_release(ui_hv_session_t *s)
{
    ui_dbg_free(s->dbg);
    if (s->m)
        hv_machine_release(s->m);
    hv_scenario_free(&sc);
    memset(s, 0, sizeof *s);
}

FILE *ui_open_script(const char *script)
{
    FILE *in = fopen(script, "r");
    if (!in)
        fprintf(stderr, "hvsim: %s: cannot read the script: %s\n", script, strerror(errno));
    return in;
}

int ui_debug_session(sim_machine_t *m, ui_dbg_t *dbg, FILE *script, const char *script_name,
                     bool terminal, const char *banner)
{
    ui_repl_t r;
    ui_repl_init(&r, m, dbg, stdout, stderr);
    r.has_program = true;
    int failed = 0;
    if (script) {
        failed = ui_repl_run_stream(&r, script, false, script_name);
    } else if (terminal) {
        fputs(banner, stdout);
        ui_repl_terminal(&r);
    } else {
        ui_repl_run_stream(&r, stdin, true, NULL);
    }
    fflush(stdout);
    ui_repl_free(&r);
    int status = m->powered_off ? (int)(m->exit_code & 0xff) : 0;
    return status == 0 && failed ? 1 : status; /* a failed script must not look like success */
}

int ui_hv_repl(const char *scenario, const char *script, bool terminal, uint64_t max_cycles,
               const char *argv0)
{
    FILE *in = NULL;
    if (script && !(in = ui_open_script(script)))
        return 1;
    ui_hv_session_t s;
    if (ui_hv_prepare(&s, scenario ? scenario : "default", argv0, stdout) != 0) {
        if (in)
            fclose(in);
        return 1;
    }
    if (max_cycles)
        ui_dbg_set_max_cycles(s.dbg, max_cycles);
    char banner[480], vms[48], pcpus[48];
    snprintf(banner, sizeof banner,
             "hvsim debugger: scenario %s, %s on %s under the hypervisor.\n"
             "\"info vms\" lists them, \"focus VM\" makes one's addresses and symbols the "
             "default\n(\"tinyos:NAME\" names a VM's symbol without it), \"break exit REASON\" "
             "stops at a VM exit;\n\"help\" lists the commands.\n",
             s.name, sim_counted(ui_dbg_vm_count(s.dbg), "VM", vms, sizeof vms),
             sim_counted(s.m->ncpus, "pCPU", pcpus, sizeof pcpus));
    int status = ui_debug_session(s.m, s.dbg, in, script, terminal, banner);
    if (in)
        fclose(in);
    ui_hv_release(&s);
    return status;
}
