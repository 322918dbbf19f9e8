/*
 * test_snapshot_file.c - the snapshot container (sim_snap.c, docs/snapshot.md): what it
 * writes, and every rule its reader checks. A truncated, corrupted, wrong-version or
 * wrong-machine snapshot is refused with the byte offset and the rule broken; a save killed
 * midway leaves the previous file at its path as it was.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../hypervisor/hv.h"
#include "../support/harness.h"

/* A small bare machine that has run a little: its snapshot file in *out. */
static void small_snapshot(uint8_t **out, size_t *len)
{
    static sim_machine_t m;
    th_machine(&m, "addi r1, r0, 7\nloop: addi r2, r2, 1\nb loop\n");
    sim_console_set_output(&m, NULL);
    sim_run(&m, 5000);
    sim_snap_writer_t w;
    cr_assert_eq(hv_snapshot_build(&m, "small", &w), 0);
    cr_assert_eq(sim_snap_finish(&w, out, len), 0);
    sim_snap_writer_free(&w);
    sim_machine_free(&m);
}

/* Parses bytes and expects the error to contain `want`. */
static void expect_refused(const uint8_t *bytes, size_t len, const char *want)
{
    sim_snap_t s;
    char err[400] = "";
    cr_expect_eq(sim_snap_parse(&s, "x.snap", bytes, len, err, sizeof err), -1, "refused: %s",
                 want);
    cr_expect(strstr(err, want) != NULL, "the message says \"%s\": %s", want, err);
}

/* The file a writer built (the writer is freed). */
static uint8_t *finished(sim_snap_writer_t *w, size_t *len)
{
    uint8_t *f;
    cr_assert_eq(sim_snap_finish(w, &f, len), 0);
    sim_snap_writer_free(w);
    return f;
}

/* A file whose container is good but whose state this build cannot load: refused by the
 * loader with `want` in its message, nothing left to free. */
static void expect_load_refused(const uint8_t *f, size_t len, const char *want)
{
    sim_snap_t s;
    char err[400];
    cr_assert_eq(sim_snap_parse(&s, "x.snap", f, len, err, sizeof err), 0, "%s", err);
    sim_machine_t fresh;
    cr_expect_eq(hv_snapshot_load_parsed(&fresh, &s, NULL, err, sizeof err), -1);
    cr_expect(strstr(err, want) != NULL, "the message says \"%s\": %s", want, err);
    sim_snap_free(&s);
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

Test(snapshot_file, a_snapshot_reads_back_with_what_made_it)
{
    uint8_t *f;
    size_t len;
    small_snapshot(&f, &len);
    cr_expect_eq(memcmp(f, "HVSNAP\r\n", 8), 0);
    sim_snap_t s;
    char err[300], buf[64];
    cr_assert_eq(sim_snap_parse(&s, "x.snap", f, len, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(sim_snap_info_get(&s, "scenario", buf, sizeof buf), "small");
    cr_expect_str_eq(sim_snap_info_get(&s, "hypervisor", buf, sizeof buf), "none");
    cr_expect_str_eq(sim_snap_info_get(&s, "made by", buf, sizeof buf), "hvsim 0.1");
    cr_expect_null(sim_snap_info_get(&s, "nothing", buf, sizeof buf));
    cr_expect_geq(s.cycle, 5000u);
    cr_expect_not_null(sim_snap_find(&s, "MACH", 0));
    const sim_snap_section_t *ram = sim_snap_find(&s, "RAM ", 0);
    cr_assert_not_null(ram);
    cr_expect_eq(ram->len, 1u << 20, "the whole RAM");
    sim_machine_t m;
    cr_assert_eq(hv_snapshot_load_parsed(&m, &s, NULL, err, sizeof err), 0, "%s", err);
    cr_expect_eq(m.cpu[0].s.r[1], 7u, "the registers come back");
    cr_expect_eq(m.cpu[0].s.cycles, s.cycle);
    hv_machine_release(&m);
    sim_snap_free(&s);
    free(f);
}

Test(snapshot_file, truncated_files_are_refused_where_they_end)
{
    uint8_t *f;
    size_t len;
    small_snapshot(&f, &len);
    expect_refused(f, 10, "offset 10: the file ends inside the 64-byte header");
    char want[200];
    snprintf(want, sizeof want,
             "offset %zu: the header promises %zu bytes in all, the file has "
             "%zu: truncated",
             len - 1, len, len - 1);
    expect_refused(f, len - 1, want);
    free(f);
}

Test(snapshot_file, corrupted_bytes_are_refused_with_the_rule)
{
    uint8_t *f;
    size_t len;
    small_snapshot(&f, &len);
    f[len - 5] ^= 0x40; /* inside the compressed payload */
    expect_refused(f, len, "the compressed payload's checksum does not match");
    f[len - 5] ^= 0x40;
    f[SIM_SNAP_HEADER + 2] ^= 1; /* the text block */
    expect_refused(f, len, "offset 56: the header's checksum does not match");
    f[SIM_SNAP_HEADER + 2] ^= 1;
    f[0] = 'X';
    expect_refused(f, len, "offset 0: the magic is not");
    free(f);
}

Test(snapshot_file, another_version_is_refused)
{
    uint8_t *f;
    size_t len;
    small_snapshot(&f, &len);
    f[8] = 2;
    expect_refused(f, len, "offset 8: format version 2, this hvsim reads version 1: wrong version");
    free(f);
}

/* A section of another build's size (a struct that grew) is refused where it starts. */
Test(snapshot_file, a_struct_of_another_build_is_refused)
{
    sim_snap_writer_t w;
    sim_snap_writer_init(&w, 0);
    uint8_t small[16] = {0};
    sim_snap_put(&w, "MACH", 0, small, sizeof small);
    size_t len;
    uint8_t *f = finished(&w, &len);
    expect_load_refused(f, len,
                        "x.snap: offset 0: (payload) section MACH 0: 16 bytes, where "
                        "this build's state needs");
    expect_load_refused(f, len, "wrong version");
    free(f);
}

/* A machine whose bus differs from the one its shape builds is the wrong machine. */
Test(snapshot_file, a_wrong_machine_is_refused)
{
    static sim_machine_t m;
    th_machine(&m, "b 0\n");
    m.ndevices--; /* as if it had one device fewer */
    sim_snap_writer_t w;
    cr_assert_eq(hv_snapshot_build(&m, NULL, &w), 0);
    m.ndevices++;
    size_t len;
    uint8_t *f = finished(&w, &len);
    expect_load_refused(f, len, "section MACH 0: wrong machine: it has another number of devices");
    free(f);
    sim_machine_free(&m);
}

/* A flag that is neither 0 nor 1 (a crafted file) is refused before it is read as a bool. */
Test(snapshot_file, a_flag_that_is_not_0_or_1_is_refused)
{
    static sim_machine_t m;
    th_machine(&m, "b 0\n");
    memset(&m.powered_off, 2, 1);
    sim_snap_writer_t w;
    cr_assert_eq(hv_snapshot_build(&m, NULL, &w), 0);
    memset(&m.powered_off, 0, 1);
    size_t len;
    uint8_t *f = finished(&w, &len);
    expect_load_refused(f, len, "section MACH 0: a flag (a bool) holds neither 0 nor 1");
    free(f);
    sim_machine_free(&m);
}

/* A machine with one change made before its snapshot is built and undone after: the file is
 * refused on load with `want`. */
static void expect_crafted_refused(void (*craft)(sim_machine_t *, int), const char *want)
{
    static sim_machine_t m;
    th_machine(&m, "b 0\n");
    craft(&m, 1);
    sim_snap_writer_t w;
    cr_assert_eq(hv_snapshot_build(&m, NULL, &w), 0);
    craft(&m, -1);
    size_t len;
    uint8_t *f = finished(&w, &len);
    expect_load_refused(f, len, want);
    free(f);
    sim_machine_free(&m);
}

static void lie_about_large_entries(sim_machine_t *m, int d)
{
    m->cpu[0].mmu.tlb.large = (uint16_t)(m->cpu[0].mmu.tlb.large + d);
}

static void an_entry_of_no_size(sim_machine_t *m, int d)
{
    mmu_tlb_entry_t *e = &m->cpu[0].mmu.tlb.e[0];
    e->perm = d > 0 ? MMU_TLBE_VALID : 0;
    e->shift = d > 0 ? 5 : 0; /* no tree makes 32-byte pages: a shift below 12 */
    m->cpu[0].mmu.tlb.large = (uint16_t)(d > 0);
}

static void a_large_size_the_context_cannot_have(sim_machine_t *m, int d)
{
    m->cpu[0].mmu.large_shift = (uint8_t)(m->cpu[0].mmu.large_shift + d);
}

/* A shape of quick walk that the configuration does not allow: the machine runs with no
 * page-walk cache, so its shape says "the default trees", and one more is another shape. */
static void a_quick_shape_the_configuration_does_not_make(sim_machine_t *m, int d)
{
    m->cpu[0].mmu.quick = (uint8_t)(m->cpu[0].mmu.quick + d);
}

/* The TLB's lookups trust its count of large entries, the sizes of its entries and the
 * context's large size: a crafted file that lies about them is refused, not half believed. */
Test(snapshot_file, a_tlb_that_lies_is_refused)
{
    expect_crafted_refused(lie_about_large_entries, "section MACH 0: the TLB's shape, an entry's "
                                                    "page size or the count of large entries is "
                                                    "wrong");
    expect_crafted_refused(an_entry_of_no_size, "an entry's page size");
    expect_crafted_refused(a_large_size_the_context_cannot_have,
                           "section MACH 0: the MMU's context tag or large-page size disagrees");
    expect_crafted_refused(a_quick_shape_the_configuration_does_not_make,
                           "section MACH 0: the MMU's quick-walk shape disagrees with its "
                           "configuration");
}

/* The hot loop's translation cache is host-side bookkeeping: a snapshot does not carry it, and
 * a loaded machine starts with it empty whatever the file says. */
Test(snapshot_file, the_host_side_translation_cache_is_not_state)
{
    static sim_machine_t m;
    th_machine(&m, "b 0\n");
    m.cpu[0].mmu.fast[0][3] = (mmu_fast_t){.tag = 3u << 12, .delta = 0xdead000};
    sim_snap_writer_t w;
    cr_assert_eq(hv_snapshot_build(&m, NULL, &w), 0);
    size_t len;
    uint8_t *f = finished(&w, &len);
    sim_snap_t s;
    char err[400];
    cr_assert_eq(sim_snap_parse(&s, "x.snap", f, len, err, sizeof err), 0, "%s", err);
    const sim_snap_section_t *mach = sim_snap_find(&s, "MACH", 0);
    cr_assert_not_null(mach);
    mmu_fast_t saved; /* cpu[0].mmu.fast[0][3] as the file holds it (the section is unaligned) */
    memcpy(&saved,
           mach->data + offsetof(sim_machine_t, cpu) + offsetof(cpu_t, mmu) +
               offsetof(mmu_t, fast) + 3 * sizeof saved,
           sizeof saved);
    cr_expect_eq(saved.tag, 0u, "not saved (zeros)");
    cr_expect_eq(saved.delta, 0u, "not saved (zeros)");
    sim_machine_t loaded;
    cr_assert_eq(hv_snapshot_load_parsed(&loaded, &s, NULL, err, sizeof err), 0, "%s", err);
    uint32_t va = 3u << 12, pa = 0;
    for (unsigned k = 0; k < MMU_ACCESS_KINDS; k++)
        for (unsigned set = 0; set < MMU_FAST_SETS; set++)
            cr_expect_eq(loaded.cpu[0].mmu.fast[k][set].tag, MMU_FAST_EMPTY, "empty after loading");
    cr_expect_not(mmu_fast_lookup(&loaded.cpu[0].mmu, MMU_FETCH, va, false, &pa));
    cr_expect_not(mmu_fast_lookup(&loaded.cpu[0].mmu, MMU_FETCH, 0, false, &pa), "not page 0");
    hv_machine_release(&loaded);
    sim_snap_free(&s);
    free(f);
    sim_machine_free(&m);
}

/* A damaged section inside a payload whose checksum was made to match (a crafted file) is
 * still caught, by the section's own checksum, at its offset in the payload. */
Test(snapshot_file, a_section_checksum_catches_a_crafted_payload)
{
    sim_snap_writer_t w;
    sim_snap_writer_init(&w, 0);
    uint8_t data[64] = {1, 2, 3};
    sim_snap_put(&w, "AAAA", 0, data, sizeof data);
    sim_snap_put(&w, "BBBB", 3, data, sizeof data);
    w.buf[SIM_SNAP_SECTION_HEADER + sizeof data + SIM_SNAP_SECTION_HEADER] ^= 1;
    size_t len;
    uint8_t *f = finished(&w, &len);
    expect_refused(f, len, "offset 88: (payload) section BBBB 3: its checksum does not match");
    free(f);
}

Test(snapshot_file, a_section_past_the_end_is_refused)
{
    sim_snap_writer_t w;
    sim_snap_writer_init(&w, 0);
    uint8_t data[8] = {0};
    sim_snap_put(&w, "AAAA", 0, data, sizeof data);
    put_u64(w.buf + 8, 1000);
    size_t len;
    uint8_t *f = finished(&w, &len);
    expect_refused(f, len,
                   "offset 0: (payload) section AAAA 0 claims 1000 bytes, past the "
                   "payload's end");
    free(f);
}

/* The files in dir, as one string (to see that a killed save left nothing behind). */
static char *listing(const char *dir)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            fprintf(out, "%s\n", e->d_name);
    closedir(d);
    fclose(out);
    return text;
}

/* A save killed midway (the file-size limit kills the process with SIGXFSZ part of the way
 * through its write) leaves the previous snapshot at that path whole. */
Test(snapshot_file, a_killed_save_leaves_the_previous_file)
{
    char dir[] = "/tmp/hvsim-snap-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/m.snap", dir);
    uint8_t *old;
    size_t old_len;
    small_snapshot(&old, &old_len);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fwrite(old, 1, old_len, f);
    fclose(f);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        static sim_machine_t m; /* 1 MiB of RAM of noise: a file larger than the limit */
        if (sim_machine_init(&m, 1u << 20, 1) != 0)
            _exit(2);
        uint32_t x = 2463534242u; /* xorshift32: noise that no compressor shrinks */
        for (uint32_t i = 0; i < m.ram_size; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            m.ram[i] = (uint8_t)x;
        }
        struct rlimit lim = {.rlim_cur = 64 * 1024, .rlim_max = 64 * 1024};
        setrlimit(RLIMIT_FSIZE, &lim);
        hv_snapshot_save(&m, NULL, path, stderr);
        _exit(3); /* not reached: SIGXFSZ */
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ, "the save was killed midway");
    size_t len;
    char *now = sim_read_file(path, &len);
    cr_assert_not_null(now);
    cr_expect(len == old_len && memcmp(now, old, len) == 0, "the previous file is whole");
    char *files = listing(dir);
    cr_expect_str_eq(files, "m.snap\n", "no half-written file is left");
    free(files);
    free(now);
    free(old);
    unlink(path);
    rmdir(dir);
}

/* RAM kept apart (a debugger's checkpoint: ui/debug/debug_reverse.c) loads only with its
 * pages given, and a file never has it so: an empty RAM section is refused as any section of
 * the wrong size, and pages given for a snapshot that has its RAM are refused too. */
Test(snapshot_file, ram_kept_apart_loads_only_with_its_pages)
{
    static sim_machine_t m;
    th_machine(&m, "li r1, 0x9000\nli r2, 77\nst r2, [r1]\nloop: b loop\n");
    sim_console_set_output(&m, NULL);
    sim_run(&m, 5000);
    static const uint8_t *pages[256];
    for (uint32_t p = 0; p < sim_ram_pages(&m); p++) {
        static const uint8_t zeros[MMU_PAGE_SIZE];
        const uint8_t *bytes = m.ram + ((size_t)p << MMU_PAGE_SHIFT);
        pages[p] = memcmp(bytes, zeros, MMU_PAGE_SIZE) ? bytes : NULL;
    }
    cr_assert_not_null(pages[0x9000 >> MMU_PAGE_SHIFT]);
    sim_snap_writer_t w;
    sim_snap_writer_init(&w, m.cpu[0].s.cycles);
    w.ram_apart = true;
    cr_assert_eq(hv_snapshot_fill(&m, "small", &w), 0);
    size_t len, full_len;
    uint8_t *f = finished(&w, &len);
    expect_load_refused(f, len, "RAM  0: 0 bytes, where this build's state needs 1048576");

    sim_snap_t s;
    sim_machine_t back;
    char err[400];
    cr_assert_eq(sim_snap_parse(&s, "x.snap", f, len, err, sizeof err), 0, "%s", err);
    s.ram_pages = pages;
    cr_assert_eq(hv_snapshot_load_parsed(&back, &s, NULL, err, sizeof err), 0, "%s", err);
    cr_expect_eq(memcmp(back.ram, m.ram, m.ram_size), 0, "RAM is the pages given");
    cr_expect_eq(back.cpu[0].s.cycles, m.cpu[0].s.cycles);
    hv_machine_release(&back);
    sim_snap_free(&s);

    uint8_t *full;
    small_snapshot(&full, &full_len);
    cr_assert_eq(sim_snap_parse(&s, "x.snap", full, full_len, err, sizeof err), 0, "%s", err);
    s.ram_pages = pages;
    cr_expect_eq(hv_snapshot_load_parsed(&back, &s, NULL, err, sizeof err), -1);
    cr_expect(strstr(err, "its RAM is not kept apart") != NULL, "%s", err);
    sim_snap_free(&s);
    free(full);
    free(f);
    sim_machine_free(&m);
}
