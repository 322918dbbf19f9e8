/*
 * fuzz_repl.c - REPL command lines. The first byte of the input picks the session: even, a
 * bare machine running a small program with symbols; odd, the built-in two-VM scenario
 * "default" under the hypervisor. The rest is run line by line (at most FUZZ_REPL_LINES), as
 * `hvsim -x` would, with every run bounded by the debugger's cycle limit. Commands that
 * read or write files named in the input (source, save, restore, trace save, vm save, vm
 * restore) are skipped: a fuzzer must not write where it likes (it once left a snapshot named
 * `registers` in the directory it ran from). With the hypervisor, its invariants must hold afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv_scenario.h"
#include "../../ui/debug/ui_debug.h"
#include "../../ui/repl/ui_repl.h"
#include "fuzz.h"

#define FUZZ_REPL_LINES 64
#define FUZZ_REPL_CYCLES 200000u

static const char program[] = ".org 0x1000\n"
                              "main:   li r1, 3\n"
                              "loop:   call hello\n"
                              "        addi r1, r1, -1\n"
                              "        cmpi r1, 0\n"
                              "        bne loop\n"
                              "        out r0, [0xf0]\n"
                              "hello:  li r2, 'h'\n"
                              "        out r2, [0x3f8]\n"
                              "        li r2, 10\n"
                              "        out r2, [0x3f8]\n"
                              "        ret\n";

/* Whether a line names a command that opens a file the input names: one whose usage (or its
 * sub-command's) has a FILE argument (source, save, restore, trace save, vm save, vm restore).
 * The rule reads the command table, so a command added with a FILE is skipped too. */
static bool touches_files(const char *line)
{
    char w1[64] = "", w2[64] = "";
    if (sscanf(line, "%63s %63s", w1, w2) < 1)
        return false;
    const ui_repl_cmd_t *cmd = ui_repl_find(w1);
    if (!cmd)
        return false;
    if (strstr(cmd->usage, "FILE"))
        return true;
    const ui_repl_sub_t *sub = cmd->subs ? ui_repl_find_sub(cmd, w2) : NULL;
    return sub && strstr(sub->usage, "FILE");
}

static void run_lines(sim_machine_t *m, ui_dbg_t *dbg, char *text)
{
    ui_repl_t r;
    ui_dbg_set_max_cycles(dbg, FUZZ_REPL_CYCLES);
    ui_repl_init(&r, m, dbg, fuzz_null(), fuzz_null());
    r.has_program = true;
    unsigned n = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && !r.quit && n < FUZZ_REPL_LINES;
         l = strtok_r(NULL, "\n", &save), n++)
        if (!touches_files(l))
            ui_repl_execute(&r, l);
    ui_repl_free(&r);
}

static void bare_session(char *text)
{
    static sim_machine_t m;
    cpu_asm_result_t res;
    if (sim_machine_init(&m, 1u << 20, 1) != 0 || cpu_asm_string("demo.s", program, stderr, &res))
        fuzz_fail("cannot build the bare machine");
    sim_console_set_output(&m, NULL);
    sim_load(&m, res.base, res.bytes, res.size);
    ui_dbg_t *dbg = ui_dbg_new(&m);
    if (!dbg || ui_dbg_set_symbols(dbg, res.syms, res.nsyms) != 0)
        fuzz_fail("cannot start the debugger");
    cpu_asm_free(&res);
    run_lines(&m, dbg, text);
    ui_dbg_free(dbg);
    sim_machine_free(&m);
}

static void scenario_session(char *text)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    if (hv_scenario_load(&sc, "default", fuzz_guest_dir(), stderr) != 0)
        fuzz_fail("cannot load the scenario default from %s", fuzz_guest_dir());
    hv_t *hv = hv_scenario_start(&sc, &m, NULL, stderr);
    ui_dbg_t *dbg = hv ? ui_dbg_new(&m) : NULL;
    if (!dbg)
        fuzz_fail("cannot start the scenario default");
    run_lines(&m, dbg, text);
    ui_dbg_free(dbg);
    hv = hv_of_machine(&m);
    char why[256];
    if (hv && hv_check_invariants(hv, why, sizeof why))
        fuzz_fail("after the commands: %s", why);
    if (hv)
        hv_free(hv);
    sim_machine_free(&m);
    hv_scenario_free(&sc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char *text = fuzz_text(data + 1, size - 1);
    if (data[0] & 1)
        scenario_session(text);
    else
        bare_session(text);
    free(text);
    return 0;
}
