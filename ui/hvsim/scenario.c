/*
 * scenario.c - `hvsim --scenario NAME`: the built-in scenarios, each a guest booting from its
 * disk image on the bare machine, headless, to the end of its run.
 *
 * A scenario is a row of a table: the machine (RAM), the disk image, and the console input
 * the guest reads (a script of shell commands, for tinyos). The machine starts as real
 * hardware does: the boot ROM (guestos/boot/rom.s) at the reset address 0x1000 loads the
 * boot loader from the disk, which loads the kernel from the file system (docs/guests.md).
 *
 * The ROM and the images are built by make into the guestos directory next to the hvsim
 * binary (build/guestos for build/hvsim; build-asan/guestos for the sanitizer build); the
 * binary finds its own directory through /proc/self/exe, or argv[0] where that is missing.
 * INI scenario files arrive with the hypervisor; these names stay as built-ins.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../sim/sim.h"
#include "ui_hvsim.h"

/* What tinyos's shell is told to do in native-tinyos: every program, one killed for a fault,
 * two CPU-bound programs side by side (their lines interleave: preemption), then power off. */
static const char tinyos_script[] = "help\n"
                                    "hello\n"
                                    "syscalls\n"
                                    "pagetouch\n"
                                    "forkwait\n"
                                    "fault\n"
                                    "counter &\n"
                                    "counter &\n"
                                    "ps\n"
                                    "wait\n"
                                    "poweroff\n";

typedef struct {
    const char *name;
    const char *image;  /* file name in the guest directory */
    uint32_t ram;       /* bytes */
    const char *input;  /* console input, or NULL */
    const char *summary;
} scenario_t;

static const scenario_t scenarios[] = {
    {"native-tinyos", "tinyos.img", 8u << 20, tinyos_script,
     "tinyos (paged, preemptive, multi-process) boots on bare hardware; its shell runs a "
     "script of programs, then powers off"},
    {"native-rtos", "rtos.img", 4u << 20, NULL,
     "rtos (soft real-time, EDF) boots on bare hardware, runs three periodic tasks and "
     "reports their deadline misses"},
};
#define NSCENARIOS (sizeof scenarios / sizeof scenarios[0])

void ui_list_scenarios(FILE *out)
{
    for (size_t i = 0; i < NSCENARIOS; i++)
        fprintf(out, "%-14s %s\n", scenarios[i].name, scenarios[i].summary);
}

/* The guest directory: "guestos" beside the running hvsim binary. */
void ui_guest_dir(const char *argv0, char *buf, size_t len)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
    } else {
        snprintf(exe, sizeof exe, "%s", argv0 ? argv0 : "hvsim");
    }
    snprintf(buf, len, "%s/guestos", dirname(exe));
}

/* Loads the boot ROM at the reset address. Returns -1 after a message. */
static int load_rom(sim_machine_t *m, const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/rom.bin", dir);
    size_t len;
    char *rom = sim_read_file(path, &len);
    if (!rom) {
        fprintf(stderr, "hvsim: %s: cannot read the boot ROM: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = sim_load(m, CPU_RESET_PC, rom, len);
    free(rom);
    if (rc != 0)
        fprintf(stderr, "hvsim: %s: the boot ROM does not fit in RAM\n", path);
    return rc;
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

int ui_scenario_prepare(sim_machine_t *m, const char *name, const ui_bare_options_t *opt,
                        const char *argv0, cpu_symbol_t **syms, size_t *nsyms)
{
    const scenario_t *sc = NULL;
    for (size_t i = 0; i < NSCENARIOS; i++)
        if (strcmp(scenarios[i].name, name) == 0)
            sc = &scenarios[i];
    if (!sc) {
        fprintf(stderr, "hvsim: no scenario '%s'; the built-in scenarios are:\n", name);
        ui_list_scenarios(stderr);
        return 2;
    }
    char dir[4096], image[4200];
    ui_guest_dir(argv0, dir, sizeof dir);
    snprintf(image, sizeof image, "%s/%s", dir, sc->image);
    if (access(image, R_OK) != 0 || access(dir, R_OK) != 0) {
        fprintf(stderr, "hvsim: scenario %s: %s: %s\n"
                        "hvsim: the guests' disk images are built by make: run make first\n",
                sc->name, image, strerror(errno));
        return 1;
    }
    uint32_t ram = opt->ram_size ? opt->ram_size : sc->ram;
    if (sim_machine_init(m, ram, 1) != 0) {
        fprintf(stderr, "hvsim: cannot allocate %u bytes of simulated RAM\n", ram);
        return 1;
    }
    if (load_rom(m, dir) != 0 || sim_disk_attach_file(m, image, stderr) != 0)
        goto fail;
    if (opt->input) {
        if (ui_load_input(m, opt->input) != 0)
            goto fail;
    } else if (sc->input) {
        sim_console_set_input(m, sc->input, strlen(sc->input));
    }
    if (syms) {
        /* The debugger's symbols: the ROM's, the loader's and the kernel's (NAME.sym). */
        char kernel[64];
        snprintf(kernel, sizeof kernel, "%.*s.sym", (int)strcspn(sc->image, "."), sc->image);
        *syms = NULL;
        *nsyms = 0;
        if (ui_add_symbols(dir, "rom.sym", syms, nsyms) != 0 ||
            ui_add_symbols(dir, "loader.sym", syms, nsyms) != 0 ||
            ui_add_symbols(dir, kernel, syms, nsyms) != 0) {
            cpu_syms_free(*syms, *nsyms);
            *syms = NULL;
            *nsyms = 0;
            goto fail;
        }
    }
    return 0;
fail:
    sim_machine_free(m);
    return 1;
}

int ui_run_scenario(const char *name, const ui_bare_options_t *opt, const char *argv0)
{
    static sim_machine_t m; /* large; static keeps it off the stack */
    int status = ui_scenario_prepare(&m, name, opt, argv0, NULL, NULL);
    if (status != 0)
        return status;
    status = ui_run_machine(&m, opt);
    sim_machine_free(&m);
    return status;
}
