/*
 * debug_reverse.c - reverse execution (issue 18; docs/debugger.md, "Stepping backwards"): the
 * debugger keeps in-memory checkpoints of the whole machine (snapshots, docs/snapshot.md),
 * taken every `checkpoint-interval` cycles while it runs, and steps backwards by restoring the
 * last checkpoint before the point asked for and running forward to it again.
 *
 * Going back is exact because a run is deterministic and a stop is invisible (a run stopped
 * anywhere and resumed ends as one that never stopped: tests/debug/test_stops.c), and because
 * a snapshot holds the whole machine (tests/hypervisor/test_snapshot.c). The checkpoints are
 * taken at cycle limits of sim_run, which are stops like any other.
 *
 * A point in the past is named by the focus pCPU's retired instructions: `reverse-stepi N`
 * goes to the first boundary at which the focus had retired N fewer, which is where `stepi`
 * stops when no trap is entered on the way. Checkpoints stay valid when the debugger goes
 * back (the future it replays is the same); a new machine (restore, restart) or an edit of
 * the machine's state drops them.
 */
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv.h"
#include "../../sim/sim_snap.h"
#include "debug_internal.h"

#define DBG_MAX_CHECKPOINTS 64

typedef struct {
    uint64_t instret[SIM_MAX_CPUS]; /* each CPU's retired instructions at the checkpoint */
    uint8_t *bytes;                 /* the snapshot file's bytes (compressed) */
    size_t len;
} checkpoint_t;

struct dbg_reverse {
    uint64_t interval; /* cycles between checkpoints */
    uint64_t next;     /* the cycle limit at which the next one is taken */
    checkpoint_t cp[DBG_MAX_CHECKPOINTS];
    unsigned n;
};

static dbg_reverse_t *reverse_of(ui_dbg_t *d)
{
    if (!d->rev) {
        d->rev = calloc(1, sizeof *d->rev);
        if (d->rev)
            d->rev->interval = UI_DBG_CHECKPOINT_INTERVAL;
    }
    return d->rev;
}

void dbg_reverse_forget(ui_dbg_t *d)
{
    if (!d->rev)
        return;
    for (unsigned i = 0; i < d->rev->n; i++)
        free(d->rev->cp[i].bytes);
    d->rev->n = 0;
    d->rev->next = 0;
}

void dbg_reverse_free(ui_dbg_t *d)
{
    dbg_reverse_forget(d);
    free(d->rev);
    d->rev = NULL;
}

int ui_dbg_set_checkpoint_interval(ui_dbg_t *dbg, uint64_t cycles)
{
    if (cycles < 1000)
        return dbg_fail(dbg, "A checkpoint interval under 1 000 cycles would spend the run "
                             "saving; give 1000 or more.");
    dbg_reverse_t *r = reverse_of(dbg);
    if (!r)
        return dbg_fail(dbg, "Out of memory for the checkpoints.");
    r->interval = cycles;
    r->next = 0;
    return 0;
}

uint64_t ui_dbg_checkpoint_interval(ui_dbg_t *dbg)
{
    dbg_reverse_t *r = reverse_of(dbg);
    return r ? r->interval : UI_DBG_CHECKPOINT_INTERVAL;
}

size_t ui_dbg_checkpoint_count(const ui_dbg_t *dbg)
{
    return dbg->rev ? dbg->rev->n : 0;
}

/* Makes room when the list is full: every other checkpoint goes (the oldest stays), so the
 * ones kept thin out towards the past, as the replays they bound grow. */
static void thin_out(dbg_reverse_t *r)
{
    unsigned kept = 0;
    for (unsigned i = 0; i < r->n; i++) {
        if (i % 2 == 1 && i + 1 < r->n) {
            free(r->cp[i].bytes);
            continue;
        }
        r->cp[kept++] = r->cp[i];
    }
    r->n = kept;
}

/* A checkpoint of the machine as it is now (none when memory runs out: going back then
 * replays from an earlier one). */
static void take_checkpoint(ui_dbg_t *d, dbg_reverse_t *r)
{
    sim_machine_t *m = d->m;
    sim_snap_writer_t w;
    uint8_t *bytes;
    size_t len;
    if (hv_snapshot_build(m, d->scenario, &w) != 0 || sim_snap_finish(&w, &bytes, &len) != 0) {
        sim_snap_writer_free(&w);
        return;
    }
    sim_snap_writer_free(&w);
    if (r->n == DBG_MAX_CHECKPOINTS)
        thin_out(r);
    checkpoint_t *c = &r->cp[r->n++];
    for (unsigned i = 0; i < SIM_MAX_CPUS; i++)
        c->instret[i] = i < m->ncpus ? m->cpu[i].s.instret : 0;
    c->bytes = bytes;
    c->len = len;
}

sim_run_result_t dbg_reverse_run(ui_dbg_t *d)
{
    sim_machine_t *m = d->m;
    dbg_reverse_t *r = reverse_of(d);
    for (;;) {
        uint64_t now = m->cpu[m->round_next < m->ncpus ? m->round_next : 0].s.cycles;
        if (r && (r->n == 0 || now >= r->next)) {
            take_checkpoint(d, r);
            r->next = now + r->interval;
        }
        uint64_t limit = r && r->next < d->max_cycles ? r->next : d->max_cycles;
        bool goal = d->goal_limit && d->goal_limit < limit; /* the run's own time goal */
        if (goal)
            limit = d->goal_limit;
        sim_run_result_t why = sim_run(m, limit);
        if (why == SIM_RUN_MAX_CYCLES && goal) {
            d->goal_limit = 0; /* once: the run goes on from here if the goal is not met */
            if (dbg_goal_at_limit(d))
                return SIM_RUN_DEBUG;
            continue;
        }
        if (why != SIM_RUN_MAX_CYCLES || limit == d->max_cycles)
            return why;
    }
}

/* The last checkpoint from which the focus CPU reaches `instret` going forward. */
static const checkpoint_t *checkpoint_before(const dbg_reverse_t *r, unsigned cpu, uint64_t instret)
{
    const checkpoint_t *best = NULL;
    for (unsigned i = 0; i < r->n; i++)
        if (r->cp[i].instret[cpu] < instret || (!best && r->cp[i].instret[cpu] == instret))
            best = &r->cp[i];
    return best;
}

/* The stream the machine's consoles print to (the VMs', or the bare machine's). */
static FILE *console_of(const sim_machine_t *m)
{
    const hv_t *hv = hv_of_machine(m);
    return hv ? hv->cfg.console : m->console.out;
}

static void set_console(sim_machine_t *m, FILE *out)
{
    hv_t *hv = hv_of_machine(m);
    if (hv)
        hv->cfg.console = out;
    else
        sim_console_set_output(m, out);
}

/* Puts the machine back as the checkpoint holds it, its consoles silent (what the replay
 * prints was printed already); the debugger's settings stay. */
static int go_back_to(ui_dbg_t *d, const checkpoint_t *c)
{
    FILE *console = NULL;
    sim_snap_t s;
    sim_machine_t fresh;
    char err[512];
    if (sim_snap_parse(&s, "checkpoint", c->bytes, c->len, err, sizeof err) != 0)
        return dbg_fail(d, "The checkpoint cannot be read back: %s.", err);
    int rc = hv_snapshot_load_parsed(&fresh, &s, console, err, sizeof err);
    sim_snap_free(&s);
    if (rc != 0)
        return dbg_fail(d, "The checkpoint cannot be loaded: %s.", err);
    unsigned focus = d->focus;
    dbg_detach(d);
    hv_machine_swap(d->m, &fresh);
    if (dbg_attach(d) != 0)
        return dbg_fail(d, "The debugger cannot attach to the machine it went back to.");
    dbg_clear_run_state(d);
    d->focus = focus;
    return 0;
}

int ui_dbg_reverse_stepi(ui_dbg_t *dbg, uint64_t n, ui_dbg_stop_t *stop)
{
    if (n == 0)
        return dbg_fail(dbg, "Stepping back 0 instructions does nothing; give 1 or more.");
    unsigned f = dbg->focus;
    uint64_t now = dbg->m->cpu[f].s.instret;
    if (n > now)
        return dbg_fail(dbg, "cpu%u has retired only %llu instructions: it cannot go back %llu.", f,
                        (unsigned long long)now, (unsigned long long)n);
    uint64_t target = now - n;
    const checkpoint_t *c = dbg->rev ? checkpoint_before(dbg->rev, f, target) : NULL;
    if (!c)
        return dbg_fail(dbg, "There is no checkpoint that far back (the first was taken when "
                             "the debugger first ran the machine).");
    /* Forward to the point, with the breakpoints asleep: they were passed already. */
    bool enabled[UI_DBG_MAX_BPS];
    for (size_t i = 0; i < dbg->nbp; i++) {
        enabled[i] = dbg->bp[i].enabled;
        dbg->bp[i].enabled = false;
    }
    FILE *console = console_of(dbg->m);
    if (go_back_to(dbg, c) != 0)
        return -1;
    int rc = dbg_go_instret(dbg, target, stop);
    set_console(dbg->m, console);
    for (size_t i = 0; i < dbg->nbp; i++)
        dbg->bp[i].enabled = enabled[i];
    if (rc != 0)
        return -1;
    snprintf(stop->text, sizeof stop->text, "Stepped back %llu instruction%s on cpu%u.",
             (unsigned long long)n, n == 1 ? "" : "s", f);
    dbg->last = *stop;
    return 0;
}
