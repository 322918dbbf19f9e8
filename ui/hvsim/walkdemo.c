/*
 * walkdemo.c - `hvsim walkdemo`: one cold page walk, every memory reference on its own line.
 *
 * The tables are built and the translation is made by the core (mmu_demo_run, through the real
 * MMU); this file only reads the options and prints the trace. It is the command-line form of
 * the lecture's 2-D walk figure: run it with 2x2 and with 4x4 levels and compare the counts.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../sim/sim.h"
#include "ui_hvsim.h"

static void usage(FILE *out)
{
    fputs("usage: hvsim walkdemo [--guest-levels N] [--nested-levels M] [--native] [--pwc]\n"
          "                      [--guest-large] [--nested-large] [--va ADDR]\n",
          out);
}

static void help(void)
{
    usage(stdout);
    fputs("\n"
          "Builds page tables in a scratch machine, makes one cold translation (a load in\n"
          "kernel mode, empty TLB) through the simulator's MMU and prints every memory\n"
          "reference of the page walk, ending with a line 'references: K'.\n"
          "\n"
          "With nested translation (the default) the guest's tables are at guest-physical\n"
          "addresses, so each guest level first needs a walk of the nested tables: a cold\n"
          "walk makes (N+1)(M+1)-1 references, 8 for 2x2 and 24 for 4x4.\n"
          "\n"
          "Options:\n"
          "  --guest-levels N   levels of the guest's page tables, 2..4 (default 2)\n"
          "  --nested-levels M  levels of the nested page tables, 2..4 (default 2)\n"
          "  --native           no nested translation: a 1-D walk of N references\n"
          "  --pwc              turn the page-walk cache on: upper-level entries read once\n"
          "                     are not read again (listed as 'pwc hit', not counted)\n"
          "  --guest-large      the guest maps the address with a large page (a level-1\n"
          "                     leaf: 4 MiB with 2 levels) at guest-physical 0: one guest\n"
          "                     level less to walk\n"
          "  --nested-large     the nested tables map guest RAM with large pages: one nested\n"
          "                     level less in every nested walk. A guest large page over\n"
          "                     small nested pages is 'splintered': the TLB keeps 4 KiB\n"
          "  --va ADDR          the address translated (default 0x00401a2c)\n"
          "\n"
          "Examples:\n"
          "  hvsim walkdemo\n"
          "  hvsim walkdemo --guest-levels 4 --nested-levels 4 --pwc\n"
          "  hvsim walkdemo --guest-large --nested-large\n",
          stdout);
}

static int bad_usage(const char *fmt, const char *arg)
{
    fputs("hvsim walkdemo: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    usage(stderr);
    fputs("Try 'hvsim walkdemo --help' for more.\n", stderr);
    return 2;
}

/* Parses a level count; false unless it is 2, 3 or 4. */
static bool parse_levels(const char *text, unsigned *out)
{
    uint64_t v;
    if (!ui_parse_size(text, &v) || v < MMU_MIN_LEVELS || v > MMU_MAX_LEVELS)
        return false;
    *out = (unsigned)v;
    return true;
}

/* The page sizes and what the TLB keeps, e.g. "pages: guest 4 MiB, nested 4 KiB: splintered,
 * the TLB entry covers 4 KiB". */
static void print_sizes(const mmu_demo_params_t *p, const mmu_trace_t *t)
{
    char g[16], n[16], e[16];
    mmu_page_size_name(t->leaf_shift, g, sizeof g);
    mmu_page_size_name(t->nested_shift, n, sizeof n);
    mmu_page_size_name(t->entry_shift, e, sizeof e);
    if (!p->nested)
        printf("page: %s, the TLB entry covers %s\n", g, e);
    else
        printf("pages: guest %s, nested %s%s, the TLB entry covers %s\n", g, n,
               t->splintered ? ": splintered (a guest large page over small nested pages)" : "", e);
}

static void print_walk(const mmu_demo_params_t *p, const mmu_demo_result_t *r)
{
    const mmu_trace_t *t = &r->trace;
    char line[256];
    if (p->nested)
        printf("2-D walk of gva 0x%08x (a load in K): guest levels %u, nested levels %u, "
               "page-walk cache %s\n",
               p->va, p->levels, p->nested_levels, p->pwc ? "on" : "off");
    else
        printf("1-D walk of va 0x%08x (a load in K): levels %u, page-walk cache %s\n", p->va,
               p->levels, p->pwc ? "on" : "off");
    for (unsigned i = 0; i < t->n; i++) {
        mmu_trace_format_ref(t, &t->ref[i], line, sizeof line);
        printf("%4u  %s\n", i + 1, line);
    }
    if (p->nested)
        printf("gva 0x%08x -> gpa 0x%08x -> hpa 0x%08x\n", t->va, t->gpa, t->pa);
    else
        printf("va 0x%08x -> pa 0x%08x\n", t->va, t->pa);
    printf("A/D writes: %u, page-walk-cache hits: %u, cycles: %u\n", t->ad_writes, t->pwc_hits,
           t->cycles);
    bool large = p->guest_large || (p->nested && p->nested_large);
    unsigned n = p->levels - p->guest_large, m = p->nested_levels - p->nested_large;
    if (p->nested && !p->pwc && !large)
        printf("a cold 2-D walk makes (%u+1)(%u+1)-1 = %u references\n", p->levels,
               p->nested_levels, (p->levels + 1) * (p->nested_levels + 1) - 1);
    else if (p->nested && !p->pwc)
        printf("a large leaf ends its tree a level early: (%u+1)(%u+1)-1 = %u references\n", n, m,
               (n + 1) * (m + 1) - 1);
    if (large && r->result.status == MMU_OK)
        print_sizes(p, t);
    printf("references: %u\n", t->refs);
}

enum { OPT_GUEST = 256, OPT_NESTED, OPT_NATIVE, OPT_PWC, OPT_VA, OPT_GLARGE, OPT_NLARGE };

int ui_cmd_walkdemo(int argc, char **argv)
{
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {"guest-levels", required_argument, NULL, OPT_GUEST},
        {"nested-levels", required_argument, NULL, OPT_NESTED},
        {"native", no_argument, NULL, OPT_NATIVE},
        {"pwc", no_argument, NULL, OPT_PWC},
        {"va", required_argument, NULL, OPT_VA},
        {"guest-large", no_argument, NULL, OPT_GLARGE},
        {"nested-large", no_argument, NULL, OPT_NLARGE},
        {NULL, 0, NULL, 0},
    };
    mmu_demo_params_t p = {.levels = 2, .nested_levels = 2, .nested = true, .va = MMU_DEMO_VA};
    uint64_t v;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'h': help(); return 0;
        case OPT_GUEST:
            if (!parse_levels(optarg, &p.levels))
                return bad_usage("--guest-levels: '%s' is not a level count (must be 2..4)",
                                 optarg);
            break;
        case OPT_NESTED:
            if (!parse_levels(optarg, &p.nested_levels))
                return bad_usage("--nested-levels: '%s' is not a level count (must be 2..4)",
                                 optarg);
            break;
        case OPT_NATIVE: p.nested = false; break;
        case OPT_PWC: p.pwc = true; break;
        case OPT_GLARGE: p.guest_large = true; break;
        case OPT_NLARGE: p.nested_large = true; break;
        case OPT_VA:
            if (!ui_parse_size(optarg, &v) || v > 0xffffffffull)
                return bad_usage("--va: '%s' is not a 32-bit address", optarg);
            p.va = (uint32_t)v;
            break;
        default: return bad_usage("unknown option or missing argument: '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return bad_usage("unexpected argument '%s'", argv[optind]);
    mmu_demo_result_t r;
    const char *why = mmu_demo_run(&p, &r);
    if (why) {
        fprintf(stderr, "hvsim walkdemo: %s\n", why);
        return 1;
    }
    print_walk(&p, &r);
    return r.result.status == MMU_OK ? 0 : 1;
}
