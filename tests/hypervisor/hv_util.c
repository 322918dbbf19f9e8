/*
 * hv_util.c - machines with the hypervisor for the hypervisor suites (see hv_util.h).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "../../hypervisor/hv_technique.h"
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
    return hu_scenario_backed(sc, m, name, -1);
}

hv_t *hu_scenario_backed(hv_scenario_t *sc, sim_machine_t *m, const char *name, int backing)
{
    return hu_scenario_traced(sc, m, name, backing, false);
}

hv_t *hu_scenario_traced(hv_scenario_t *sc, sim_machine_t *m, const char *name, int backing,
                         bool trace)
{
    return hu_scenario_with(sc, m, name, (hu_override_t){.backing = backing, .mem = -1, trace});
}

hv_t *hu_scenario_with(hv_scenario_t *sc, sim_machine_t *m, const char *name, hu_override_t o)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/guestos", th_build_dir());
    cr_assert_eq(hv_scenario_load(sc, name, dir, stderr), 0, "scenario %s", name);
    for (unsigned i = 0; i < sc->nvms; i++) {
        if (o.backing >= 0)
            sc->vm[i].backing = o.backing;
        if (o.mem >= 0)
            sc->vm[i].mem = o.mem;
    }
    sc->hv.shadow_trace |= o.trace;
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

/* ------------------------------------------------------------------------------------------
 * Transcripts against native runs
 * ------------------------------------------------------------------------------------------ */
/* ------------------------------------------------------------------------------------------
 * Transcripts: under the hypervisor as natively, but for timing
 * ------------------------------------------------------------------------------------------ */
/* A transcript with its timing taken out: lines that report cycles are dropped, the rtos's
 * line saying whether a hypervisor is present is replaced by a mark, and the lines printed
 * while tinyos's shell waits for its background programs are sorted (which of two concurrent
 * programs prints first is a matter of timing). */
static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *hu_untimed(const char *text)
{
    size_t n = strlen(text);
    char *copy = strdup(text), *out = calloc(n + 64, 1);
    char *lines[4096];
    size_t count = 0, block = SIZE_MAX;
    for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l && count < 4096;
         l = strtok_r(NULL, "\n", &save)) {
        if (strstr(l, " cycles"))
            continue;
        if (strstr(l, "hypervisor present") || strstr(l, "no hypervisor"))
            l = "<hypervisor detection>";
        if (block != SIZE_MAX && !strncmp(l, "$ ", 2)) {
            qsort(lines + block, count - block, sizeof lines[0], by_text);
            block = SIZE_MAX;
        }
        lines[count++] = l;
        if (!strcmp(l, "$ wait"))
            block = count;
    }
    for (size_t i = 0; i < count; i++) {
        strcat(out, lines[i]);
        strcat(out, "\n");
    }
    free(copy);
    return out;
}

/* Every VM of the scenario prints what it prints on bare hardware; whatever the techniques. */
void hu_transcripts_equal_native(const char *scenario)
{
    hu_transcripts_equal_native_backed(scenario, -1);
}

void hu_transcripts_equal_native_backed(const char *scenario, int backing)
{
    hu_transcripts_equal_native_traced(scenario, backing, false);
}

void hu_transcripts_equal_native_traced(const char *scenario, int backing, bool trace)
{
    hu_transcripts_equal_native_with(scenario,
                                     (hu_override_t){.backing = backing, .mem = -1, trace});
}

void hu_transcripts_equal_native_with(const char *scenario, hu_override_t o)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario_with(&sc, &m, scenario, o);
    hu_transcripts_equal_native_run(scenario, &sc, hv);
    hu_scenario_free(&sc, hv, &m);
}

void hu_transcripts_equal_native_run(const char *scenario, const hv_scenario_t *sc, hv_t *hv)
{
    static sim_machine_t native;
    cr_assert_eq(hv_run(hv, sc->max_cycles), SIM_RUN_POWEROFF, "%s", scenario);
    for (unsigned i = 0; i < sc->nvms; i++) {
        cr_assert_eq(hv_scenario_start_native(sc, i, &native, NULL, stderr), 0);
        cr_assert_eq(sim_run(&native, sc->max_cycles), SIM_RUN_POWEROFF);
        const char *bare = sim_console_captured(&native);
        const char *virt = hv_vm_console(hv, (unsigned)hv_vm_by_name(hv, sc->vm[i].name));
        char *a = hu_untimed(bare), *b = hu_untimed(virt);
        cr_expect_str_eq(b, a, "%s, %s: under the hypervisor\n%s\nnatively\n%s", scenario,
                         sc->vm[i].name, virt, bare);
        cr_expect_gt(strlen(a), 200);
        free(a);
        free(b);
        sim_machine_free(&native);
    }
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s: %s", scenario, why);
    int r = hv_vm_by_name(hv, "rtos");
    if (r >= 0)
        cr_expect(strstr(hv_vm_console(hv, (unsigned)r), "hypervisor present") != NULL,
                  "%s: the rtos learns it by cpuid", scenario);
}

static void *dup_or_null(const void *p, size_t n)
{
    if (!p)
        return NULL;
    void *q = malloc(n ? n : 1);
    cr_assert_not_null(q);
    memcpy(q, p, n);
    return q;
}

void hu_copy_machine(sim_machine_t *dst, const sim_machine_t *src)
{
    *dst = *src;
    dst->ram = dup_or_null(src->ram, src->ram_size);
    dst->console.capture.text = dup_or_null(src->console.capture.text, src->console.capture.cap);
    dst->console.input = dup_or_null(src->console.input, src->console.in_len);
    dst->disk.bytes = dup_or_null(src->disk.bytes, (size_t)src->disk.sectors * SIM_SECTOR_SIZE);
    dst->ram_written = dup_or_null(src->ram_written, sim_ram_pages(src));
    cr_assert_eq(cpu_blocks_init(&dst->blocks, src->ram_size), 0); /* its own, for its RAM */
    for (unsigned i = 0; i < dst->ncpus; i++)
        dst->cpu[i].mach = dst;
    for (unsigned i = 0; i < dst->ndevices; i++)
        if (dst->devices[i].ctx == (void *)src)
            dst->devices[i].ctx = dst;
    if (dst->nic_wire_ctx == (void *)src) /* the peer host's */
        dst->nic_wire_ctx = dst;
    dst->nsinks = 0;
    dst->io_cpu = NULL;
}

void hu_put_word(hv_t *hv, int vm, uint32_t gpa, uint32_t value)
{
    uint8_t b[4] = {(uint8_t)value, (uint8_t)(value >> 8), (uint8_t)(value >> 16),
                    (uint8_t)(value >> 24)};
    cr_assert(hv_copy_to_guest(hv, (unsigned)vm, gpa, b, 4, NULL));
}

uint32_t hu_get_word(hv_t *hv, int vm, uint32_t gpa)
{
    uint8_t b[4];
    cr_assert(hv_copy_from_guest(hv, (unsigned)vm, gpa, b, 4, NULL));
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

void hu_expect_scenario_error(const char *text, bool parse_ok, const char *want)
{
    char dir[512], out[1024];
    snprintf(dir, sizeof dir, "%s/guestos", th_build_dir());
    static hv_scenario_t sc;
    static sim_machine_t m;
    FILE *diag = tmpfile();
    cr_assert_not_null(diag);
    int parsed = hv_scenario_parse(&sc, "t.ini", text, dir, dir, diag);
    cr_expect_eq(parsed == 0, parse_ok, "parsing %s", parse_ok ? "fails" : "succeeds");
    if (parsed == 0)
        cr_expect_null(hv_scenario_start(&sc, &m, NULL, diag), "it starts");
    rewind(diag);
    out[fread(out, 1, sizeof out - 1, diag)] = '\0';
    cr_expect(strstr(out, want), "want \"%s\" in: %s", want, out);
    fclose(diag);
    hv_scenario_free(&sc);
}

char *hu_stats_text(const hv_t *hv)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cr_assert_not_null(out);
    hv_print_stats(hv, out);
    fclose(out);
    return text;
}
