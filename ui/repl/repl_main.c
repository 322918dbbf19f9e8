/*
 * repl_main.c - starting a REPL session for `hvsim --repl` and `hvsim -x SCRIPT`: the machine,
 * the program and its symbols (the assembler's for a .s, PROG.sym beside a .bin), the debugger,
 * and then the terminal, the pipe or the script.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui_repl.h"

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The file hvasm writes beside an image: PROG.bin -> PROG.sym, PROG.lines. */
static void beside(const char *program, const char *ext, char *buf, size_t len)
{
    const char *dot = strrchr(program, '.');
    const char *slash = strrchr(program, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - program) : strlen(program);
    snprintf(buf, len, "%.*s%s", (int)stem, program, ext);
}

int ui_repl_load_program(sim_machine_t *m, const ui_repl_options_t *opt, uint32_t *entry,
                         cpu_symbol_t **syms, size_t *nsyms)
{
    *syms = NULL;
    *nsyms = 0;
    if (has_suffix(opt->program, ".s") || has_suffix(opt->program, ".S")) {
        cpu_asm_result_t res;
        if (cpu_asm_file(opt->program, stderr, &res) != 0) {
            cpu_asm_free(&res);
            return -1;
        }
        int rc = sim_load(m, res.base, res.bytes, res.size);
        if (rc != 0)
            fprintf(stderr, "%s: error: the image (%zu bytes at 0x%08x) does not fit in %u bytes "
                    "of RAM\n", opt->program, res.size, res.base, m->ram_size);
        *entry = res.base;
        *syms = res.syms;
        *nsyms = res.nsyms;
        res.syms = NULL;
        res.nsyms = 0;
        cpu_asm_free(&res);
        return rc;
    }
    if (sim_load_program(m, opt->program, opt->base, stderr, entry) != 0)
        return -1;
    /* PROG.sym beside PROG.bin, as hvasm writes it. */
    char path[1024];
    beside(opt->program, ".sym", path, sizeof path);
    if (access(path, F_OK) != 0)
        return 0;
    return cpu_syms_load(path, syms, nsyms, stderr);
}

int ui_repl_load_lines(ui_dbg_t *dbg, const ui_repl_options_t *opt)
{
    if (has_suffix(opt->program, ".s") || has_suffix(opt->program, ".S")) {
        cpu_asm_result_t res; /* assembled again: quick, and silent (it assembled before) */
        int rc = cpu_asm(opt->program, NULL, NULL, NULL, &res);
        for (size_t i = 0; rc == 0 && i < res.nlines; i++) {
            ui_dbg_line_t row = {res.lines[i].addr, res.files[res.lines[i].file],
                                 res.lines[i].line};
            rc = ui_dbg_add_lines(dbg, -1, &row, 1);
        }
        cpu_asm_free(&res);
        return rc;
    }
    char path[1024];
    beside(opt->program, ".lines", path, sizeof path);
    return access(path, F_OK) == 0 ? ui_dbg_load_lines(dbg, -1, path) : 0;
}

/* Builds the bare machine: RAM, the program (and its symbols), the console input. Returns 0,
 * or -1 after a message to stderr. */
static int build_bare(sim_machine_t *m, const ui_repl_options_t *opt, cpu_symbol_t **syms,
                      size_t *nsyms)
{
    uint32_t entry = CPU_RESET_PC;
    *syms = NULL;
    *nsyms = 0;
    if (sim_machine_init(m, opt->ram_size, 1) != 0) {
        fprintf(stderr, "hvsim: cannot allocate %u bytes of simulated RAM\n", opt->ram_size);
        return -1;
    }
    if ((opt->program && ui_repl_load_program(m, opt, &entry, syms, nsyms) != 0) ||
        (opt->input && sim_load_input(m, opt->input, stderr) != 0))
        return -1;
    m->cpu[0].s.pc = entry;
    return 0;
}

int ui_repl_rebuild_bare(sim_machine_t *m, void *ctx, char *err, size_t len)
{
    const ui_repl_options_t *opt = ctx;
    cpu_symbol_t *syms;
    size_t nsyms;
    sim_machine_free(m);
    int rc = build_bare(m, opt, &syms, &nsyms);
    cpu_syms_free(syms, nsyms);
    if (rc != 0)
        snprintf(err, len, "%s cannot be loaded again (the message above says why).",
                 opt->program ? opt->program : "the machine");
    return rc;
}

int ui_repl_main(const ui_repl_options_t *opt, bool terminal)
{
    static sim_machine_t m; /* large; static keeps it off the stack */
    cpu_symbol_t *syms = NULL;
    size_t nsyms = 0;
    FILE *script = NULL;
    int status = 1;
    ui_dbg_t *dbg = NULL;
    if (build_bare(&m, opt, &syms, &nsyms) != 0)
        goto out;
    if (opt->script && !(script = fopen(opt->script, "r"))) {
        fprintf(stderr, "hvsim: %s: cannot read the script: %s\n", opt->script, strerror(errno));
        goto out;
    }
    dbg = ui_dbg_new(&m);
    if (!dbg || ui_dbg_set_symbols(dbg, syms, nsyms) != 0 ||
        (opt->program && ui_repl_load_lines(dbg, opt) != 0)) {
        fprintf(stderr, "hvsim: cannot start the debugger: %s\n",
                dbg ? ui_dbg_error(dbg) : "out of memory");
        goto out;
    }
    ui_dbg_set_rebuild(dbg, ui_repl_rebuild_bare, (void *)opt);
    ui_dbg_set_max_cycles(dbg, opt->max_cycles);
    ui_repl_t r;
    ui_repl_init(&r, &m, dbg, stdout, stderr);
    r.has_program = opt->program != NULL;
    int failed = 0;
    if (script) {
        failed = ui_repl_run_stream(&r, script, false, opt->script);
    } else if (terminal) {
        if (opt->program)
            printf("hvsim debugger: %s on a bare machine (1 CPU, no hypervisor). Type \"help\" "
                   "for commands.\n", opt->program);
        else
            printf("hvsim debugger: no program loaded; this is an empty bare machine. Start "
                   "\"hvsim --repl --bare PROG.s\" to debug a program,\nor \"hvsim --repl "
                   "--scenario default\" for VMs. Type \"help\" for commands.\n");
        ui_repl_terminal(&r);
    } else {
        ui_repl_run_stream(&r, stdin, true, NULL);
    }
    fflush(stdout);
    status = m.powered_off ? (int)(m.exit_code & 0xff) : 0;
    if (status == 0 && failed) /* a script that went wrong must not look like success */
        status = 1;
    ui_repl_free(&r);
out:
    if (script)
        fclose(script);
    ui_dbg_free(dbg);
    cpu_syms_free(syms, nsyms);
    sim_machine_free(&m);
    return status;
}
