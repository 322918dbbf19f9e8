/*
 * test_gui_controls.c - the window's controls: speed steps 1, 2, 5, 10, 20, 50 ... up to full
 * speed; `hvsim --screenshot --at STOP` takes its picture at a stop `break` understands (and
 * names a bad one); the restart key says why when the session cannot be rebuilt; the TLB panel
 * names VMs as `info vms` numbers them (0 = the first), not by their TLB tag.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../ui/gui/gui_internal.h"
#include "../hypervisor/hv_util.h"
#include "../support/harness.h"

static hv_scenario_t sc;
static sim_machine_t m;

Test(gui_controls, speed_steps_go_1_2_5_up_to_full_speed)
{
    static const uint64_t want[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_expect_eq(gui_speed_table[i], want[i], "step %zu: %llu", i,
                     (unsigned long long)gui_speed_table[i]);
    for (size_t i = 1; i + 1 < GUI_SPEEDS; i++) {
        uint64_t a = gui_speed_table[i - 1], b = gui_speed_table[i];
        cr_expect(b == 2 * a || b * 2 == a * 5, "%llu then %llu", (unsigned long long)a,
                  (unsigned long long)b);
    }
    cr_expect_eq(gui_speed_table[GUI_SPEEDS - 1], 0, "the last step is full speed");
}

Test(gui_controls, screenshot_at_a_stop, .timeout = 120)
{
    char path[64], cmd[256];
    snprintf(path, sizeof path, "/tmp/hvsim-at-%d.png", (int)getpid());
    snprintf(cmd, sizeof cmd,
             "$B/hvsim --screenshot %s --at 'exit IO_PORT vm 0' --scenario default", path);
    int status;
    char *out = th_sh(cmd, true, &status);
    cr_expect_eq(status, 0, "%s: %s", cmd, out);
    cr_expect_eq(access(path, R_OK), 0, "the PNG is there");
    remove(path);
    free(out);
    snprintf(cmd, sizeof cmd,
             "$B/hvsim --screenshot %s --at 'exit IO_PORT vm 7' --scenario default", path);
    out = th_sh(cmd, true, &status);
    cr_expect_neq(status, 0);
    cr_expect_not_null(strstr(out, "--at 'exit IO_PORT vm 7': There is no VM called \"7\""), "%s",
                       out);
    cr_expect_neq(access(path, R_OK), 0, "no picture of a stop never reached");
    free(out);
}

Test(gui_controls, restart_without_a_builder_says_why, .timeout = 60)
{
    hv_t *hv = hu_scenario(&sc, &m, "default");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    hv_run(hv, 100000);
    gui_cmd_restart(g);
    cr_expect_not_null(strstr(g->status, "cannot start its machine again"), "%s", g->status);
    ui_gui_render(g); /* the window still draws the machine it had */
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

Test(gui_controls, tlb_entries_name_vms_as_info_vms_does, .timeout = 60)
{
    hv_t *hv = hu_scenario(&sc, &m, "default");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    for (unsigned i = 0; i < hv->nvms; i++)
        cr_expect_eq(ui_dbg_vm_of_vmid(dbg, hv->vms[i].vmid), (int)i, "%s (VMID %u)",
                     hv->vms[i].name, hv->vms[i].vmid);
    cr_expect_eq(ui_dbg_vm_of_vmid(dbg, 0), -1, "VMID 0 is the host's");
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}
