/*
 * bare.c - `hvsim --bare`: one program on the bare machine, no hypervisor; and the run of a
 * machine that every headless mode shares (--bare, --scenario): trace, limits, exit status,
 * statistics.
 */
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv.h"
#include "../../sim/sim.h"
#include "ui_hvsim.h"

static void print_event(const sim_event_t *ev, void *ctx)
{
    (void)ctx;
    char line[200];
    sim_event_format(ev, line, sizeof line);
    fprintf(stderr, "%s\n", line);
}

void ui_trace_events(sim_machine_t *m)
{
    sim_add_sink(m, print_event, NULL);
}

/* The last trap, for a useful message when the program never powers off. */
typedef struct {
    bool seen;
    sim_event_t ev;
} last_trap_t;

static void remember_trap(const sim_event_t *ev, void *ctx)
{
    last_trap_t *last = ctx;
    if (ev->kind == SIM_EV_TRAP) {
        last->seen = true;
        last->ev = *ev;
    }
}

static void explain_no_poweroff(const sim_machine_t *m, const last_trap_t *last)
{
    const cpu_state_t *s = &m->cpu[0].s;
    char n[48];
    fprintf(stderr, "  cpu0 stopped at pc 0x%08x in mode %s after %s\n", s->pc,
            cpu_mode_name(cpu_mode(&m->cpu[0])),
            sim_counted(s->instret, "instruction", n, sizeof n));
    if (last->seen) {
        char buf[48];
        fprintf(stderr, "  last trap: %s at 0x%08x (tval 0x%08x), cycle %llu\n",
                cpu_cause_name(last->ev.a, buf, sizeof buf), last->ev.pc, last->ev.b,
                (unsigned long long)last->ev.cycle);
        if (last->ev.pc == s->csr[CPU_CSR_TVEC])
            fprintf(stderr, "  the trap handler itself faults (tvec = 0x%08x), so every trap "
                            "leads to another: did the program set tvec?\n",
                    s->csr[CPU_CSR_TVEC]);
    }
}

static bool ends_line(const char *text)
{
    size_t n = strlen(text);
    return n == 0 || text[n - 1] == '\n';
}

int ui_run_machine(sim_machine_t *m, const ui_bare_options_t *opt)
{
    last_trap_t last = {0};
    sim_add_sink_for(m, remember_trap, &last, SIM_EV_BIT(SIM_EV_TRAP));
    if (opt->trace)
        ui_trace_events(m);

    sim_run_result_t why = sim_run(m, opt->max_cycles);
    fflush(stdout);
    int status = (int)(m->exit_code & 0xff);
    if (why == SIM_RUN_MAX_CYCLES) {
        char n[48];
        fprintf(stderr, "hvsim: the program did not power off within %s (--max-cycles)\n",
                sim_counted(opt->max_cycles, "cycle", n, sizeof n));
        explain_no_poweroff(m, &last);
        status = 124;
    } else if (why == SIM_RUN_IDLE) {
        char why[512];
        if (m->console.out)
            fflush(m->console.out); /* a prompt without its newline, before the message */
        fprintf(stderr,
                "%shvsim: every CPU is halted and nothing can wake it (no timer armed, "
                "no interrupt pending)\n",
                sim_console_captured(m)[0] && !ends_line(sim_console_captured(m)) ? "\n" : "");
        if (hv_explain_idle(m, why, sizeof why))
            fprintf(stderr, "hvsim: %s; give it console input with --input FILE\n", why);
        explain_no_poweroff(m, &last);
        status = 125;
    }
    fflush(stdout); /* so that `2>&1` shows the console and the statistics whole */
    if (opt->stats)
        sim_print_stats(m, stderr);
    return status;
}

int ui_run_bare(const ui_bare_options_t *opt)
{
    static sim_machine_t m; /* large; static keeps it off the stack */
    if (sim_machine_init(&m, opt->ram_size, 1) != 0) {
        fprintf(stderr, "hvsim: cannot allocate %u bytes of simulated RAM\n", opt->ram_size);
        return 1;
    }
    uint32_t entry;
    if (sim_load_program(&m, opt->program, opt->base, stderr, &entry) != 0 ||
        (opt->input && sim_load_input(&m, opt->input, stderr) != 0)) {
        sim_machine_free(&m);
        return 1;
    }
    m.cpu[0].s.pc = entry;
    int status = ui_run_machine(&m, opt);
    sim_machine_free(&m);
    return status;
}
