/*
 * snap_util.c - what the tests of snapshots and of stops share: a built-in scenario started
 * (native ones on the bare machine) and run to its end, what a student sees at the end as one
 * text, the whole machine's state as snapshot bytes, and a message naming where two states
 * part.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "hv_util.h"
#include "snap_util.h"

/* Everything a student sees at the end, as one text: each CPU's counters, the consoles, the
 * hypervisor's and the machine's statistics. */
char *su_fingerprint(sim_machine_t *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    for (unsigned c = 0; c < m->ncpus; c++)
        fprintf(f, "cpu%u cycles %llu instret %llu pc %08x\n", c,
                (unsigned long long)m->cpu[c].s.cycles, (unsigned long long)m->cpu[c].s.instret,
                m->cpu[c].s.pc);
    fprintf(f, "off %d code %u\nconsole:\n%s\n", m->powered_off, m->exit_code,
            sim_console_captured(m));
    hv_t *hv = hv_of_machine(m);
    for (unsigned i = 0; hv && i < HV_MAX_VMS; i++)
        if (hv->vms[i].used)
            fprintf(f, "[%s] %s code %u\n%s\n", hv->vms[i].name, hv_vm_state_name(hv->vms[i].state),
                    hv->vms[i].exit_code, hv_vm_console(hv, i));
    if (hv)
        hv_print_stats(hv, f);
    sim_print_stats(m, f);
    fclose(f);
    return text;
}

/* The uncompressed payload of a snapshot of m (its whole state), malloc'd. */
uint8_t *su_state(const sim_machine_t *m, size_t *len)
{
    sim_snap_writer_t w;
    cr_assert_eq(hv_snapshot_build(m, "test", &w), 0);
    uint8_t *p = w.buf;
    *len = w.len;
    w.buf = NULL;
    sim_snap_writer_free(&w);
    return p;
}

/* Says where two final states part: the first section whose data differs, and the offset in
 * it. */
void su_expect_same_state(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                          const char *what)
{
    if (alen == blen && memcmp(a, b, alen) == 0)
        return;
    for (size_t off = 0;
         off + SIM_SNAP_SECTION_HEADER <= alen && off + SIM_SNAP_SECTION_HEADER <= blen;) {
        uint64_t n, nb;
        uint32_t index;
        memcpy(&n, a + off + 8, 8);
        memcpy(&nb, b + off + 8, 8);
        memcpy(&index, a + off + 4, 4);
        const uint8_t *da = a + off + SIM_SNAP_SECTION_HEADER,
                      *db = b + off + SIM_SNAP_SECTION_HEADER;
        if (n != nb || memcmp(da, db, n) != 0) {
            size_t at = 0;
            while (at < n && at < nb && da[at] == db[at])
                at++;
            cr_expect_fail("%s: the final states differ in section %.4s %u (%llu and %llu bytes) "
                           "at byte %zu of its data",
                           what, (const char *)(a + off), index, (unsigned long long)n,
                           (unsigned long long)nb, at);
            return;
        }
        off += SIM_SNAP_SECTION_HEADER + n;
    }
    cr_expect_fail("%s: the final states have different sections", what);
}

void su_run_to_end(sim_machine_t *m, uint64_t max)
{
    hv_t *hv = hv_of_machine(m);
    if (hv)
        hv_run(hv, max);
    else
        sim_run(m, max);
}

void su_start(hv_scenario_t *sc, sim_machine_t *m, const char *name)
{
    static const struct {
        const char *name, *vm;
    } natives[] = {{"native-tinyos", "tinyos"}, {"native-rtos", "rtos"}};
    for (size_t i = 0; i < 2; i++) {
        if (strcmp(name, natives[i].name) != 0)
            continue;
        char dir[512];
        snprintf(dir, sizeof dir, "%s/guestos", th_build_dir());
        cr_assert_eq(hv_scenario_load(sc, "default", dir, stderr), 0);
        for (unsigned v = 0; v < sc->nvms; v++)
            if (strcmp(sc->vm[v].name, natives[i].vm) == 0)
                cr_assert_eq(hv_scenario_start_native(sc, v, m, NULL, stderr), 0);
        return;
    }
    hu_scenario(sc, m, name);
}

void su_expect_every_builtin_listed(void)
{
    const char *listed[] = {
#define X_NAME(id, name) name,
        SU_SCENARIOS(X_NAME)
#undef X_NAME
    };
    for (size_t i = 0; i < hv_builtin_count(); i++) {
        bool found = false;
        for (size_t j = 0; j < sizeof listed / sizeof *listed; j++)
            found |= strcmp(listed[j], hv_builtin_name(i)) == 0;
        cr_expect(found,
                  "built-in scenario %s is not in SU_SCENARIOS (tests/hypervisor/snap_util.h)",
                  hv_builtin_name(i));
    }
}

/* Saves m twice (the two saves must be byte-identical) and loads the first into `fresh`. */
void su_save_and_load(sim_machine_t *m, sim_machine_t *fresh, const char *name)
{
    sim_snap_writer_t w1, w2;
    uint8_t *f1, *f2;
    size_t l1, l2;
    cr_assert_eq(hv_snapshot_build(m, name, &w1), 0);
    cr_assert_eq(hv_snapshot_build(m, name, &w2), 0);
    cr_assert_eq(sim_snap_finish(&w1, &f1, &l1), 0);
    cr_assert_eq(sim_snap_finish(&w2, &f2, &l2), 0);
    cr_expect(l1 == l2 && memcmp(f1, f2, l1) == 0,
              "%s at cycle %llu: a second save is byte-identical to the first", name,
              (unsigned long long)m->cpu[0].s.cycles);
    sim_snap_t s;
    char err[300];
    cr_assert_eq(sim_snap_parse(&s, name, f1, l1, err, sizeof err), 0, "%s", err);
    cr_assert_eq(hv_snapshot_load_parsed(fresh, &s, NULL, err, sizeof err), 0, "%s", err);
    sim_snap_free(&s);
    free(f1);
    free(f2);
    sim_snap_writer_free(&w1);
    sim_snap_writer_free(&w2);
}
