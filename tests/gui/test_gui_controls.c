/*
 * test_gui_controls.c - the window's controls: speed steps 1, 2, 5, 10, 20, 50 ... up to full
 * speed; `hvsim --screenshot --at STOP` takes its picture at a stop `break` understands (and
 * names a bad one); the restart key starts the scenario again from cycle 0 (the same run gives
 * the same transcript) and says why when the session cannot be rebuilt; hovering over HOST
 * MEMORY (real SDL mouse-motion events) says whose frames a cell holds; the TLB panel
 * names VMs as `info vms` numbers them (0 = the first), not by their TLB tag.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../ui/gui/gui_internal.h"
#include "../hypervisor/hv_util.h"
#include "../hypervisor/snap_util.h"
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

/* The restart key's success path: run, press r (a real SDL key event, as the window's loop
 * hands it over), and the machine is at cycle 0 with nothing printed; the same run again
 * ends on the same cycle with the same transcripts, and the window's record starts afresh. */
static hv_t *restarted;

static int start_again(sim_machine_t *mm, void *ctx, char *err, size_t len)
{
    (void)ctx;
    hv_free(restarted);
    sim_machine_free(mm);
    restarted = hv_scenario_start(&sc, mm, NULL, stderr);
    if (!restarted)
        snprintf(err, len, "the scenario cannot start again");
    return restarted ? 0 : -1;
}

/* Hands every pending SDL event to the window, as its loop does. */
static void pump(gui_t *g)
{
    SDL_Event e;
    while (SDL_PollEvent(&e))
        gui_handle_event(g, &e);
}

static void press(gui_t *g, SDL_Keycode key)
{
    SDL_Event e = {.type = SDL_KEYDOWN};
    e.key.keysym.sym = key;
    cr_assert_eq(SDL_PushEvent(&e), 1, "%s", SDL_GetError());
    pump(g);
}

Test(gui_controls, the_restart_key_runs_the_scenario_again_from_cycle_0, .timeout = 120)
{
    cr_assert_eq(SDL_Init(SDL_INIT_EVENTS), 0, "%s", SDL_GetError());
    restarted = hu_scenario(&sc, &m, "default");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    ui_dbg_set_rebuild(dbg, start_again, NULL);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_run_cycles(dbg, 3000000, &st), 0);
    ui_gui_render(g);
    uint64_t cycle = m.cpu[0].s.cycles, events = g->rec.recent_seq;
    char *tinyos = strdup(hv_vm_console(restarted, 0)), *rtos = strdup(hv_vm_console(restarted, 1));
    cr_assert_gt(strlen(tinyos), 0, "the first run printed");
    press(g, SDLK_r);
    for (unsigned i = 0; i < m.ncpus; i++)
        cr_expect_eq(m.cpu[i].s.cycles, 0, "pCPU%u at cycle 0 after r", i);
    cr_expect_str_eq(hv_vm_console(restarted, 0), "", "nothing printed yet");
    cr_expect_eq(g->rec.recent_seq, 0, "the window's record starts afresh (it had %llu events)",
                 (unsigned long long)events);
    ui_dbg_exit_t exit;
    cr_expect_neq(ui_dbg_exit_info(dbg, 0, &exit), 0, "no exit yet: the old run's are gone");
    cr_assert_eq(ui_dbg_run_cycles(dbg, 3000000, &st), 0);
    ui_gui_render(g);
    cr_expect_eq(m.cpu[0].s.cycles, cycle, "the same run ends on the same cycle");
    cr_expect_str_eq(hv_vm_console(restarted, 0), tinyos);
    cr_expect_str_eq(hv_vm_console(restarted, 1), rtos);
    free(tinyos);
    free(rtos);
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, restarted, &m);
    SDL_Quit();
}

/* The REPL beside the window restarts the machine (`run`, `restart`: ui_dbg_restart, not the
 * window's key): the window notices at its next frame and follows the new machine: its record
 * starts afresh, and its walk panel still gets each walk's references. */
Test(gui_controls, a_restart_from_the_repl_is_followed_by_the_window, .timeout = 120)
{
    restarted = hu_scenario(&sc, &m, "lazy");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    ui_dbg_set_rebuild(dbg, start_again, NULL);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_run_cycles(dbg, 2000000, &st), 0);
    ui_gui_render(g);
    cr_assert_gt(g->rec.recent_seq, 0);
    cr_assert_eq(ui_dbg_restart(dbg), 0, "%s", ui_dbg_error(dbg)); /* as the REPL's `run` */
    cr_assert_eq(ui_dbg_run_cycles(dbg, 2000000, &st), 0);
    ui_gui_render(g);
    cr_expect_gt(g->rec.recent_seq, 0, "the window records the new machine's events");
    cr_expect(m.cpu[st.cpu].mmu.record_trace, "the walk panel's trace is on again");
    cr_expect_gt(m.cpu[st.cpu].mmu.trace.refs, 0, "a walk was traced since the restart");
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, restarted, &m);
}

/* Hovering over HOST MEMORY: real SDL mouse-motion events move the pointer over a cell of
 * tinyos's, and the readout names the cell's frames and whose tables map them; moving off the
 * map clears it. No cell is selected by the test. */
Test(gui_controls, hovering_over_host_memory_says_whose_frames, .timeout = 120)
{
    cr_assert_eq(SDL_Init(SDL_INIT_EVENTS), 0, "%s", SDL_GetError());
    hv_t *hv = hu_scenario(&sc, &m, "default");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    hv_run(hv, 3000000);
    ui_gui_render(g);
    ui_gui_rect_t r = g->panel[UI_GUI_PANEL_MEMMAP];
    int tinyos = hv_vm_by_name(hv, "tinyos"), hx = -1, hy = -1;
    for (int y = r.y; y < r.y + r.h && hx < 0; y++) /* a pixel of a cell mostly tinyos's */
        for (int x = r.x; x < r.x + r.w && hx < 0; x++) {
            int c = gui_memmap_cell_at(g, x, y);
            unsigned per = g->mem_cells ? g->mem_cells : 1;
            if (c >= 0 && ui_dbg_frame_owner(dbg, (uint32_t)c * per) == tinyos)
                hx = x, hy = y;
        }
    cr_assert_geq(hx, 0, "a cell of tinyos's is drawn");
    SDL_Event e = {.type = SDL_MOUSEMOTION};
    e.motion.x = hx;
    e.motion.y = hy;
    cr_assert_eq(SDL_PushEvent(&e), 1, "%s", SDL_GetError());
    pump(g);
    ui_gui_render(g);
    cr_expect_eq(g->mem_sel, -1, "nothing selected: the pointer alone");
    cr_expect_geq(g->mem_hover, 0);
    cr_expect_not_null(strstr(g->mem_frames, "tinyos"), "%s", g->mem_frames);
    cr_expect_not_null(strstr(g->mem_text, "tinyos's tables"), "%s", g->mem_text);
    e.motion.x = r.x - 5; /* off the map */
    cr_assert_eq(SDL_PushEvent(&e), 1, "%s", SDL_GetError());
    pump(g);
    cr_expect_eq(g->mem_hover, -1, "off the map, no cell");
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
    SDL_Quit();
}

/* The step-back key: s steps forward, Backspace (a real SDL key event) steps back one
 * instruction each, and the machine is back where it was, byte for byte; the window shows the
 * stop's sentence. */
Test(gui_controls, the_step_back_key_undoes_steps, .timeout = 120)
{
    cr_assert_eq(SDL_Init(SDL_INIT_EVENTS), 0, "%s", SDL_GetError());
    hu_scenario(&sc, &m, "default");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    ui_dbg_stop_t st;
    /* tinyos's puts, back at its `out` to the UART: the first press steps through the exit
     * that the hypervisor emulates (a step that retires nothing on the CPU), then two plain
     * instructions */
    cr_assert_eq(ui_dbg_run_cycles(dbg, 250000, &st), 0);
    cr_assert_eq(ui_dbg_reverse_stepi(dbg, 1, &st), 0, "%s", ui_dbg_error(dbg));
    size_t here_len, back_len;
    uint8_t *here = su_state(&m, &here_len);
    uint64_t instret = m.cpu[0].s.instret;
    press(g, SDLK_s);
    cr_expect(strstr(g->status, "through a VM exit IO_PORT") != NULL, "status: %s", g->status);
    for (unsigned i = 0; i < 2; i++)
        press(g, SDLK_s);
    cr_assert_eq(m.cpu[0].s.instret, instret + 2, "three presses of s");
    for (unsigned i = 0; i < 3; i++)
        press(g, SDLK_BACKSPACE);
    cr_expect_eq(m.cpu[0].s.instret, instret, "three presses of Backspace");
    cr_expect(strstr(g->status, "Stepped back 1 instruction on cpu0.") != NULL, "status: %s",
              g->status);
    uint8_t *back = su_state(&m, &back_len);
    su_expect_same_state(here, here_len, back, back_len, "three steps forward and back");
    ui_gui_render(g);
    free(here);
    free(back);
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hv_machine_release(&m);
    hv_scenario_free(&sc);
    SDL_Quit();
}

/* At full speed the window spaces reverse execution's checkpoints wide (each is a compressed
 * snapshot of the whole machine, costlier than 500 000 cycles of running), and puts the
 * student's spacing back when the run stops; one the student set meanwhile stays. */
Test(gui_controls, full_speed_spaces_checkpoints_and_puts_them_back, .timeout = 120)
{
    hv_t *hv = hu_scenario(&sc, &m, "default");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    cr_assert_not_null(g);
    cr_assert_eq(ui_dbg_checkpoint_interval(dbg), UI_DBG_CHECKPOINT_INTERVAL);
    g->speed = GUI_SPEEDS - 1;
    g->running = true;
    gui_run_slice(g, 20, 1.0 / 60);
    cr_expect_eq(ui_dbg_checkpoint_interval(dbg), GUI_FLAT_OUT_CHECKPOINTS);
    size_t taken = ui_dbg_checkpoint_count(dbg);
    cr_expect_leq(taken, 1 + m.cpu[0].s.cycles / GUI_FLAT_OUT_CHECKPOINTS, "%zu at cycle %llu",
                  taken, (unsigned long long)m.cpu[0].s.cycles);
    gui_cmd_run_pause(g); /* paused: the next frame puts the spacing back */
    gui_run_slice(g, 20, 1.0 / 60);
    cr_expect_eq(ui_dbg_checkpoint_interval(dbg), UI_DBG_CHECKPOINT_INTERVAL);
    gui_cmd_run_pause(g);
    gui_run_slice(g, 5, 1.0 / 60);
    cr_assert_eq(ui_dbg_set_checkpoint_interval(dbg, 2000000), 0); /* typed in the terminal */
    gui_cmd_run_pause(g);
    gui_run_slice(g, 5, 1.0 / 60);
    cr_expect_eq(ui_dbg_checkpoint_interval(dbg), 2000000, "the student's own setting stays");
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}
