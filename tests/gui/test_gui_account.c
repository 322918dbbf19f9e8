/*
 * test_gui_account.c - one time accounting: every built-in scenario runs to its end under the
 * offscreen window, and the window's figures (its lanes, CPU TIME and CYCLES PER VM) equal the
 * statistics' (hv_print_stats), cycle for cycle; each pCPU's parts add up to its cycle count.
 * Also: guest mode changes under hardware assist carry their VM, so guest user time is
 * counted (it was 0.8% of tinyos's time in `default`, where it is 13.5%).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "../../ui/gui/gui_internal.h"
#include "../hypervisor/hv_util.h"

static hv_scenario_t sc;
static sim_machine_t m;

/* The figure after `label` on the first line of `text` at or after `from` that has it. */
static uint64_t figure_after(const char *from, const char *label)
{
    const char *p = strstr(from, label);
    cr_assert_not_null(p, "the statistics have \"%s\"", label);
    p += strlen(label);
    uint64_t n = 0;
    while (*p == ' ')
        p++;
    for (; (*p >= '0' && *p <= '9') || (*p == ' ' && p[1] >= '0' && p[1] <= '9'); p++)
        if (*p != ' ')
            n = n * 10 + (uint64_t)(*p - '0');
    return n;
}

static char *stats_buf;
static size_t stats_len;

/* hv_print_stats's text, into stats_buf. */
static const char *stats_text(const hv_t *hv)
{
    FILE *f = open_memstream(&stats_buf, &stats_len);
    cr_assert_not_null(f);
    hv_print_stats(hv, f);
    fclose(f);
    return stats_buf;
}

static void check_pcpu(const gui_t *g, const hv_t *hv, const char *stats, unsigned c)
{
    uint64_t lane[SIM_TIME_COUNT], acct[SIM_TIME_COUNT], sum = 0;
    gui_lane_totals(g, c, lane);
    sim_account_cpu(&m, c, acct, NULL);
    char head[32];
    snprintf(head, sizeof head, "[stats] pCPU%u: ", c);
    const char *line = strstr(stats, head);
    cr_assert_not_null(line, "%s", head);
    const char *eol = strchr(line, '\n');
    for (unsigned k = 0; k < SIM_TIME_COUNT; k++) {
        sum += lane[k];
        cr_expect_eq(lane[k], acct[k], "pCPU%u %s: lane %llu, accounting %llu", c,
                     sim_time_name((sim_time_t)k), (unsigned long long)lane[k],
                     (unsigned long long)acct[k]);
        char label[48];
        snprintf(label, sizeof label, " %s ", hv_time_name(hv, (sim_time_t)k));
        const char *at = strstr(line, label);
        uint64_t shown = at && at < eol ? figure_after(at, label) : 0;
        cr_expect_eq(lane[k], shown, "pCPU%u %s: window %llu, statistics %llu", c,
                     hv_time_name(hv, (sim_time_t)k), (unsigned long long)lane[k],
                     (unsigned long long)shown);
    }
    cr_expect_eq(sum, m.cpu[c].s.cycles, "pCPU%u: parts %llu, cycles %llu", c,
                 (unsigned long long)sum, (unsigned long long)m.cpu[c].s.cycles);
    cr_expect_eq(figure_after(line, head), m.cpu[c].s.cycles);
}

static void check_vm(gui_t *g, const hv_t *hv, const char *stats, unsigned vm)
{
    ui_dbg_vm_t info; /* what CYCLES PER VM draws */
    cr_assert_eq(ui_dbg_vm_info(g->dbg, vm, &info), 0);
    char head[64];
    snprintf(head, sizeof head, "[stats] %s (", info.name);
    const char *sec = strstr(stats, head);
    cr_assert_not_null(sec, "%s", head);
    for (unsigned k = SIM_TIME_USER; k <= SIM_TIME_HANDLER; k++) {
        char label[48];
        snprintf(label, sizeof label, "    %s", hv_time_name(hv, (sim_time_t)k));
        uint64_t shown = figure_after(sec, label);
        cr_expect_eq(info.time[k], shown, "%s %s: window %llu, statistics %llu", info.name,
                     hv_time_name(hv, (sim_time_t)k), (unsigned long long)info.time[k],
                     (unsigned long long)shown);
    }
}

ParameterizedTestParameters(gui_account, every_scenario_one_figure)
{
    static size_t idx[16];
    size_t n = hv_builtin_count();
    for (size_t i = 0; i < n && i < 16; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, n < 16 ? n : 16);
}

ParameterizedTest(size_t *i, gui_account, every_scenario_one_figure, .timeout = 300)
{
    const char *name = hv_builtin_name(*i);
    hv_t *hv = hu_scenario(&sc, &m, name);
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    cr_assert_not_null(g);
    hv_run(hv, sc.max_cycles);
    ui_gui_render(g); /* the bars and lanes drawn from these figures */
    const char *stats = stats_text(hv);
    for (unsigned c = 0; c < m.ncpus; c++)
        check_pcpu(g, hv, stats, c);
    for (unsigned v = 0; v < hv->nvms; v++)
        check_vm(g, hv, stats, v);
    free(stats_buf);
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

/* Under hw, the guest's own mode changes are labelled with its VM, so its user time counts. */
Test(gui_account, guest_user_time_under_hardware_assist, .timeout = 120)
{
    hv_t *hv = hu_scenario(&sc, &m, "default");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    uint64_t t[SIM_TIME_COUNT], total = 0;
    sim_account_vm(&m, (unsigned)hv_vm_by_name(hv, "tinyos"), t);
    for (unsigned k = 0; k < SIM_TIME_COUNT; k++)
        total += t[k];
    cr_expect_eq(t[SIM_TIME_USER], 60149754, "tinyos's programs: %llu cycles",
                 (unsigned long long)t[SIM_TIME_USER]);
    cr_expect_gt(t[SIM_TIME_USER] * 10, total, "more than a tenth of its time is user time");
    hu_scenario_free(&sc, hv, &m);
}

/* A deprivileged kernel (trap) runs in real ring 3, but its time is its virtual ring's: the
 * accounting's spans say both. */
static void count_kernel_in_ring3(const sim_span_t *sp, void *ctx)
{
    uint64_t *n = ctx;
    if (sp->kind == SIM_TIME_KERNEL && sp->real_mode == CPU_MODE_U)
        *n += sp->dur;
    if (sp->kind == SIM_TIME_KERNEL && sp->real_mode == CPU_MODE_K)
        n[1] += sp->dur;
}

Test(gui_account, deprivileged_kernel_counts_in_its_virtual_ring, .timeout = 120)
{
    hv_t *hv = hu_scenario(&sc, &m, "trap");
    static uint64_t n[2];
    cr_assert_eq(sim_account_listen(&m, count_kernel_in_ring3, n), 0);
    cr_assert_eq(hv_run(hv, 3000000), SIM_RUN_MAX_CYCLES);
    sim_account_settle(&m);
    uint64_t t[SIM_TIME_COUNT];
    sim_account_vm(&m, 0, t);
    cr_expect_gt(t[SIM_TIME_KERNEL], 0, "the kernel's time, though it never ran in ring 0");
    cr_expect_eq(n[0], t[SIM_TIME_KERNEL], "all of it really in ring 3");
    cr_expect_eq(n[1], 0, "none in a real ring 0");
    sim_account_unlisten(&m, count_kernel_in_ring3, n);
    hu_scenario_free(&sc, hv, &m);
}
