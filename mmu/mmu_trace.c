/*
 * mmu_trace.c - names and one-line descriptions of what the MMU did: outcomes, access kinds,
 * flush kinds, PTE bits and the references of a walk trace. The walk demo, the debugger's
 * `translate` and the GUI's walk grid all print walks with these, so they read the same.
 */
#include <stdio.h>
#include <string.h>

#include "mmu_internal.h"

static const char *const outcome_names[MMU_OUTCOME_COUNT] = {
#define MMU_X_OUTNAME(name, str, doc) str,
    MMU_OUTCOMES(MMU_X_OUTNAME)
#undef MMU_X_OUTNAME
};

static const char *const flush_names[MMU_FLUSH_COUNT] = {
#define MMU_X_FLNAME(name, str) str,
    MMU_FLUSHES(MMU_X_FLNAME)
#undef MMU_X_FLNAME
};

static const char *const access_names[MMU_ACCESS_KINDS] = {"fetch", "load", "store"};

const char *mmu_outcome_name(unsigned outcome)
{
    return outcome < MMU_OUTCOME_COUNT ? outcome_names[outcome] : "?";
}

const char *mmu_access_name(unsigned kind)
{
    return kind < MMU_ACCESS_KINDS ? access_names[kind] : "?";
}

const char *mmu_flush_name(unsigned kind)
{
    return kind < MMU_FLUSH_COUNT ? flush_names[kind] : "?";
}

void mmu_page_size_name(unsigned shift, char *buf, size_t len)
{
    if (shift >= 20)
        snprintf(buf, len, "%u MiB", 1u << (shift - 20));
    else
        snprintf(buf, len, "%u KiB", 1u << (shift >= 10 ? shift - 10 : 0));
}

void mmu_pte_flags(uint32_t pte, char *buf, size_t len)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } bits[] = {{MMU_PTE_V, "V"}, {MMU_PTE_R, "R"}, {MMU_PTE_W, "W"},
                {MMU_PTE_X, "X"}, {MMU_PTE_U, "U"}, {MMU_PTE_A, "A"},
                {MMU_PTE_D, "D"}, {MMU_PTE_G, "G"}, {MMU_PTE_S, "S"}};
    size_t used = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
        if (!(pte & bits[i].bit))
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "", bits[i].name);
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
    }
    if (!used)
        snprintf(buf, len, "-");
}

/* "guest L1", "nested L0", "L1" (a 1-D walk), "io L1". */
static void table_name(const mmu_trace_t *t, const mmu_trace_ref_t *r, char *buf, size_t len)
{
    const char *space = r->space == MMU_SPACE_NESTED ? "nested "
                        : r->space == MMU_SPACE_IO   ? "io "
                        : t->nested                  ? "guest "
                                                     : "";
    snprintf(buf, len, "%sL%u", space, r->level);
}

/* For a nested reference: which guest-physical address it translates, and why. */
static void nested_purpose(const mmu_trace_ref_t *r, char *buf, size_t len)
{
    if (r->space != MMU_SPACE_NESTED) {
        buf[0] = '\0';
        return;
    }
    if (r->for_level == MMU_FOR_DATA)
        snprintf(buf, len, "  for gpa 0x%08x (data)", r->gpa);
    else
        snprintf(buf, len, "  for gpa 0x%08x (guest L%u table)", r->gpa, r->for_level);
}

/* For a large leaf: "  a 4 MiB page" (the size depends on the levels of its tree). */
static void large_leaf(const mmu_trace_t *t, const mmu_trace_ref_t *r, char *buf, size_t len)
{
    buf[0] = '\0';
    if (r->level != 1 || !(r->value & MMU_PTE_S) || !(r->value & MMU_PTE_V) ||
        r->outcome != MMU_OUTCOME_OK)
        return;
    char size[16];
    mmu_page_size_name(mmu_large_shift(r->space == MMU_SPACE_NESTED ? t->nested_levels : t->levels),
                       size, sizeof size);
    snprintf(buf, len, "  leaf: a %s page", size);
}

void mmu_trace_format_ref(const mmu_trace_t *t, const mmu_trace_ref_t *r, char *buf, size_t len)
{
    char name[16], purpose[64], large[32];
    const char *as = t->nested ? "hpa" : "pa";
    const char *verb = r->outcome == MMU_OUTCOME_AD_WRITE   ? "write"
                       : r->outcome == MMU_OUTCOME_PWC_HIT  ? "cache"
                       : r->outcome == MMU_OUTCOME_NTLB_HIT ? "ntlb "
                                                            : "read ";
    table_name(t, r, name, sizeof name);
    nested_purpose(r, purpose, sizeof purpose);
    large_leaf(t, r, large, sizeof large);
    snprintf(buf, len, "%-9s  table %s 0x%08x  %s %s 0x%08x = 0x%08x  %-11s %3u cycles%s%s", name,
             as, r->table, verb, as, r->addr, r->value, mmu_outcome_name(r->outcome), r->cycles,
             purpose, large);
}
