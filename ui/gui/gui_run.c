/*
 * gui_run.c - how the window runs the machine: the commands behind the keys and buttons (run
 * and pause, step an instruction, to the next trap, exit or event) and the share of time the
 * machine gets between two frames.
 *
 * At full speed the machine runs flat out (the debugger's `continue`, no per-instruction
 * check) until a one-shot timer asks the debugger to stop at the next instruction boundary
 * (ui_dbg_request_stop is async-signal-safe). Such a stop never changes how the CPUs
 * interleave, so a run with the window open gives the same cycles and output as one without.
 * At a set speed (1 to 10 million instructions per second) the window steps exactly the
 * instructions the speed control owes for the time that passed, so a student can follow.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gui_internal.h"

/* 1, 2, 5, 10, 20, 50 ... instructions per second: from one a second, to follow with the eye,
 * up to 10 million, then full speed. */
const uint64_t gui_speed_table[GUI_SPEEDS] = {
    1,     2,     5,     10,     20,     50,     100,     200,     500,     1000,     2000, 5000,
    10000, 20000, 50000, 100000, 200000, 500000, 1000000, 2000000, 5000000, 10000000, 0};

/* The slice timer: its signal asks the debugger to stop, and says it was the window's. */
static ui_dbg_t *volatile alarm_dbg;
static volatile sig_atomic_t alarm_fired;
static timer_t slice_timer;
static bool timer_ready;

static void on_alarm(int sig)
{
    (void)sig;
    alarm_fired = 1;
    ui_dbg_t *dbg = alarm_dbg;
    if (dbg)
        ui_dbg_request_stop(dbg);
}

static bool timer_setup(void)
{
    if (timer_ready)
        return true;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL) != 0)
        return false;
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGALRM;
    if (timer_create(CLOCK_MONOTONIC, &sev, &slice_timer) != 0)
        return false;
    timer_ready = true;
    return true;
}

static void timer_arm(double ms)
{
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    long ns = (long)(ms * 1e6);
    ns = ns < 100000 ? 100000 : ns;
    its.it_value.tv_sec = ns / 1000000000L;
    its.it_value.tv_nsec = ns % 1000000000L;
    timer_settime(slice_timer, 0, &its, NULL);
}

static void timer_disarm(void)
{
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    timer_settime(slice_timer, 0, &its, NULL);
}

void gui_report_stop(gui_t *g, const char *what, const ui_dbg_stop_t *st)
{
    if (g->report)
        g->report(g, what, st);
}

/* A stop the student should see: the run ends, its sentence shows, the REPL prints it. */
static void real_stop(gui_t *g, const char *what)
{
    g->running = false;
    g->highlight = true;
    gui_sync(g);
    const ui_dbg_stop_t *st = ui_dbg_last_stop(g->dbg);
    gui_report_stop(g, what, st);
}

static void failed(gui_t *g)
{
    g->running = false;
    snprintf(g->status, sizeof g->status, "%s", ui_dbg_error(g->dbg));
    g->status_rgb = GUI_WARN;
}

/* A window-made stop at the boundary of an address breakpoint: the debugger would step over
 * that breakpoint on the next run (as after any stop there), so the window stops for it now. */
static const ui_dbg_bp_t *bp_at_stop(gui_t *g, const ui_dbg_stop_t *st)
{
    size_t n = ui_dbg_bp_count(g->dbg);
    for (size_t i = 0; i < n; i++) {
        const ui_dbg_bp_t *bp = ui_dbg_bp(g->dbg, i);
        uint32_t hpa;
        if (bp->kind != UI_DBG_BP_ADDR || !bp->enabled ||
            (bp->cpu != UI_DBG_ANY_CPU && (unsigned)bp->cpu != st->cpu))
            continue;
        if (bp->space == UI_DBG_SPACE_GVA && mmu_active(&ui_dbg_cpu(g->dbg, st->cpu)->mmu) &&
            bp->addr == st->pc)
            return bp;
        if (bp->space == UI_DBG_SPACE_HPA &&
            ui_dbg_to_hpa(g->dbg, ui_dbg_default_space(g->dbg), st->pc, &hpa) == 0 &&
            bp->addr == hpa)
            return bp;
    }
    return NULL;
}

/* Running flat out, the debugger's checkpoints for reverse execution (one every 500 000
 * cycles unless set) would take half the machine's time: each is a compressed snapshot of all
 * but RAM, and a copy of the pages written since the last, some 0.7 ms of host time in the
 * default scenario (make bench), where 500 000 cycles run in about 0.5 ms. So the
 * window spaces them GUI_FLAT_OUT_CHECKPOINTS apart while it runs flat out, and puts the
 * student's spacing back when the run stops (unless the student set another meanwhile).
 * Going back after a run at full speed then replays at most that many cycles. */
static void space_checkpoints(gui_t *g, bool flat_out)
{
    if (flat_out && !g->cp_saved) {
        uint64_t was = ui_dbg_checkpoint_interval(g->dbg);
        if (was < GUI_FLAT_OUT_CHECKPOINTS &&
            ui_dbg_set_checkpoint_interval(g->dbg, GUI_FLAT_OUT_CHECKPOINTS) == 0)
            g->cp_saved = was;
    } else if (!flat_out && g->cp_saved) {
        if (ui_dbg_checkpoint_interval(g->dbg) == GUI_FLAT_OUT_CHECKPOINTS)
            ui_dbg_set_checkpoint_interval(g->dbg, g->cp_saved);
        g->cp_saved = 0;
    }
}

void gui_run_slice(gui_t *g, double budget_ms, double dt)
{
    uint64_t ips = gui_speed_table[g->speed];
    space_checkpoints(g, g->running && ips == 0);
    if (!g->running)
        return;
    ui_dbg_stop_t st;
    if (ips == 0) {
        g->highlight = false;
        if (!timer_setup()) {
            /* No timer: fall back to a fixed slice of cycles (checked per instruction). */
            if (ui_dbg_run_cycles(g->dbg, 2000000, &st) != 0)
                return failed(g);
            if (st.kind == UI_DBG_STOP_CYCLES) {
                g->seen = st;
                return;
            }
            return real_stop(g, "run");
        }
        unsigned focus = ui_dbg_focus(g->dbg);
        alarm_fired = 0;
        alarm_dbg = g->dbg;
        timer_arm(budget_ms);
        int rc = ui_dbg_continue(g->dbg, &st);
        timer_disarm();
        alarm_dbg = NULL;
        if (rc != 0)
            return failed(g);
        if (st.kind == UI_DBG_STOP_INTERRUPTED && alarm_fired) {
            /* The window's own pause between frames: not a stop to show, and the CPU the
             * student selected stays selected. */
            const ui_dbg_bp_t *bp = bp_at_stop(g, &st);
            ui_dbg_set_focus(g->dbg, bp ? st.cpu : focus);
            g->seen = *ui_dbg_last_stop(g->dbg);
            g->have_seen = true;
            if (bp) {
                char desc[160];
                ui_dbg_bp_describe(g->dbg, bp, desc, sizeof desc);
                g->running = false;
                g->highlight = true;
                ui_gui_note_stop(g);
                snprintf(g->status, sizeof g->status, "Breakpoint %d, %s, on cpu%u.", bp->id,
                         desc, st.cpu);
                g->status_rgb = GUI_TEXT;
                gui_report_stop(g, g->status, NULL);
            }
            return;
        }
        return real_stop(g, "run");
    }
    g->owed += (double)ips * dt;
    double cap = (double)ips * 0.25 + 1;
    g->owed = g->owed > cap ? cap : g->owed;
    if (g->owed < 1)
        return;
    uint64_t n = (uint64_t)g->owed;
    g->owed -= (double)n;
    if (ui_dbg_stepi(g->dbg, n, &st) != 0)
        return failed(g);
    g->highlight = true;
    if (st.kind == UI_DBG_STOP_STEP) {
        gui_sync(g);
        return;
    }
    real_stop(g, "run");
}

void gui_cmd_run_pause(gui_t *g)
{
    if (g->running) {
        g->running = false;
        g->highlight = true;
        ui_gui_note_stop(g);
        snprintf(g->status, sizeof g->status, "Paused.");
        g->status_rgb = GUI_TEXT;
        return;
    }
    if (g->m->powered_off) {
        snprintf(g->status, sizeof g->status,
                 "The machine is powered off (exit code %u). The window stays open to look at: "
                 "r runs it again from cycle 0, q quits.",
                 g->m->exit_code);
        g->status_rgb = GUI_WARN;
        return;
    }
    g->running = true;
    g->owed = 0;
    snprintf(g->status, sizeof g->status, "Running.");
    g->status_rgb = GUI_TEXT;
}

void gui_record_restart(void *gui)
{
    gui_t *g = gui;
    g->running = false;
    gui_record_free(g); /* the old machine's listeners are gone with it: this frees the lanes */
    if (gui_record_init(g) != 0) {
        snprintf(g->status, sizeof g->status, "The window cannot follow the new machine.");
        g->status_rgb = GUI_WARN;
        g->rec_failed = true;
    }
    g->tl_follow = true;
    g->tl_zoomed = g->tl_has_sel = false;
    g->walk_key = 0;
    for (unsigned i = 0; i < g->m->ncpus; i++)
        g->now[i] = g->before[i] = ui_dbg_cpu(g->dbg, i)->s;
}

/* The debugger replaced the machine (a restart, a restore: `replace`): the window forgets what
 * it recorded of the old one and says `done` (or why it failed: -1). */
static int new_machine(gui_t *g, int (*replace)(ui_dbg_t *, const char *), const char *path,
                       const char *done)
{
    g->running = false;
    g->rec_failed = false;
    int rc = replace(g->dbg, path); /* the debugger calls gui_record_restart */
    if (g->rec_failed)
        rc = -1;
    if (rc != 0) {
        snprintf(g->status, sizeof g->status, "%s", ui_dbg_error(g->dbg));
        g->status_rgb = GUI_WARN;
        return -1;
    }
    snprintf(g->status, sizeof g->status, "%s", done);
    g->status_rgb = GUI_TEXT;
    return 0;
}

static int restart(ui_dbg_t *dbg, const char *path)
{
    (void)path;
    return ui_dbg_restart(dbg);
}

/* r: the scenario (or program) again from cycle 0, through the debugger's restart (the REPL's
 * run/restart does the same). */
void gui_cmd_restart(gui_t *g)
{
    new_machine(g, restart, NULL,
                "Restarted from cycle 0 with the same breakpoints. Space runs, s steps.");
}

/* F5 and F9: a quick save of the whole machine to GUI_SNAPSHOT in the current directory, and
 * going back to it (the REPL's save and restore FILE, docs/snapshot.md). */
void gui_cmd_save(gui_t *g)
{
    g->running = false;
    char cycle[32];
    if (ui_dbg_save(g->dbg, GUI_SNAPSHOT) != 0) {
        snprintf(g->status, sizeof g->status, "%s", ui_dbg_error(g->dbg));
        g->status_rgb = GUI_WARN;
        return;
    }
    snprintf(g->status, sizeof g->status, "Saved the machine at cycle %s to %s; F9 comes back.",
             sim_group_digits(ui_dbg_cpu(g->dbg, 0)->s.cycles, cycle, sizeof cycle), GUI_SNAPSHOT);
    g->status_rgb = GUI_TEXT;
}

void gui_cmd_restore(gui_t *g)
{
    new_machine(g, ui_dbg_restore, GUI_SNAPSHOT,
                "Restored the machine from " GUI_SNAPSHOT " (breakpoints kept). Space runs.");
}

/* Backspace: one instruction back on the focus pCPU (reverse-stepi, docs/debugger.md,
 * "Stepping backwards"). The machine is put back from a checkpoint, so the window forgets
 * its record as after a restore, then shows the stop like any step. */
static int back_one(ui_dbg_t *dbg, const char *path)
{
    (void)path;
    ui_dbg_stop_t st;
    return ui_dbg_reverse_stepi(dbg, 1, &st);
}

void gui_cmd_step_back(gui_t *g)
{
    if (new_machine(g, back_one, NULL, "") == 0)
        real_stop(g, "reverse-stepi");
}

/* One command of the debugger, as a key or button issues it. */
static void step_with(gui_t *g, const char *what, int (*run)(ui_dbg_t *, ui_dbg_stop_t *))
{
    ui_dbg_stop_t st;
    g->running = false;
    if (run(g->dbg, &st) != 0)
        return failed(g);
    real_stop(g, what);
}

static int stepi_one(ui_dbg_t *dbg, ui_dbg_stop_t *st)
{
    return ui_dbg_stepi(dbg, 1, st);
}

void gui_cmd_stepi(gui_t *g)
{
    step_with(g, "stepi", stepi_one);
}

void gui_cmd_step_trap(gui_t *g)
{
    step_with(g, "step trap", ui_dbg_step_trap);
}

void gui_cmd_step_exit(gui_t *g)
{
    step_with(g, "step exit", ui_dbg_step_exit);
}

void gui_cmd_step_event(gui_t *g)
{
    step_with(g, "step event", ui_dbg_step_event);
}

void gui_cmd_finish(gui_t *g)
{
    step_with(g, "finish", ui_dbg_finish);
}

void gui_cmd_faster(gui_t *g)
{
    if (g->speed < GUI_SPEEDS - 1)
        g->speed++;
    g->owed = 0;
}

void gui_cmd_slower(gui_t *g)
{
    if (g->speed > 0)
        g->speed--;
    g->owed = 0;
}

void gui_cmd_full_speed(gui_t *g)
{
    g->speed = GUI_SPEEDS - 1;
    if (!g->running)
        gui_cmd_run_pause(g);
}
