/*
 * scenario.c - `hvsim --scenario NAME`: the built-in scenarios, each a guest booting from its
 * disk image on the bare machine, headless, to the end of its run.
 *
 * A native scenario is a VM of the hypervisor's built-in scenario "default" run on the bare
 * machine: its RAM, disk image and console input (a script of shell commands, for tinyos).
 * The machine starts as real hardware does: the boot ROM (guestos/boot/rom.s) at the reset
 * address 0x1000 loads the boot loader from the disk, which loads the kernel from the file
 * system (docs/guests.md).
 *
 * The ROM and the images are built by make into the guestos directory next to the hvsim
 * binary (build/guestos for build/hvsim; build-asan/guestos for the sanitizer build); the
 * binary finds its own directory through /proc/self/exe, or argv[0] where that is missing.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../hypervisor/hv_scenario.h"
#include "ui_hvsim.h"

/* The native scenarios: one VM of the built-in scenario "default" (its disk image, memory and
 * console script, written once in hypervisor/hv_scenario_builtin.c) booted on the bare machine
 * instead, exactly as --vs-native runs it for comparison. */
typedef struct {
    const char *name;
    const char *vm; /* the VM of "default" it runs */
    const char *summary;
} scenario_t;

static const scenario_t scenarios[] = {
    {"native-tinyos", "tinyos",
     "tinyos (paged, preemptive, multi-process) boots on bare hardware; its shell runs a "
     "script of programs, then powers off"},
    {"native-rtos", "rtos",
     "rtos (soft real-time, EDF) boots on bare hardware, runs three periodic tasks and "
     "reports their deadline misses"},
};
#define NSCENARIOS (sizeof scenarios / sizeof scenarios[0])

static const scenario_t *find_scenario(const char *name)
{
    for (size_t i = 0; i < NSCENARIOS; i++)
        if (strcmp(scenarios[i].name, name) == 0)
            return &scenarios[i];
    return NULL;
}

const char *ui_native_scenario_vm(const char *name)
{
    const scenario_t *sc = find_scenario(name);
    return sc ? sc->vm : NULL;
}

void ui_list_scenarios(FILE *out)
{
    for (size_t i = 0; i < NSCENARIOS; i++)
        fprintf(out, "%-14s %s\n", scenarios[i].name, scenarios[i].summary);
}

/* NAME beside the running hvsim binary (/proc/self/exe's directory; argv0's when /proc cannot
 * say), so that a build directory, a handout's or an installed copy finds its own files. */
void ui_beside_exe(const char *argv0, const char *name, char *buf, size_t len)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
    } else {
        snprintf(exe, sizeof exe, "%s", argv0 ? argv0 : "hvsim");
    }
    snprintf(buf, len, "%s/%s", dirname(exe), name);
}

void ui_guest_dir(const char *argv0, char *buf, size_t len)
{
    ui_beside_exe(argv0, "guestos", buf, len);
}

/* Adds the symbols of a .sym file in dir to *syms (a missing file adds nothing). */
int ui_add_symbols(const char *dir, const char *file, cpu_symbol_t **syms, size_t *nsyms)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (access(path, R_OK) != 0)
        return 0;
    cpu_symbol_t *more;
    size_t nmore;
    if (cpu_syms_load(path, &more, &nmore, stderr) != 0)
        return -1;
    if (nmore == 0) {
        cpu_syms_free(more, nmore);
        return 0;
    }
    cpu_symbol_t *all = realloc(*syms, (*nsyms + nmore) * sizeof *all);
    if (!all) {
        cpu_syms_free(more, nmore);
        return -1;
    }
    memcpy(all + *nsyms, more, nmore * sizeof *more);
    free(more); /* the names now belong to *syms */
    *syms = all;
    *nsyms += nmore;
    cpu_syms_sort(*syms, *nsyms);
    return 0;
}

/* The debugger's symbols: the ROM's, the loader's and the kernel's (the image's NAME.sym). */
static int scenario_symbols(const char *dir, const char *image, cpu_symbol_t **syms, size_t *nsyms)
{
    const char *base = strrchr(image, '/') ? strrchr(image, '/') + 1 : image;
    char kernel[64];
    snprintf(kernel, sizeof kernel, "%.*s.sym", (int)strcspn(base, "."), base);
    *syms = NULL;
    *nsyms = 0;
    if (ui_add_symbols(dir, "rom.sym", syms, nsyms) == 0 &&
        ui_add_symbols(dir, "loader.sym", syms, nsyms) == 0 &&
        ui_add_symbols(dir, kernel, syms, nsyms) == 0)
        return 0;
    cpu_syms_free(*syms, *nsyms);
    *syms = NULL;
    *nsyms = 0;
    return -1;
}

int ui_scenario_prepare(sim_machine_t *m, const char *name, const ui_bare_options_t *opt,
                        const char *argv0, cpu_symbol_t **syms, size_t *nsyms)
{
    const scenario_t *sc = find_scenario(name);
    if (!sc) {
        fprintf(stderr, "hvsim: no scenario '%s'; the built-in scenarios are:\n", name);
        ui_list_scenarios(stderr);
        return 2;
    }
    char dir[4096];
    ui_guest_dir(argv0, dir, sizeof dir);
    static hv_scenario_t def; /* large; static keeps it off the stack */
    if (hv_scenario_load(&def, "default", dir, stderr) != 0) {
        hv_scenario_free(&def);
        return 1;
    }
    int vm = -1;
    for (unsigned i = 0; i < def.nvms; i++)
        if (strcmp(def.vm[i].name, sc->vm) == 0)
            vm = (int)i;
    SIM_ASSERT(vm >= 0);
    if (access(def.vm[vm].image, R_OK) != 0) {
        fprintf(stderr, "hvsim: scenario %s: %s: %s\n"
                        "hvsim: the guests' disk images are built by make: run make first\n",
                sc->name, def.vm[vm].image, strerror(errno));
        hv_scenario_free(&def);
        return 1;
    }
    if (opt->ram_size)
        def.vm[vm].memory = opt->ram_size;
    int status = hv_scenario_start_native(&def, (unsigned)vm, m, stdout, stderr) != 0;
    if (status == 0 && opt->input && sim_load_input(m, opt->input, stderr) != 0)
        status = 1;
    if (status == 0 && syms && scenario_symbols(dir, def.vm[vm].image, syms, nsyms) != 0)
        status = 1;
    if (status != 0 && m->ram)
        sim_machine_free(m);
    hv_scenario_free(&def);
    return status;
}

int ui_run_native(sim_machine_t *m, const char *vm, const ui_bare_options_t *opt)
{
    hv_native_trace_t *trace = NULL;
    if (opt->trace_out && !(trace = hv_native_trace_start(m, vm))) {
        fprintf(stderr, "hvsim: out of memory for the trace\n");
        return 1;
    }
    int status = ui_run_machine(m, opt);
    if (trace && hv_native_trace_write(trace, opt->trace_out, stderr) != 0 && !status)
        status = 1;
    hv_native_trace_free(trace);
    return status;
}

int ui_run_scenario(const char *name, const ui_bare_options_t *opt, const char *argv0)
{
    static sim_machine_t m; /* large; static keeps it off the stack */
    int status = ui_scenario_prepare(&m, name, opt, argv0, NULL, NULL);
    if (status != 0)
        return status;
    status = ui_run_native(&m, find_scenario(name)->vm, opt);
    sim_machine_free(&m);
    return status;
}

/* What a native scenario's debugger needs to build its machine again (run, restart). */
typedef struct {
    const char *name, *argv0;
    const ui_bare_options_t *opt;
} native_build_t;

static int rebuild_native(sim_machine_t *m, void *ctx, char *err, size_t len)
{
    const native_build_t *b = ctx;
    sim_machine_free(m);
    if (ui_scenario_prepare(m, b->name, b->opt, b->argv0, NULL, NULL) == 0)
        return 0;
    snprintf(err, len, "scenario %s cannot be started again (the message above says why).",
             b->name);
    return -1;
}

/* The line tables of the ROM, the loader and the kernel (list, bt), beside their .sym files;
 * one that is missing or bad leaves the debugger without it, and says so when bad. */
static void native_lines(ui_dbg_t *dbg, const char *name, const char *argv0)
{
    char dir[4096], path[4200];
    ui_guest_dir(argv0, dir, sizeof dir);
    const char *files[] = {"rom", "loader", find_scenario(name)->vm};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s.lines", dir, files[i]);
        if (access(path, R_OK) == 0 && ui_dbg_load_lines(dbg, -1, path) != 0)
            fprintf(stderr, "hvsim: %s\n", ui_dbg_error(dbg));
    }
}

int ui_native_repl(const char *name, const char *script, bool terminal,
                   const ui_bare_options_t *opt, const char *argv0)
{
    native_build_t build = {name, argv0, opt};
    static sim_machine_t m;
    cpu_symbol_t *syms = NULL;
    size_t nsyms = 0;
    FILE *in = NULL;
    if (script && !(in = ui_open_script(script)))
        return 1;
    int status = ui_scenario_prepare(&m, name, opt, argv0, &syms, &nsyms);
    if (status != 0) {
        if (in)
            fclose(in);
        return status;
    }
    ui_dbg_t *dbg = ui_dbg_new(&m);
    if (!dbg || ui_dbg_set_symbols(dbg, syms, nsyms) != 0) {
        fprintf(stderr, "hvsim: cannot start the debugger (out of memory)\n");
        status = 1;
    } else {
        ui_dbg_set_max_cycles(dbg, opt->max_cycles);
        ui_dbg_set_rebuild(dbg, rebuild_native, &build);
        ui_dbg_set_scenario(dbg, name);
        native_lines(dbg, name, argv0);
        char banner[300];
        snprintf(banner, sizeof banner,
                 "hvsim debugger: scenario %s, %s on bare hardware (1 CPU, no hypervisor). "
                 "Type \"help\" for commands.\n",
                 name, find_scenario(name)->vm);
        status = ui_debug_session(&m, dbg, in, script, terminal, banner);
    }
    ui_dbg_free(dbg);
    cpu_syms_free(syms, nsyms);
    sim_machine_free(&m);
    if (in)
        fclose(in);
    return status;
}
