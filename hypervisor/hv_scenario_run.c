/*
 * hv_scenario_run.c - building what a scenario describes: the machine with the hypervisor and
 * its VMs, or one of the VMs alone on a bare machine (its native baseline: the same memory,
 * ROM, disk and console input, no hypervisor).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv_scenario.h"

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* What a VM runs, read from its files. */
typedef struct {
    uint8_t *rom, *disk, *program;
    size_t rom_len, disk_len, program_len;
    uint32_t base;
} vm_files_t;

static void free_files(vm_files_t *f)
{
    free(f->rom);
    free(f->disk);
    free(f->program);
}

static uint8_t *read_at(const hv_scenario_t *sc, int line, const char *what, const char *path,
                        size_t *len, FILE *diag)
{
    /* A disk image may be as large as the disk takes; a kernel or a ROM fits in RAM. */
    size_t max = strcmp(what, "image") == 0 ? SIM_DISK_MAX_BYTES : SIM_INPUT_MAX_BYTES;
    uint8_t *bytes = (uint8_t *)sim_read_file_max(path, max, len);
    char why[96];
    if (!bytes)
        fprintf(diag, "%s:%d: error: %s %s: cannot read: %s%s\n", sc->name, line, what, path,
                sim_read_error(errno, max, why, sizeof why),
                errno == ENOENT ? " (the guests are built by make)" : "");
    return bytes;
}

static int read_files(const hv_scenario_t *sc, const hv_scenario_vm_t *vm, vm_files_t *f,
                      FILE *diag)
{
    memset(f, 0, sizeof *f);
    f->base = vm->base;
    if (vm->image[0]) {
        if (!(f->disk = read_at(sc, vm->image_line, "image", vm->image, &f->disk_len, diag)) ||
            !(f->rom = read_at(sc, vm->rom_line ? vm->rom_line : vm->line, "rom", vm->rom,
                               &f->rom_len, diag)))
            goto fail;
        return 0;
    }
    if (has_suffix(vm->kernel, ".s")) {
        cpu_asm_result_t res;
        if (cpu_asm_file(vm->kernel, diag, &res) != 0) {
            fprintf(diag, "%s:%d: error: kernel %s does not assemble\n", sc->name, vm->kernel_line,
                    vm->kernel);
            cpu_asm_free(&res);
            goto fail;
        }
        f->program = malloc(res.size ? res.size : 1);
        if (f->program)
            memcpy(f->program, res.bytes, res.size);
        f->program_len = res.size;
        f->base = res.base;
        cpu_asm_free(&res);
        return f->program ? 0 : -1;
    }
    if ((f->program = read_at(sc, vm->kernel_line, "kernel", vm->kernel, &f->program_len, diag)))
        return 0;
fail:
    free_files(f);
    return -1;
}

static int make_machine(const hv_scenario_t *sc, sim_machine_t *m, uint32_t ram, unsigned ncpus,
                        FILE *diag)
{
    if (sim_machine_init(m, ram, ncpus) != 0) {
        fprintf(diag, "%s: error: cannot have %u bytes of simulated RAM\n", sc->name, ram);
        return -1;
    }
    m->mmu_config = sc->mmu;
    const char *why = sim_configure_mmu(m);
    if (why) {
        fprintf(diag, "%s: error: [machine]: %s\n", sc->name, why);
        sim_machine_free(m);
        return -1;
    }
    if (sc->quantum)
        m->quantum = sc->quantum;
    if (sim_cost_profile_chosen() < 0) /* `--costs NAME` wins over the scenario's profile */
        sim_costs_profile(&m->costs, (size_t)sc->costs);
    for (unsigned c = 0; c < SIM_COST_COUNT; c++)
        if (sc->cost_set[c])
            m->costs.c[c] = sc->cost[c];
    return 0;
}

hv_t *hv_scenario_start(const hv_scenario_t *sc, sim_machine_t *m, FILE *console, FILE *diag)
{
    if (make_machine(sc, m, sc->ram, sc->pcpus, diag) != 0)
        return NULL;
    sim_console_set_output(m, console);
    hv_config_t cfg = sc->hv;
    cfg.console = console;
    char err[256];
    hv_t *hv = hv_new(m, &cfg, err, sizeof err);
    if (!hv) {
        fprintf(diag, "%s: error: %s\n", sc->name, err);
        sim_machine_free(m);
        return NULL;
    }
    for (unsigned i = 0; i < sc->nvms; i++) {
        const hv_scenario_vm_t *vm = &sc->vm[i];
        vm_files_t f;
        if (read_files(sc, vm, &f, diag) != 0)
            goto fail;
        hv_vm_config_t c = {.name = vm->name,
                            .vcpus = vm->vcpus,
                            .memory = vm->memory,
                            .cpu = (hv_cpu_technique_t)vm->cpu,
                            .mem = (hv_mem_technique_t)vm->mem,
                            .share = vm->share,
                            .cap = vm->cap,
                            .rom = f.rom,
                            .rom_len = f.rom_len,
                            .disk = f.disk,
                            .disk_len = f.disk_len,
                            .program = f.program,
                            .program_len = f.program_len,
                            .program_base = f.base,
                            .input = vm->input,
                            .transcript = vm->transcript[0] ? vm->transcript : NULL,
                            .shadow_budget = vm->shadow_budget,
                            .net_bw = vm->net_bw,
                            .disk_bw = vm->disk_bw,
                            .marks_off = vm->marks_off,
                            .backing = (hv_backing_t)vm->backing,
                            .resident_max = vm->resident_max,
                            .host = vm->host,
                            .assign_nic = vm->assign_nic,
                            .nic_pv = vm->nic_pv,
                            .entropy = vm->entropy,
                            .entropy_seed = vm->entropy_seed,
                            .balloon = vm->balloon,
                            .compare = vm->compare,
                            .reservation = vm->reservation,
                            .guest_swap = vm->guest_swap};
        memcpy(c.pin, vm->pin, sizeof c.pin);
        int rc = hv_vm_create(hv, &c, err, sizeof err);
        free_files(&f);
        if (rc < 0) {
            fprintf(diag, "%s:%d: error: %s\n", sc->name, vm->line, err);
            goto fail;
        }
        for (unsigned b = 0; b < vm->nballoon_at; b++)
            if (hv_balloon_plan(hv, (unsigned)rc, vm->balloon_at[b].at, vm->balloon_at[b].bytes,
                                err, sizeof err) != 0) {
                fprintf(diag, "%s:%d: error: [vm %s] balloon_at: %s\n", sc->name,
                        vm->balloon_at[b].line, vm->name, err);
                goto fail;
            }
        if (vm->migrate_at && hv_migrate_schedule(hv, (unsigned)rc, vm->migrate_to, vm->migrate_at,
                                                  err, sizeof err) != 0) {
            fprintf(diag, "%s:%d: error: [vm %s] migrate_at: %s\n", sc->name, vm->migrate_line,
                    vm->name, err);
            goto fail;
        }
    }
    return hv;
fail:
    hv_free(hv);
    sim_machine_free(m);
    return NULL;
}

int hv_scenario_start_native(const hv_scenario_t *sc, unsigned vmi, sim_machine_t *m,
                             FILE *console, FILE *diag)
{
    const hv_scenario_vm_t *vm = &sc->vm[vmi];
    vm_files_t f;
    if (read_files(sc, vm, &f, diag) != 0)
        return -1;
    if (make_machine(sc, m, vm->memory, 1, diag) != 0) {
        free_files(&f);
        return -1;
    }
    sim_console_set_output(m, console);
    int rc = 0;
    uint32_t entry = f.base;
    if (f.rom) {
        rc = sim_load(m, CPU_RESET_PC, f.rom, f.rom_len) | sim_disk_attach(m, f.disk, f.disk_len);
        entry = CPU_RESET_PC;
    } else {
        rc = sim_load(m, f.base, f.program, f.program_len);
    }
    free_files(&f);
    if (rc != 0) {
        fprintf(diag, "%s:%d: error: [vm %s] does not fit in %u bytes of memory\n", sc->name,
                vm->line, vm->name, vm->memory);
        sim_machine_free(m);
        return -1;
    }
    if (vm->input)
        sim_console_set_input(m, vm->input, strlen(vm->input));
    m->cpu[0].s.pc = entry;
    return 0;
}
