/*
 * test_exec_fetch.c - the interpreter's shortcut for fetches from the code page it is on (it
 * keeps the page's frame while pc stays there) must not outlive the TLB entry it came from.
 *
 * The program maps itself with identity tables, then points the PTE of its own code page at
 * another frame holding different code at the same offsets, and invalidates the page. From
 * the next instruction on, fetches must come from the new frame, as on hardware after INVLPG.
 */
#include <criterion/criterion.h>

#include "../support/harness.h"

static const char remap_program[] =
    TH_IDENTITY_PAGING /* this code is now fetched through the tables */
    "        li      r1, 0x21004\n"
    "        li      r2, 0x306f\n"
    "        li      r4, 0x1000\n"
    "        st      r2, [r1]\n" /* va 0x1000 -> frame 3 */
    "        %s\n"               /* tlbinv r4, or nothing */
    "after:  li      r10, 1\n"
    "        out     r0, [0xf0]\n"
    "        .org    0x3000 + (after - 0x1000)\n"
    "        li      r10, 2\n"
    "        out     r0, [0xf0]\n";

static uint32_t run_remap(const char *invalidate)
{
    char src[sizeof remap_program + 32];
    snprintf(src, sizeof src, remap_program, invalidate);
    return th_run_reg(src, 100000, 10);
}

Test(exec_fetch, a_tlbinv_of_the_code_page_fetches_from_the_new_frame)
{
    cr_expect_eq(run_remap("tlbinv  r4"), 2, "after tlbinv the code comes from frame 3");
}

/* Without the invalidation the TLB still maps the old frame: that is what stale entries do. */
Test(exec_fetch, without_tlbinv_the_old_translation_stays)
{
    cr_expect_eq(run_remap(""), 1, "the TLB entry of va 0x1000 still names frame 1");
}
