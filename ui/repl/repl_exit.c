/*
 * repl_exit.c - the VM exit in the REPL: `info exit` (handler, source line, decoded
 * qualification, the bit that caused it), completion of
 * handler and action names for `break handler` and `break hv`, and what a stop at an exit
 * shows: the exiting VCPU's saved registers, or a sentence when a pCPU is in ring -1 with no
 * exit at all. Everything comes from the debugger API (ui/debug/debug_exit.c).
 */
#include <string.h>

#include "ui_repl.h"

/* NAME [vm N]: names from list(i) first, then "vm", then the VMs. */
static void complete_named(ui_repl_t *r, int argi, char **argv, const char *prefix,
                           ui_repl_matches_t *out, const char *(*list)(size_t))
{
    if (argi == 1) {
        for (size_t i = 0; list(i); i++)
            ui_repl_matches_add(out, prefix, list(i));
    } else if (argi == 2) {
        ui_repl_matches_add(out, prefix, "vm");
    } else if (argi == 3) {
        ui_repl_complete_vms(r, 1, argv, prefix, out);
    }
}

void ui_repl_complete_handlers(ui_repl_t *r, int argi, char **argv, const char *prefix,
                               ui_repl_matches_t *out)
{
    complete_named(r, argi, argv, prefix, out, ui_dbg_handler_list);
}

void ui_repl_complete_hv_actions(ui_repl_t *r, int argi, char **argv, const char *prefix,
                                 ui_repl_matches_t *out)
{
    complete_named(r, argi, argv, prefix, out, ui_dbg_hv_action_list);
}

int ui_repl_info_exit(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    ui_dbg_exit_t x;
    unsigned cpu = ui_dbg_focus(r->dbg);
    char cyc[32];
    if (ui_dbg_exit_info(r->dbg, cpu, &x) != 0)
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    ui_dbg_vm_t vm = {.name = "?"};
    ui_dbg_vm_info(r->dbg, (unsigned)(x.vm < 0 ? 0 : x.vm), &vm);
    char what[96];
    if (x.monitor) /* "call into the co-resident monitor (not a VM exit)" */
        snprintf(what, sizeof what, "%s (not a VM exit)",
                 x.monitor_entry ? strchr(x.monitor_entry, ' ') + 1
                                 : "entry into the co-resident monitor");
    else
        snprintf(what, sizeof what, "exit %s", x.reason_name);
    fprintf(r->out, "%s %s of %s vcpu%d on pCPU%u at cycle %s%s\n",
            x.pending || x.handling ? "The" : "The last", what, vm.name, x.vcpu, cpu,
            sim_group_digits(x.cycle, cyc, sizeof cyc),
            x.pending    ? " (its handler has not run yet)"
            : x.handling ? " (being handled: the state is as of the action shown last)"
                         : " (handled)");
    if (x.insn_text[0])
        fprintf(r->out, "  instruction  `%s` at %s\n", x.insn_text, x.where);
    else
        fprintf(r->out, "  guest pc     %s\n", x.where);
    fprintf(r->out, "  because      %s\n", x.because);
    fprintf(r->out, "  what         %s\n", x.qual);
    fprintf(r->out, "  handler      %s, %s:%u\n", x.handler, x.file, x.line);
    fprintf(r->out, "  it will      %s\n", x.doc);
    if (x.pending || x.handling)
        fprintf(r->out, "  (\"step event\" or \"si\" steps through its actions, \"finish\" runs "
                        "to the VM entry)\n");
    return 0;
}

bool ui_repl_view(ui_repl_t *r, ui_dbg_view_t *view)
{
    ui_dbg_view(r->dbg, ui_dbg_focus(r->dbg), view);
    if (view->kind != UI_DBG_VIEW_NONE)
        return false;
    fprintf(r->out, "%s\n", view->why);
    return true;
}

bool ui_repl_print_exit_line(ui_repl_t *r, const ui_dbg_stop_t *st)
{
    ui_dbg_view_t view;
    ui_dbg_exit_t x;
    char cyc[32];
    if (st->has_event && st->ev.kind == SIM_EV_HV)
        return true; /* a sub-step or an action's breakpoint: its sentence is the news */
    ui_dbg_view(r->dbg, st->cpu, &view);
    if (view.kind != UI_DBG_VIEW_GUEST || ui_dbg_exit_info(r->dbg, st->cpu, &x) != 0)
        return false;
    ui_dbg_vm_t vm = {.name = "?"};
    ui_dbg_vm_info(r->dbg, (unsigned)(view.vm < 0 ? 0 : view.vm), &vm);
    /* The stop's sentence gives the cycle the guest's instruction exited at; the prompt's is
     * later by the hardware's switch to ring -1, which a student should not have to guess. */
    char switched[96] = "";
    if (st->has_event && st->ev.kind == SIM_EV_VMEXIT && st->cycle > st->ev.cycle) {
        char took[32];
        snprintf(switched, sizeof switched, "the exit's switch to ring -1 took %s cycles; ",
                 sim_group_digits(st->cycle - st->ev.cycle, took, sizeof took));
    }
    fprintf(r->out,
            "[cpu%u H cycle %s] %s%s (%s:%u) runs next for %s vcpu%d: %s\n"
            "  (\"step event\" or \"si\": one action at a time; \"finish\": to the VM entry; "
            "\"info exit\": the details)\n",
            st->cpu, sim_group_digits(st->cycle, cyc, sizeof cyc), switched, x.handler, x.file,
            x.line, vm.name, view.vcpu, x.qual);
    return true;
}
