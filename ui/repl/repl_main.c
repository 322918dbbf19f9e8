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
    const char *dot = strrchr(opt->program, '.');
    const char *slash = strrchr(opt->program, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - opt->program)
                                                 : strlen(opt->program);
    snprintf(path, sizeof path, "%.*s.sym", (int)stem, opt->program);
    if (access(path, F_OK) != 0)
        return 0;
    return cpu_syms_load(path, syms, nsyms, stderr);
}

static int load_input(sim_machine_t *m, const char *path)
{
    size_t len;
    char *text = sim_read_file(path, &len);
    if (!text) {
        fprintf(stderr, "hvsim: %s: cannot read console input: %s\n", path, strerror(errno));
        return -1;
    }
    sim_console_set_input(m, text, len);
    free(text);
    return 0;
}

int ui_repl_main(const ui_repl_options_t *opt, bool terminal)
{
    static sim_machine_t m; /* large; static keeps it off the stack */
    if (sim_machine_init(&m, opt->ram_size, 1) != 0) {
        fprintf(stderr, "hvsim: cannot allocate %u bytes of simulated RAM\n", opt->ram_size);
        return 1;
    }
    cpu_symbol_t *syms = NULL;
    size_t nsyms = 0;
    uint32_t entry = CPU_RESET_PC;
    FILE *script = NULL;
    int status = 1;
    ui_dbg_t *dbg = NULL;
    if ((opt->program && ui_repl_load_program(&m, opt, &entry, &syms, &nsyms) != 0) ||
        (opt->input && load_input(&m, opt->input) != 0))
        goto out;
    if (opt->script && !(script = fopen(opt->script, "r"))) {
        fprintf(stderr, "hvsim: %s: cannot read the script: %s\n", opt->script, strerror(errno));
        goto out;
    }
    m.cpu[0].s.pc = entry;
    dbg = ui_dbg_new(&m);
    if (!dbg || ui_dbg_set_symbols(dbg, syms, nsyms) != 0) {
        fprintf(stderr, "hvsim: cannot start the debugger (out of memory)\n");
        goto out;
    }
    ui_dbg_set_max_cycles(dbg, opt->max_cycles);
    ui_repl_t r;
    ui_repl_init(&r, &m, dbg, stdout, stderr);
    r.has_program = opt->program != NULL;
    if (script) {
        ui_repl_run_stream(&r, script, false);
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
        ui_repl_run_stream(&r, stdin, true);
    }
    fflush(stdout);
    status = m.powered_off ? (int)(m.exit_code & 0xff) : 0;
out:
    if (script)
        fclose(script);
    ui_dbg_free(dbg);
    cpu_syms_free(syms, nsyms);
    sim_machine_free(&m);
    return status;
}
