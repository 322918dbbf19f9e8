/*
 * main.c - the hvsim command: parses the command line and hands over to a sub-command.
 *
 * This is a thin front end. Everything it shows comes from the core library through sim.h
 * and cpu.h; it holds no machine logic of its own.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../sim/sim.h"
#include "../gui/ui_gui.h"
#include "../repl/ui_repl.h"
#include "ui_hvsim.h"

static void print_usage(FILE *out)
{
    fputs("usage: hvsim --bare PROG.s|PROG.bin [options]\n"
          "       hvsim [--headless] [--scenario NAME|FILE.ini] [--vs-native]\n"
          "             [--trace-out FILE.json] [--pcap FILE.pcap] [options]\n"
          "       hvsim --list-scenarios\n"
          "       hvsim --repl [--bare PROG | --scenario NAME|FILE.ini] [options]\n"
          "       hvsim -x SCRIPT [--bare PROG | --scenario NAME|FILE.ini]\n"
          "       hvsim --gui [--bare PROG | --scenario NAME] [options]\n"
          "       hvsim --screenshot FILE.png [--after-cycles N | --at STOP] [--size WxH]\n"
          "             [--bare PROG | --scenario NAME] [options]\n"
          "       hvsim --restore FILE.snap [--repl | -x SCRIPT] [--max-cycles N] [--stats]\n"
          "       hvsim snapshot info FILE.snap | diff A.snap B.snap\n"
          "       hvsim scenario show NAME|FILE.ini\n"
          "       hvsim isa [--markdown]\n"
          "       hvsim walkdemo [--guest-levels N] [--nested-levels M] [--native] [--pwc]\n"
          "       hvsim bench-virt [--json] [--costs NAME | --compare] [--batch-exits]\n"
          "             [--traces]\n"
          "       hvsim bench-io [--json]\n"
          "       hvsim --help | --version\n",
          out);
}

static void print_help(void)
{
    print_usage(stdout);
    fputs("\n"
          "hvsim simulates a small computer with user, kernel and hypervisor (ring -1) modes,\n"
          "for learning how operating systems and hypervisors work. Every instruction, trap\n"
          "and device access is counted in cycles, and the same run always gives the same\n"
          "output and the same counts.\n"
          "\n"
          "Commands:\n"
          "  --bare PROG       run a program on the bare machine: PROG.s is assembled first,\n"
          "                    PROG.bin is loaded as it is. Execution starts in kernel mode at\n"
          "                    the image's first address (0x1000 unless the program says).\n"
          "                    Console (UART) output goes to stdout. hvsim exits with the code\n"
          "                    the program writes to the power-off device.\n"
          "  --scenario NAME|FILE.ini  run a scenario headless to its end. native-tinyos and\n"
          "                    native-rtos boot one guest kernel from its disk image on\n"
          "                    bare hardware (the boot ROM loads the boot loader, which\n"
          "                    loads the kernel); the others run VMs under the hypervisor\n"
          "                    (--list-scenarios; 'hvsim scenario show NAME' prints one as\n"
          "                    an INI file to copy and change; docs/hypervisor.md). The\n"
          "                    images are built by make, in the guestos directory beside\n"
          "                    the hvsim binary. --input replaces a native scenario's\n"
          "                    console script.\n"
          "  --headless        run the scenario (default: 'default', tinyos and rtos in two\n"
          "                    VMs on 2 pCPUs) without window or debugger: under the\n"
          "                    hypervisor, each VM's console lines prefixed with its name,\n"
          "                    then the statistics per VM (guest user / kernel / hypervisor\n"
          "                    cycles, exits by reason with their average cost, TLB). hvsim\n"
          "                    with no arguments does this when there is no display and no\n"
          "                    terminal.\n"
          "  --vs-native       with a hypervisor scenario: run each VM alone on the bare\n"
          "                    machine too, and print the overhead\n"
          "  --trace-out FILE.json  write a Chrome/Perfetto trace of the run (VMs as\n"
          "                    processes, VCPUs as threads; a native scenario in the same\n"
          "                    layout, to compare; open it in ui.perfetto.dev)\n"
          "  --migration-plot FILE.png  with a scenario that migrates a VM live: draw the\n"
          "                    pages each pre-copy round sent as a PNG (docs/migration.md)\n"
          "  --sharing-plot FILE.png  with a scenario that shares pages (sharing = on): draw\n"
          "                    the sharing ratio over the run as a PNG (docs/memory.md)\n"
          "  --pcap FILE.pcap  write every frame that enters the hypervisor's virtual\n"
          "                    switch to a .pcap file (tcpdump -r, Wireshark; docs/io.md)\n"
          "  --list-scenarios  list the built-in scenarios\n"
          "  --repl            debug interactively (a gdb-like command line): with --bare\n"
          "                    PROG, that program; with --scenario, that scenario; with\n"
          "                    neither, the default scenario (info vms, break exit IO_PORT\n"
          "                    vm 0, focus tinyos, ...); \"help\" lists the commands. hvsim\n"
          "                    with no arguments at a terminal does this too. With stdin\n"
          "                    not a terminal, commands are read from it without prompt or\n"
          "                    echo.\n"
          "  --gui             open the window (the visualizer) on the program or scenario\n"
          "                    (default: the scenario '" UI_GUI_DEFAULT_SCENARIO
          "'), with the debugger live\n"
          "                    in the terminal when stdin is one. hvsim with no arguments\n"
          "                    opens it when a display is available. ? in the window lists\n"
          "                    its keys.\n"
          "  --screenshot FILE.png  draw the window offscreen (no display needed), write\n"
          "                    it as a PNG and exit; --after-cycles N runs N cycles first,\n"
          "                    --at STOP runs to a stop the debugger's break understands\n"
          "                    (--at 'exit IO_PORT vm 0'), --size WxH sets the window size\n"
          "                    (default 1280x800).\n"
          "  -x SCRIPT         run the debugger commands in SCRIPT, then exit with the\n"
          "                    program's exit code (0 if it did not power off).\n"
          "  --restore FILE.snap  go on from a snapshot (the REPL's save FILE): run it to\n"
          "                    its end headless, or debug it with --repl or -x; the same\n"
          "                    cycles, console lines and statistics follow as in the run it\n"
          "                    was saved from (docs/snapshot.md).\n"
          "  snapshot info FILE  what made a snapshot, its sections and sizes; snapshot\n"
          "                    diff A B: what differs between two, page by page and device\n"
          "                    by device (exit 1 when they differ).\n"
          "  scenario show NAME|FILE.ini  print a scenario as an INI file with every key\n"
          "                    and its value, to save, change and run with --scenario.\n"
          "  isa               list every instruction with its privilege class and state\n"
          "                    whether the ISA can be virtualized by trap-and-emulate\n"
          "                    (Popek-Goldberg); --markdown prints the table of docs/isa.md.\n"
          "  walkdemo          print every memory reference of one cold page walk, nested\n"
          "                    (2-D) or native; 'hvsim walkdemo --help' has its options.\n"
          "  bench-virt        the technique table: nanobenchmarks natively and under each\n"
          "                    virtualization technique, cycles per operation (--json);\n"
          "                    --costs NAME under a cost profile, --compare under each\n"
          "                    beside Adams and Agesen's figures; --batch-exits and\n"
          "                    --traces turn on exit batching and write-protect traces.\n"
          "  bench-io          the I/O paths compared: one transfer natively and by the\n"
          "                    emulated, paravirtual and passthrough card (--json).\n"
          "\n"
          "Options for --bare and --scenario (--max-cycles, --stats and --trace for every\n"
          "scenario; --input, --ram and --base for --bare and the native ones):\n"
          "  --max-cycles N    stop after N cycles (default 1000000000, or the scenario's\n"
          "                    max_cycles); exits 124\n"
          "  --stats           print instructions, cycles, CPI, traps and interrupts\n"
          "                    to stderr at the end\n"
          "  --trace           print every event (trap, interrupt, mode change, device\n"
          "                    access, VM exit) to stderr, one per line, as it happens; the\n"
          "                    console's lines on stdout stay whole (2>FILE keeps them apart)\n"
          "  --input FILE      feed FILE to the console as keyboard input\n"
          "  --ram SIZE        RAM size in bytes, or with K or M (default 16M, or the\n"
          "                    scenario's)\n"
          "  --base ADDR       load address of a .bin image (default 0x1000)\n"
          "  --costs NAME      the cost profile of a hardware generation:\n"
          "                    " SIM_COST_PROFILE_NAMES "\n"
          "                    (default sandybridge-2011, or the scenario's costs =;\n"
          "                    docs/cycle-model.md)\n"
          "\n"
          "Environment:\n"
          "  HVSIM_DIGITS=plain  print counts as plain digits (1284512) instead of in\n"
          "                    groups of three (1 284 512), for scripts that parse --stats\n"
          "                    (such as ../shared/peers/run)\n"
          "\n"
          "Exit status: the program's exit code; 1 for a bad program file; 2 for bad usage;\n"
          "124 when --max-cycles is reached; 125 when every CPU halted with nothing to wake it.\n"
          "\n"
          "Examples:\n"
          "  hvsim --bare examples/hello.s\n"
          "  hvsim --bare examples/traps.s --trace --stats\n"
          "  hvsim --scenario native-tinyos\n"
          "  hvsim isa\n",
          stdout);
}

/* Parses a number with an optional K/M/G suffix. Returns false for junk or overflow. */
bool ui_parse_size(const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno || end == text || text[0] == '-')
        return false;
    uint64_t mult = 1;
    if (*end == 'K' || *end == 'k')
        mult = 1024, end++;
    else if (*end == 'M' || *end == 'm')
        mult = 1024 * 1024, end++;
    else if (*end == 'G' || *end == 'g')
        mult = 1024ull * 1024 * 1024, end++;
    if (*end || (mult > 1 && v > UINT64_MAX / mult))
        return false;
    *out = v * mult;
    return true;
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("hvsim: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    print_usage(stderr);
    fputs("Try 'hvsim --help' for more.\n", stderr);
    return 2;
}

static int cmd_isa(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--markdown") == 0) {
        cpu_print_isa_markdown(stdout);
        return 0;
    }
    if (argc != 1)
        return usage_error("isa: unexpected argument '%s'", argv[1]);
    cpu_print_isa_report(stdout);
    return 0;
}

enum {
    OPT_BARE = 256,
    OPT_MAX_CYCLES,
    OPT_STATS,
    OPT_TRACE,
    OPT_INPUT,
    OPT_RESTORE,
    OPT_RAM,
    OPT_BASE,
    OPT_VERSION,
    OPT_REPL,
    OPT_SCENARIO,
    OPT_LIST_SCENARIOS,
    OPT_GUI,
    OPT_SCREENSHOT,
    OPT_AFTER_CYCLES,
    OPT_AT,
    OPT_SIZE,
    OPT_HEADLESS,
    OPT_VS_NATIVE,
    OPT_TRACE_OUT,
    OPT_COSTS,
    OPT_PCAP,
    OPT_MIGRATION_PLOT,
    OPT_SHARING_PLOT
};

/* What `hvsim` with no arguments opens: the window when a display is there and SDL can use
 * it; else the REPL when stdin is a terminal; else the headless run. `make test` and CI have
 * no display (the Makefile clears DISPLAY for the tests), so they never get a window. */
typedef enum { FRONT_WINDOW, FRONT_REPL, FRONT_HEADLESS } front_end_t;

static front_end_t default_front_end(void)
{
    if (ui_gui_display_available())
        return FRONT_WINDOW;
    return isatty(STDIN_FILENO) ? FRONT_REPL : FRONT_HEADLESS;
}

/* Parses "1280x800". */
static bool parse_window_size(const char *text, int *w, int *h)
{
    char *end;
    long a = strtol(text, &end, 10);
    if (end == text || (*end != 'x' && *end != 'X'))
        return false;
    const char *rest = end + 1;
    long b = strtol(rest, &end, 10);
    if (end == rest || *end || a < 640 || b < 400 || a > 7680 || b > 4320)
        return false;
    *w = (int)a;
    *h = (int)b;
    return true;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "isa") == 0)
        return cmd_isa(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "walkdemo") == 0)
        return ui_cmd_walkdemo(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "scenario") == 0)
        return ui_cmd_scenario(argv[0], argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "snapshot") == 0)
        return ui_cmd_snapshot(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "bench-virt") == 0)
        return ui_cmd_bench_virt(argv[0], argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "bench-io") == 0)
        return ui_cmd_bench_io(argv[0], argc - 1, argv + 1);

    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {"bare", required_argument, NULL, OPT_BARE},
        {"max-cycles", required_argument, NULL, OPT_MAX_CYCLES},
        {"stats", no_argument, NULL, OPT_STATS},
        {"trace", no_argument, NULL, OPT_TRACE},
        {"input", required_argument, NULL, OPT_INPUT},
        {"restore", required_argument, NULL, OPT_RESTORE},
        {"ram", required_argument, NULL, OPT_RAM},
        {"base", required_argument, NULL, OPT_BASE},
        {"repl", no_argument, NULL, OPT_REPL},
        {"scenario", required_argument, NULL, OPT_SCENARIO},
        {"list-scenarios", no_argument, NULL, OPT_LIST_SCENARIOS},
        {"gui", no_argument, NULL, OPT_GUI},
        {"screenshot", required_argument, NULL, OPT_SCREENSHOT},
        {"after-cycles", required_argument, NULL, OPT_AFTER_CYCLES},
        {"at", required_argument, NULL, OPT_AT},
        {"size", required_argument, NULL, OPT_SIZE},
        {"headless", no_argument, NULL, OPT_HEADLESS},
        {"vs-native", no_argument, NULL, OPT_VS_NATIVE},
        {"trace-out", required_argument, NULL, OPT_TRACE_OUT},
        {"costs", required_argument, NULL, OPT_COSTS},
        {"pcap", required_argument, NULL, OPT_PCAP},
        {"migration-plot", required_argument, NULL, OPT_MIGRATION_PLOT},
        {"sharing-plot", required_argument, NULL, OPT_SHARING_PLOT},
        {NULL, 0, NULL, 0},
    };
    ui_bare_options_t bare = {.max_cycles = 1000000000ull, .ram_size = 16u << 20,
                              .base = CPU_RESET_PC};
    uint64_t v;
    bool repl = false, ram_given = false, base_given = false;
    const char *scenario = NULL;
    const char *script = NULL, *restore = NULL;
    bool gui = false, headless = false;
    ui_gui_options_t go = {0};
    ui_hv_options_t ho = {.argv0 = argv[0]};
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "hx:", options, NULL)) != -1) {
        switch (c) {
        case 'h': print_help(); return 0;
        case OPT_VERSION: puts("hvsim 0.1"); return 0;
        case OPT_BARE: bare.program = optarg; break;
        case OPT_REPL: repl = true; break;
        case OPT_SCENARIO: scenario = optarg; break;
        case OPT_LIST_SCENARIOS:
            ui_list_scenarios(stdout);
            ui_hv_list_scenarios(stdout);
            return 0;
        case OPT_HEADLESS: headless = true; break;
        case OPT_VS_NATIVE: ho.vs_native = true; break;
        case OPT_TRACE_OUT: ho.trace_out = optarg; break;
        case OPT_COSTS:
            if (sim_cost_profile_by_name(optarg) < 0)
                return usage_error(
                    "--costs: '%s' is not a cost profile (known: " SIM_COST_PROFILE_NAMES ")",
                    optarg);
            sim_cost_profile_choose(sim_cost_profile_by_name(optarg));
            break;
        case OPT_PCAP: ho.pcap_out = optarg; break;
        case OPT_MIGRATION_PLOT: ho.migration_plot = optarg; break;
        case OPT_SHARING_PLOT: ho.sharing_plot = optarg; break;
        case OPT_GUI: gui = true; break;
        case OPT_SCREENSHOT: go.screenshot = optarg; break;
        case OPT_AT: go.at = optarg; break;
        case OPT_AFTER_CYCLES:
            if (!ui_parse_size(optarg, &v))
                return usage_error("--after-cycles: '%s' is not a number of cycles", optarg);
            go.after_cycles = v;
            break;
        case OPT_SIZE:
            if (!parse_window_size(optarg, &go.width, &go.height))
                return usage_error("--size: '%s' is not WIDTHxHEIGHT between 640x400 and "
                                   "7680x4320", optarg);
            break;
        case 'x': script = optarg; break;
        case OPT_MAX_CYCLES:
            if (!ui_parse_size(optarg, &v) || v == 0)
                return usage_error("--max-cycles: '%s' is not a positive number", optarg);
            bare.max_cycles = v;
            break;
        case OPT_STATS: bare.stats = true; break;
        case OPT_TRACE: bare.trace = true; break;
        case OPT_INPUT: bare.input = optarg; break;
        case OPT_RESTORE: restore = optarg; break;
        case OPT_RAM:
            if (!ui_parse_size(optarg, &v) || v < 65536 || v > 0xf0000000ull)
                return usage_error("--ram: '%s' is not a size between 64K and 3840M", optarg);
            bare.ram_size = (uint32_t)v;
            ram_given = true;
            break;
        case OPT_BASE:
            if (!ui_parse_size(optarg, &v) || v > 0xffffffffull || (v & 3))
                return usage_error("--base: '%s' is not a word-aligned 32-bit address", optarg);
            bare.base = (uint32_t)v;
            base_given = true;
            break;
        default:
            if (optopt && optopt < 256)
                return usage_error("unknown option '%s'", argv[optind - 1]);
            return usage_error("option '%s' is unknown or lacks its argument", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (restore) {
        if (bare.program || scenario || gui || go.screenshot || headless || bare.input ||
            ram_given || base_given || ho.vs_native || ho.trace_out)
            return usage_error("%s", "--restore FILE goes with --repl, -x, --max-cycles, --stats "
                                     "and --trace only: the snapshot is the whole machine");
        return ui_run_restore(restore, &bare, repl, script, argv[0]);
    }
    if (bare.trace) /* console lines whole, never split by a trace line (ui_trace_events) */
        setvbuf(stdout, NULL, _IOLBF, 0);
    if (!gui && !go.screenshot && !repl && !script && argc == 1 &&
        default_front_end() == FRONT_WINDOW)
        gui = true;
    if (gui || go.screenshot) {
        if (repl || script || (gui && go.screenshot))
            return usage_error("%s", "--gui and --screenshot go with --bare or --scenario only");
        if (bare.program && scenario)
            return usage_error("%s", "give --bare PROG or --scenario NAME, not both");
        go.program = bare.program;
        go.scenario = scenario;
        go.input = bare.input;
        go.max_cycles = bare.max_cycles;
        go.ram_size = ram_given ? bare.ram_size : 0;
        go.base = bare.base;
        go.argv0 = argv[0];
        return go.screenshot ? ui_gui_screenshot(&go) : ui_gui_main(&go);
    }
    if (go.after_cycles || go.width || go.at)
        return usage_error("%s", "--after-cycles, --at and --size go with --screenshot or --gui");
    /* The hypervisor's scenarios, headless: the default one when nothing else is asked for;
     * the debugger opens the default one too when given no program. */
    bool native = scenario && ui_native_scenario_vm(scenario);
    bool hv_scenario = scenario ? ui_hv_is_scenario(scenario) : !bare.program;
    if (native && ho.vs_native)
        return usage_error("--vs-native compares a hypervisor scenario with its VMs run natively; "
                           "%s runs natively already",
                           scenario);
    if (ho.pcap_out && (!hv_scenario || native || ((repl || script || gui) && !headless)))
        return usage_error("%s", "--pcap captures the hypervisor's virtual switch: it goes with a "
                                 "hypervisor scenario run headless (see --list-scenarios)");
    if (ho.migration_plot && (!hv_scenario || native || ((repl || script || gui) && !headless)))
        return usage_error("%s", "--migration-plot draws a live migration: it goes with a "
                                 "hypervisor scenario run headless (--scenario migrate)");
    if (ho.sharing_plot && (!hv_scenario || native || ((repl || script || gui) && !headless)))
        return usage_error("%s", "--sharing-plot draws page sharing's ratio: it goes with a "
                                 "hypervisor scenario run headless (--scenario sharing)");
    if ((ho.vs_native || ho.trace_out || headless) && !hv_scenario && !native)
        return usage_error("%s", "--headless, --vs-native and --trace-out run a scenario (see "
                                 "--list-scenarios), not --bare");
    if (hv_scenario && !bare.program && (bare.input || ram_given || base_given))
        return usage_error("%s", "--input, --ram and --base go with --bare or a native scenario; "
                                 "a hypervisor scenario gives each VM its input = and memory = "
                                 "in its [vm] section (hvsim scenario show NAME)");
    if (hv_scenario && (repl || script) && !headless) { /* the debugger on a scenario */
        if (bare.program)
            return usage_error("%s", "give --bare PROG or --scenario NAME, not both");
        return ui_hv_repl(scenario, script, !script && isatty(STDIN_FILENO),
                          bare.max_cycles == 1000000000ull ? 0 : bare.max_cycles, argv[0]);
    }
    if (hv_scenario && argc == 1 && isatty(STDIN_FILENO)) /* hvsim alone at a terminal */
        return ui_hv_repl(NULL, NULL, true, 0, argv[0]);
    if (hv_scenario && (headless || scenario || !(argc == 1 && isatty(STDIN_FILENO)))) {
        if (bare.program || repl || script)
            return usage_error("%s", "--scenario runs on its own: not with --bare, --repl or -x");
        ho.scenario = scenario;
        ho.max_cycles = bare.max_cycles == 1000000000ull ? 0 : bare.max_cycles;
        ho.stats = bare.stats;
        ho.trace = bare.trace;
        return ui_run_hv(&ho);
    }
    if (native && (repl || script) && !bare.program) {
        if (!ram_given)
            bare.ram_size = 0; /* the scenario's own */
        return ui_native_repl(scenario, script, !script && isatty(STDIN_FILENO), &bare, argv[0]);
    }
    if (scenario && (repl || script) && !bare.program)
        return usage_error("--repl and -x debug a scenario (hvsim --list-scenarios) or a "
                           "program (--bare); '%s' is neither",
                           scenario);
    if (scenario) {
        if (bare.program || repl || script)
            return usage_error("%s", "--scenario runs on its own: not with --bare, --repl or -x");
        if (!ram_given)
            bare.ram_size = 0; /* the scenario's own */
        bare.trace_out = ho.trace_out;
        return ui_run_scenario(scenario, &bare, argv[0]);
    }
    if (repl || script || (!bare.program && argc == 1 && isatty(STDIN_FILENO))) {
        ui_repl_options_t ro = {.program = bare.program, .input = bare.input, .script = script,
                                .max_cycles = bare.max_cycles, .ram_size = bare.ram_size,
                                .base = bare.base};
        return ui_repl_main(&ro, !script && isatty(STDIN_FILENO));
    }
    if (!bare.program)
        return usage_error("%s", "nothing to run: give --bare PROG or --scenario NAME");
    return ui_run_bare(&bare);
}
