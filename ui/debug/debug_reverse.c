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
 * A point in the past is named by the focus pCPU's steps, as `stepi` counts them (an
 * instruction retired, a trap entered, a VM entered after an exit): `reverse-stepi N` goes to
 * the point from which `stepi N` comes back here. Or by the events: every event the machine makes
 * has a number (the debugger's log counts them from the machine's start, and each checkpoint
 * keeps the count it was taken at, so a replay numbers them alike): `reverse-step event` goes
 * to the event before the one shown, `reverse-finish` at an exit's sub-step to the exit that
 * began the handling, and `reverse-continue` finds the last breakpoint hit before now by
 * replaying from the checkpoints backwards, then replays to it. Checkpoints stay valid when
 * the debugger goes back (the future it replays is the same); a new machine (restore,
 * restart) or an edit of the machine's state drops them.
 */
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv.h"
#include "../../sim/sim_snap.h"
#include "debug_internal.h"

#define DBG_MAX_CHECKPOINTS 64
#define DBG_MIN_PAGE_BUDGET (64u << 20) /* bytes of page copies always allowed (see thin_out) */

/* A page of RAM as checkpoints hold it: one copy, shared by every checkpoint taken while the
 * page did not change. */
typedef struct {
    uint8_t bytes[MMU_PAGE_SIZE];
    uint32_t refs;
} ram_page_t;

typedef struct {
    uint64_t instret[SIM_MAX_CPUS]; /* each CPU's retired instructions at the checkpoint */
    uint64_t events;                /* the events the machine had made (the debugger's count) */
    uint8_t *bytes;                 /* the snapshot file's bytes (compressed), its RAM apart */
    size_t len;
    ram_page_t **pages; /* RAM, a page each (NULL: all zeros) */
} checkpoint_t;

struct dbg_reverse {
    uint64_t interval; /* cycles between checkpoints, as set */
    uint64_t step;     /* cycles between them now: the interval, doubled at each thinning */
    uint64_t next;     /* the cycle limit at which the next one is taken */
    checkpoint_t cp[DBG_MAX_CHECKPOINTS];
    unsigned n;
    sim_snap_writer_t w; /* kept between checkpoints, so each one reuses its buffer */
    /* RAM's pages at the last checkpoint taken or gone back to (references of its own), or
     * NULL. The pages the machine has not written since (sim_ram_clear_written then) are still
     * these: the next checkpoint shares them without reading RAM. */
    ram_page_t **base;
    uint32_t npages;
    size_t page_bytes; /* held by all the page copies */
};

/* ------------------------------------------------------------------------------------------
 * RAM's pages, shared between checkpoints
 * ------------------------------------------------------------------------------------------ */
static ram_page_t *page_share(ram_page_t *p)
{
    if (p)
        p->refs++;
    return p;
}

static void page_drop(dbg_reverse_t *r, ram_page_t *p)
{
    if (p && --p->refs == 0) {
        free(p);
        r->page_bytes -= sizeof *p;
    }
}

static void pages_free(dbg_reverse_t *r, ram_page_t **pages)
{
    for (uint32_t i = 0; pages && i < r->npages; i++)
        page_drop(r, pages[i]);
    free(pages);
}

/* The bytes of page `p` in RAM (the last page may be short). */
static size_t page_len(const sim_machine_t *m, uint32_t p)
{
    size_t at = (size_t)p << MMU_PAGE_SHIFT;
    return m->ram_size - at < MMU_PAGE_SIZE ? m->ram_size - at : MMU_PAGE_SIZE;
}

static bool all_zero(const uint8_t *b, size_t len)
{
    return len == 0 || (b[0] == 0 && memcmp(b, b + 1, len - 1) == 0);
}

/* Whether page p of RAM holds what `was` holds (NULL: zeros). */
static bool page_same(const sim_machine_t *m, uint32_t p, const ram_page_t *was)
{
    const uint8_t *now = m->ram + ((size_t)p << MMU_PAGE_SHIFT);
    return was ? memcmp(now, was->bytes, page_len(m, p)) == 0 : all_zero(now, page_len(m, p));
}

/* Page p of RAM as a checkpoint keeps it: `was` again when it did not change, NULL when it is
 * zeros, else a fresh copy. False when memory runs out. */
static bool page_now(dbg_reverse_t *r, const sim_machine_t *m, uint32_t p, ram_page_t *was,
                     ram_page_t **out)
{
    *out = NULL;
    if (page_same(m, p, was)) {
        *out = page_share(was);
        return true;
    }
    if (page_same(m, p, NULL))
        return true;
    ram_page_t *copy = calloc(1, sizeof *copy);
    if (!copy)
        return false;
    memcpy(copy->bytes, m->ram + ((size_t)p << MMU_PAGE_SHIFT), page_len(m, p));
    copy->refs = 1;
    r->page_bytes += sizeof *copy;
    *out = copy;
    return true;
}

/* A page the machine has not written since the last checkpoint holds what it held then: the
 * check build (make asan) proves it, since a writer that does not mark what it writes
 * (sim_ram_written) would make going back restore another RAM than the machine had. */
static void check_unwritten(const sim_machine_t *m, uint32_t p, const ram_page_t *was)
{
#ifdef HVSIM_BLOCK_CHECK
    if (!page_same(m, p, was))
        sim_panic(__FILE__, __LINE__,
                  "the page at 0x%08x changed since the last checkpoint, unmarked",
                  (unsigned)p << MMU_PAGE_SHIFT);
#else
    (void)m, (void)p, (void)was;
#endif
}

/* RAM's pages now, sharing with the base those that did not change. NULL when memory runs
 * out. */
static ram_page_t **ram_now(dbg_reverse_t *r, const sim_machine_t *m)
{
    r->npages = sim_ram_pages(m);
    ram_page_t **pages = calloc(r->npages, sizeof *pages);
    for (uint32_t p = 0; pages && p < r->npages; p++) {
        ram_page_t *was = r->base ? r->base[p] : NULL;
        if (r->base && !m->ram_written[p]) {
            check_unwritten(m, p, was);
            pages[p] = page_share(was);
        } else if (!page_now(r, m, p, was, &pages[p])) {
            pages_free(r, pages);
            return NULL;
        }
    }
    return pages;
}

/* From here on the machine's RAM is compared with `pages` (the checkpoint just taken, or the
 * one gone back to, which RAM now holds): every page is marked unwritten. */
static bool set_base(ui_dbg_t *d, dbg_reverse_t *r, ram_page_t *const *pages)
{
    ram_page_t **base = malloc(r->npages * sizeof *base);
    if (!base)
        return false;
    for (uint32_t p = 0; p < r->npages; p++)
        base[p] = page_share(pages[p]);
    pages_free(r, r->base);
    r->base = base;
    sim_ram_clear_written(d->m);
    return true;
}

static dbg_reverse_t *reverse_of(ui_dbg_t *d)
{
    if (!d->rev) {
        d->rev = calloc(1, sizeof *d->rev);
        if (d->rev)
            d->rev->interval = d->rev->step = UI_DBG_CHECKPOINT_INTERVAL;
    }
    return d->rev;
}

void dbg_reverse_forget(ui_dbg_t *d)
{
    if (!d->rev)
        return;
    for (unsigned i = 0; i < d->rev->n; i++) {
        free(d->rev->cp[i].bytes);
        pages_free(d->rev, d->rev->cp[i].pages);
    }
    pages_free(d->rev, d->rev->base);
    d->rev->base = NULL;
    d->rev->n = 0;
    d->rev->next = 0;
    d->rev->step = d->rev->interval;
}

void dbg_reverse_free(ui_dbg_t *d)
{
    dbg_reverse_forget(d);
    if (d->rev)
        sim_snap_writer_free(&d->rev->w);
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
    r->interval = r->step = cycles;
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

size_t ui_dbg_checkpoint_bytes(const ui_dbg_t *dbg)
{
    const dbg_reverse_t *r = dbg->rev;
    size_t bytes = r ? r->page_bytes : 0;
    for (unsigned i = 0; r && i < r->n; i++)
        bytes += r->cp[i].len + r->npages * sizeof *r->cp[i].pages;
    return bytes;
}

/* Makes room when the list is full: every other checkpoint goes (the oldest stays), so the
 * ones kept thin out towards the past, as the replays they bound grow. The ones to come are
 * taken twice as far apart, as the kept ones now are: a long run costs about 64 checkpoints
 * per doubling of its length, not one per interval. */
static void thin_out(dbg_reverse_t *r)
{
    r->step *= 2;
    unsigned kept = 0;
    for (unsigned i = 0; i < r->n; i++) {
        if (i % 2 == 1 && i + 1 < r->n) {
            free(r->cp[i].bytes);
            pages_free(r, r->cp[i].pages);
            continue;
        }
        r->cp[kept++] = r->cp[i];
    }
    r->n = kept;
}

/* The page copies may hold RAM's size twice over (or DBG_MIN_PAGE_BUDGET): a run that writes
 * much of RAM between checkpoints thins them out sooner. */
static size_t page_budget(const sim_machine_t *m)
{
    size_t twice = 2 * (size_t)m->ram_size;
    return twice > DBG_MIN_PAGE_BUDGET ? twice : DBG_MIN_PAGE_BUDGET;
}

/* A checkpoint of the machine as it is now: a snapshot of everything but RAM, and RAM's pages,
 * of which only those written since the last checkpoint are read (none when memory runs out:
 * going back then replays from an earlier one). */
static void take_checkpoint(ui_dbg_t *d, dbg_reverse_t *r)
{
    sim_machine_t *m = d->m;
    uint8_t *bytes;
    size_t len;
    if (r->npages && r->npages != sim_ram_pages(m))
        dbg_reverse_forget(d); /* another machine's (each one is forgotten when replaced) */
    sim_snap_writer_restart(&r->w, m->cpu[0].s.cycles);
    r->w.ram_apart = true;
    if (hv_snapshot_fill(m, d->scenario, &r->w) != 0 || sim_snap_finish(&r->w, &bytes, &len) != 0) {
        sim_snap_writer_free(&r->w); /* out of memory: give the buffer back too */
        return;
    }
    ram_page_t **pages = ram_now(r, m);
    if (!pages || !set_base(d, r, pages)) {
        free(bytes);
        pages_free(r, pages);
        return;
    }
    if (r->n == DBG_MAX_CHECKPOINTS)
        thin_out(r);
    checkpoint_t *c = &r->cp[r->n++];
    for (unsigned i = 0; i < SIM_MAX_CPUS; i++)
        c->instret[i] = i < m->ncpus ? m->cpu[i].s.instret : 0;
    c->events = d->log_total;
    c->bytes = bytes;
    c->len = len;
    c->pages = pages;
    while (r->page_bytes > page_budget(m) && r->n > 2)
        thin_out(r);
}

sim_run_result_t dbg_reverse_run(ui_dbg_t *d)
{
    sim_machine_t *m = d->m;
    dbg_reverse_t *r = reverse_of(d);
    for (;;) {
        uint64_t now = m->cpu[m->round_next < m->ncpus ? m->round_next : 0].s.cycles;
        if (r && (r->n == 0 || now >= r->next)) {
            take_checkpoint(d, r);
            r->next = now + r->step;
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

/* The last checkpoint from which the focus CPU reaches `instret` going forward (checkpoints
 * taken after going back sit after later ones in the list: the latest in time wins). */
static const checkpoint_t *checkpoint_before(const dbg_reverse_t *r, unsigned cpu, uint64_t instret)
{
    const checkpoint_t *best = NULL;
    for (unsigned i = 0; i < r->n; i++) {
        const checkpoint_t *c = &r->cp[i];
        if ((c->instret[cpu] < instret || (!best && c->instret[cpu] == instret)) &&
            (!best || c->events >= best->events))
            best = c;
    }
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
    dbg_reverse_t *r = d->rev;
    const uint8_t **ram = malloc(r->npages * sizeof *ram);
    if (!ram)
        return dbg_fail(d, "Out of memory for going back to the checkpoint.");
    for (uint32_t p = 0; p < r->npages; p++)
        ram[p] = c->pages[p] ? c->pages[p]->bytes : NULL;
    if (sim_snap_parse(&s, "checkpoint", c->bytes, c->len, err, sizeof err) != 0) {
        free(ram);
        return dbg_fail(d, "The checkpoint cannot be read back: %s.", err);
    }
    s.ram_pages = ram;
    int rc = hv_snapshot_load_parsed(&fresh, &s, console, err, sizeof err);
    sim_snap_free(&s);
    free(ram);
    if (rc != 0)
        return dbg_fail(d, "The checkpoint cannot be loaded: %s.", err);
    unsigned focus = d->focus;
    dbg_detach(d);
    hv_machine_swap(d->m, &fresh);
    if (dbg_attach(d) != 0)
        return dbg_fail(d, "The debugger cannot attach to the machine it went back to.");
    /* RAM is the checkpoint's: compared with it from here (when memory runs out, with the old
     * base: every page of the fresh machine is marked written, so the next checkpoint reads
     * them all) */
    set_base(d, r, c->pages);
    dbg_clear_run_state(d);
    d->log_total = c->events; /* the replay numbers its events as the run did */
    d->focus = focus;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Replaying: the breakpoints asleep (or all but one), the consoles silent
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    bool enabled[UI_DBG_MAX_BPS];
    uint64_t hits[UI_DBG_MAX_BPS], ignore[UI_DBG_MAX_BPS];
    bool temporary[UI_DBG_MAX_BPS];
    FILE *console;
    uint64_t max_cycles;
} replay_t;

/* Puts the breakpoints to sleep but `awake` (0: none) and notes what a replay changes in
 * them (their counts, ignore counts and tbreaks stay as the user left them). */
static void replay_begin(ui_dbg_t *d, replay_t *p, int awake)
{
    for (size_t i = 0; i < d->nbp; i++) {
        ui_dbg_bp_t *bp = &d->bp[i];
        p->enabled[i] = bp->enabled;
        p->hits[i] = bp->hits;
        p->ignore[i] = bp->ignore;
        p->temporary[i] = bp->temporary;
        bp->enabled = awake < 0 ? bp->enabled : bp->id == awake;
        bp->ignore = 0;
        bp->temporary = false;
    }
    p->console = console_of(d->m);
    p->max_cycles = d->max_cycles;
}

static void replay_end(ui_dbg_t *d, const replay_t *p)
{
    set_console(d->m, p->console);
    for (size_t i = 0; i < d->nbp; i++) {
        ui_dbg_bp_t *bp = &d->bp[i];
        bp->enabled = p->enabled[i];
        bp->hits = p->hits[i];
        bp->ignore = p->ignore[i];
        bp->temporary = p->temporary[i];
    }
    d->max_cycles = p->max_cycles;
}

/* A point of the run, ordered by time: `ev2` is 2E + 1 at a stop that showed event E, 2L at
 * an instruction boundary after the first L events; between two events, the instructions
 * every CPU retired tell the boundaries apart. */
typedef struct {
    uint64_t ev2, instret;
} point_t;

static bool earlier(point_t a, point_t b)
{
    return a.ev2 < b.ev2 || (a.ev2 == b.ev2 && a.instret < b.instret);
}

static uint64_t all_instret(const uint64_t *instret, unsigned n)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < n; i++)
        sum += instret[i];
    return sum;
}

static point_t position(const ui_dbg_t *d)
{
    uint64_t instret[SIM_MAX_CPUS];
    for (unsigned i = 0; i < d->m->ncpus; i++)
        instret[i] = d->m->cpu[i].s.instret;
    point_t p = {0, all_instret(instret, d->m->ncpus)};
    bool ahead = d->ahead_to == d->log_total && d->ahead_from < d->ahead_to;
    if (d->have_last && d->last.has_event)
        p.ev2 = 2 * d->last_logno + 1;
    else
        p.ev2 = 2 * (ahead ? d->ahead_from : d->log_total);
    return p;
}

static point_t checkpoint_point(const checkpoint_t *c)
{
    return (point_t){2 * c->events, all_instret(c->instret, SIM_MAX_CPUS)};
}

/* The latest checkpoint earlier than `p`, and than `below` when given. */
static const checkpoint_t *checkpoint_earlier(const dbg_reverse_t *r, point_t p,
                                              const checkpoint_t *below)
{
    const checkpoint_t *best = NULL;
    for (unsigned i = 0; r && i < r->n; i++) {
        point_t at = checkpoint_point(&r->cp[i]);
        if (earlier(at, p) && (!below || earlier(at, checkpoint_point(below))) &&
            (!best || earlier(checkpoint_point(best), at)))
            best = &r->cp[i];
    }
    return best;
}

/* Replays from the latest checkpoint before it to event number `logno`, and stops there as
 * `step event` would. */
static int back_to_event(ui_dbg_t *d, uint64_t logno, ui_dbg_stop_t *stop)
{
    const checkpoint_t *c = checkpoint_earlier(d->rev, (point_t){2 * logno + 1, 0}, NULL);
    if (!c)
        return dbg_fail(d, "There is no checkpoint that far back (the first was taken when "
                           "the debugger first ran the machine).");
    replay_t p;
    replay_begin(d, &p, 0);
    int rc = go_back_to(d, c);
    if (rc == 0)
        rc = dbg_go_event_number(d, logno, stop);
    replay_end(d, &p);
    return rc;
}

/* Prefixes a stop's sentence with what the reverse command did. */
static void say_back(ui_dbg_t *d, ui_dbg_stop_t *stop, const char *what)
{
    char text[sizeof stop->text];
    size_t n = strlen(what);
    memcpy(text, stop->text, sizeof text);
    if (n + 1 >= sizeof stop->text)
        return;
    memcpy(stop->text, what, n);
    stop->text[n] = ' ';
    memcpy(stop->text + n + 1, text, sizeof stop->text - n - 1);
    stop->text[sizeof stop->text - 1] = '\0';
    d->last = *stop;
}

/* The focus CPU's VM exits the log holds (the latest DBG_EXITS_SEEN): their numbers and
 * reasons, taken before a replay rebuilds the log. */
#define DBG_EXITS_SEEN 64
typedef struct {
    uint64_t logno[DBG_EXITS_SEEN];
    uint32_t reason[DBG_EXITS_SEEN];
    unsigned n;
} exits_seen_t;

static void note_exits(const ui_dbg_t *d, exits_seen_t *x)
{
    uint64_t first = d->log_total - d->log_n;
    x->n = 0;
    for (size_t k = 0; k < d->log_n; k++) {
        const sim_event_t *ev = &d->log[(d->log_head + k) % UI_DBG_LOG];
        if (ev->kind != SIM_EV_VMEXIT || ev->cpu != d->focus)
            continue;
        if (x->n == DBG_EXITS_SEEN) { /* keep the latest */
            memmove(x->logno, x->logno + 1, sizeof x->logno - sizeof x->logno[0]);
            memmove(x->reason, x->reason + 1, sizeof x->reason - sizeof x->reason[0]);
            x->n--;
        }
        x->logno[x->n] = first + k;
        x->reason[x->n++] = ev->a;
    }
}

/*
 * Why reverse-stepi steps over an exit's handling (docs/debugger.md, "Stepping backwards"): it
 * names its point by retired instructions, and an exit's sub-steps are events between two
 * instruction boundaries, not instructions. The stop says so when it went over one, and how
 * to walk back through it.
 */
static void say_exits_passed(ui_dbg_t *d, const exits_seen_t *x, ui_dbg_stop_t *stop)
{
    uint64_t done = position(d).ev2 / 2; /* events before the point it landed at */
    unsigned passed = 0;
    uint32_t reason = 0;
    for (unsigned i = 0; i < x->n; i++)
        if (x->logno[i] >= done) {
            passed++;
            reason = x->reason[i];
        }
    if (!passed)
        return;
    size_t used = strlen(stop->text);
    if (passed == 1)
        snprintf(stop->text + used, sizeof stop->text - used,
                 " It went back over the hypervisor's handling of the exit %s (reverse-stepi "
                 "counts instructions; `reverse-step event` walks back through the handling).",
                 cpu_exit_reason_name(reason));
    else
        snprintf(stop->text + used, sizeof stop->text - used,
                 " It went back over %u VM exits and their handling (reverse-stepi counts "
                 "instructions; `reverse-step event` walks back through a handling).",
                 passed);
}

/* The focus CPU's cycle at the point reverse-stepi counts back from: its boundary now, or,
 * at an exit or one of its sub-steps, the boundary of the instruction that exited. */
static uint64_t stepping_point(ui_dbg_t *d)
{
    unsigned f = d->focus;
    if (dbg_in_exit(d) && d->has_exit[f])
        return d->last_exit[f].cycle;
    return d->m->cpu[f].s.cycles;
}

/*
 * reverse-stepi N is stepi N undone: from the checkpoint, it counts the steps (as stepi counts
 * them: an instruction retired, a trap entered, a VM entered after an exit) to the point it
 * starts from, T, then goes back to the checkpoint and takes T - N steps. Two replays, but the
 * point is exactly the one from which `stepi N` comes back here, exits and traps included.
 */
static int back_steps(ui_dbg_t *d, const checkpoint_t *c, uint64_t n, ui_dbg_stop_t *stop)
{
    uint64_t until = stepping_point(d);
    bool idle = dbg_pcpu_idle(d, d->focus);
    if (go_back_to(d, c) != 0 || dbg_go_count(d, 0, until, idle, stop) != 0)
        return -1;
    uint64_t total = d->counted;
    if (total < n)
        return dbg_fail(d, "There is no checkpoint that far back (only %llu steps since the "
                           "first).", (unsigned long long)total);
    if (go_back_to(d, c) != 0)
        return -1;
    return dbg_go_count(d, total - n, 0, true, stop);
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
    /* Every retired instruction is a step, so a checkpoint N instructions back holds N steps. */
    const checkpoint_t *c = dbg->rev ? checkpoint_before(dbg->rev, f, now - n) : NULL;
    if (!c)
        return dbg_fail(dbg, "There is no checkpoint that far back (the first was taken when "
                             "the debugger first ran the machine).");
    exits_seen_t x;
    note_exits(dbg, &x);
    /* Forward to the point, with the breakpoints asleep: they were passed already. */
    replay_t p;
    replay_begin(dbg, &p, 0);
    int rc = back_steps(dbg, c, n, stop);
    replay_end(dbg, &p);
    if (rc != 0)
        return -1;
    snprintf(stop->text, sizeof stop->text, "Stepped back %llu instruction%s on cpu%u.",
             (unsigned long long)n, n == 1 ? "" : "s", f);
    say_exits_passed(dbg, &x, stop);
    dbg->last = *stop;
    return 0;
}

int ui_dbg_reverse_step_event(ui_dbg_t *dbg, ui_dbg_stop_t *stop)
{
    uint64_t pos = position(dbg).ev2;
    uint64_t done = pos % 2 ? (pos - 1) / 2 : pos / 2; /* events before the one shown, or all */
    if (done == 0)
        return dbg_fail(dbg, "No event happened before this point.");
    if (back_to_event(dbg, done - 1, stop) != 0)
        return -1;
    say_back(dbg, stop, "Back one event:");
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * reverse-continue: the last breakpoint hit before now
 * ------------------------------------------------------------------------------------------ */
/* Replays from c with the breakpoints `awake` (-1: as they are) until the point `until`;
 * returns how many breakpoint or watchpoint stops came before it. */
static uint64_t count_hits(ui_dbg_t *d, const checkpoint_t *c, point_t until)
{
    uint64_t n = 0;
    ui_dbg_stop_t st;
    if (go_back_to(d, c) != 0)
        return 0;
    while (dbg_go(d, DBG_GO_CONTINUE, &st) == 0 &&
           (st.kind == UI_DBG_STOP_BREAKPOINT || st.kind == UI_DBG_STOP_WATCHPOINT) &&
           earlier(position(d), until))
        n++;
    return n;
}

/* Goes back to where the debugger stood (no hit was found): the event it showed, or the focus
 * CPU's instruction boundary. */
static void back_to_start(ui_dbg_t *d, const ui_dbg_stop_t *last, bool had_last, uint64_t logno,
                          uint64_t instret)
{
    ui_dbg_stop_t st;
    const checkpoint_t *c = checkpoint_earlier(d->rev, (point_t){2 * logno + 1, 0}, NULL);
    if (had_last && last->has_event && c && go_back_to(d, c) == 0)
        dbg_go_event_number(d, logno, &st);
    else if ((c = checkpoint_before(d->rev, d->focus, instret)) && go_back_to(d, c) == 0)
        dbg_go_instret(d, instret, &st);
    d->last = *last;
    d->have_last = had_last;
}

/* The last stop of breakpoint `awake` (-1: any enabled one) before now: replays from the
 * checkpoints, the latest first, counting hits up to now; then replays to the last one. */
static int back_to_hit(ui_dbg_t *dbg, int awake, ui_dbg_stop_t *stop)
{
    sim_machine_t *m = dbg->m;
    point_t cur = position(dbg);
    uint64_t instret = m->cpu[dbg->focus].s.instret;
    ui_dbg_stop_t last = dbg->last;
    bool had_last = dbg->have_last;
    uint64_t logno = dbg->last_logno, hits = 0;
    const checkpoint_t *c = NULL, *below = NULL;
    replay_t p;
    replay_begin(dbg, &p, awake);
    dbg->max_cycles = m->cpu[0].s.cycles + 1; /* no replay runs past now */
    while (hits == 0 && (c = checkpoint_earlier(dbg->rev, cur, below))) {
        hits = count_hits(dbg, c, cur);
        below = c;
    }
    int rc = 0;
    if (hits == 0) {
        back_to_start(dbg, &last, had_last, logno, instret);
        rc = dbg_fail(dbg, "No breakpoint was hit before this point (since the first "
                           "checkpoint); the machine stays where it was.");
    } else if ((rc = go_back_to(dbg, c)) == 0) {
        for (uint64_t i = 0; i < hits && rc == 0; i++)
            rc = dbg_go(dbg, DBG_GO_CONTINUE, stop);
    }
    replay_end(dbg, &p);
    return rc;
}

int ui_dbg_reverse_continue(ui_dbg_t *dbg, ui_dbg_stop_t *stop)
{
    if (back_to_hit(dbg, -1, stop) != 0)
        return -1;
    say_back(dbg, stop, "Back to the last hit:");
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * reverse-finish: back to the call of the routine (or to the exit of a handling)
 * ------------------------------------------------------------------------------------------ */
/* The number of the focus CPU's last VM exit at or before event `upto`, from the log. */
static bool last_exit_event(const ui_dbg_t *d, uint64_t upto, uint64_t *logno)
{
    uint64_t first = d->log_total - d->log_n;
    for (size_t k = d->log_n; k-- > 0;) {
        const sim_event_t *ev = &d->log[(d->log_head + k) % UI_DBG_LOG];
        if (first + k <= upto && ev->kind == SIM_EV_VMEXIT && ev->cpu == d->focus) {
            *logno = first + k;
            return true;
        }
    }
    return false;
}

/* At a stop in an exit's handling: back to the exit itself (finish's mirror). */
static int back_to_exit(ui_dbg_t *dbg, ui_dbg_stop_t *stop)
{
    uint64_t pos = position(dbg).ev2, logno;
    if (!last_exit_event(dbg, pos / 2, &logno))
        return dbg_fail(dbg, "The exit this handling began with is no longer in the event log.");
    if (back_to_event(dbg, logno, stop) != 0)
        return -1;
    say_back(dbg, stop, "Back to the exit:");
    return 0;
}

int ui_dbg_reverse_finish(ui_dbg_t *dbg, ui_dbg_stop_t *stop)
{
    if (dbg_in_exit(dbg))
        return back_to_exit(dbg, stop);
    ui_dbg_frame_t f[2];
    size_t n = 0;
    char why[200];
    if (ui_dbg_backtrace(dbg, f, 2, &n, why, sizeof why) != 0 || n < 2)
        return dbg_fail(dbg, "reverse-finish needs the caller's frame: %s", why);
    /* the call is the instruction before the return address, run with the caller's sp */
    char where[64], cond[64];
    ui_dbg_space_t space;
    uint32_t addr;
    int vm;
    snprintf(where, sizeof where, "*0x%08x", f[1].pc - 4);
    snprintf(cond, sizeof cond, "$sp == 0x%08x", f[1].sp);
    if (ui_dbg_parse_location(dbg, where, &space, &addr, &vm) != 0)
        return -1;
    int id = ui_dbg_break_addr(dbg, space, addr, (int)dbg->focus, dbg->focus_vm);
    if (id < 0)
        return -1;
    int rc = ui_dbg_bp_condition(dbg, id, cond);
    if (rc == 0)
        rc = back_to_hit(dbg, id, stop);
    ui_dbg_delete(dbg, id);
    if (rc != 0)
        return -1;
    stop->kind = UI_DBG_STOP_FINISH;
    stop->id = 0;
    char func[96];
    snprintf(stop->text, sizeof stop->text, "Back to the call at 0x%08x%s, on cpu%u.", addr,
             ui_dbg_symbolize(dbg, addr, func, sizeof func), stop->cpu);
    dbg->last = *stop;
    return 0;
}
