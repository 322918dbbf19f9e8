/*
 * mmu.h - the memory-management unit: the page-table format, the TLB, one- and two-dimensional
 * (nested) page walks, the page-walk cache and the walk trace that the debugger and the GUI show.
 *
 * The MMU is plain data (mmu_t), one per CPU, embedded in cpu_t so that it is copied and saved
 * with the CPU. It knows nothing of the CPU: the caller says whether an access is made in user
 * mode, and the MMU answers with a host-physical address, a page fault or a nested fault. The
 * machine (struct sim_machine) is passed in for its RAM and its cost table.
 *
 * docs/isa.md ("Paging") is the specification this header implements.
 */
#ifndef HVSIM_MMU_H
#define HVSIM_MMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_machine;

/* ------------------------------------------------------------------------------------------
 * Pages and page-table entries
 *
 * A page-table entry (PTE) is one 32-bit little-endian word:
 *
 *   31                                    12 11    9   8   7   6   5   4   3   2   1   0
 *  +----------------------------------------+-------+---+---+---+---+---+---+---+---+---+
 *  |   PFN: physical frame number           | zero  | S | G | D | A | U | X | W | R | V |
 *  +----------------------------------------+-------+---+---+---+---+---+---+---+---+---+
 *
 * In a table of the last level (level 0) the entry is a leaf: the PFN is the frame of the page
 * and R W X U G say what may be done with it; the walker sets A when it uses a leaf and D when
 * it uses it for a store. In every other level the entry points to the next table: only V and
 * the PFN matter there, unless S is set in a level-1 entry: then that entry is a leaf too, a
 * large page covering all that one level-1 entry covers (4 MiB with 2 levels, 512 KiB with 3,
 * 128 KiB with 4), and its PFN must be a multiple of the large page's frames. A leaf with W but
 * not R is malformed and faults like a missing page; so does a large leaf whose PFN is not
 * aligned, and S in a level above 1. S is ignored in level 0.
 * ------------------------------------------------------------------------------------------ */
#define MMU_PAGE_SHIFT 12
#define MMU_PAGE_SIZE 4096u
#define MMU_PAGE_OFFSET 0xfffu

#define MMU_PTE_V 0x001u /* valid: the entry is present */
#define MMU_PTE_R 0x002u /* leaf: the page may be read */
#define MMU_PTE_W 0x004u /* leaf: the page may be written (needs R as well) */
#define MMU_PTE_X 0x008u /* leaf: instructions may be fetched from the page */
#define MMU_PTE_U 0x010u /* leaf: a user page (U may touch it, K may not fetch from it) */
#define MMU_PTE_A 0x020u /* leaf: accessed, set by the walker */
#define MMU_PTE_D 0x040u /* leaf: dirty, set by the walker on a store */
#define MMU_PTE_G 0x080u /* leaf: global, its TLB entry survives ASID flushes */
#define MMU_PTE_S 0x100u /* level 1: a large-page leaf, not a pointer to a table */
#define MMU_PTE_PFN_SHIFT 12
#define MMU_PTE_PFN(pte) ((uint32_t)(pte) >> MMU_PTE_PFN_SHIFT) /* bits 31..12 */
#define MMU_PTE_MAKE(pfn, bits) (((uint32_t)(pfn) << MMU_PTE_PFN_SHIFT) | (bits))
#define MMU_PTE_RWX (MMU_PTE_R | MMU_PTE_W | MMU_PTE_X)

/* Levels of a table tree: 2 (the default, 10 + 10 index bits) up to 4. Level 0 holds leaves. */
#define MMU_MIN_LEVELS 2
#define MMU_MAX_LEVELS 4

/* The index into the table of `level` (0 = last) for address `va` in a tree of `levels`.
 * The 20-bit page number is split as evenly as possible, the top level taking what is left:
 * 2 levels: 10,10; 3 levels: 6,7,7; 4 levels: 5,5,5,5 (top level first). */
uint32_t mmu_table_index(unsigned levels, unsigned level, uint32_t va);
/* The number of index bits of `level` in a tree of `levels`. */
unsigned mmu_index_bits(unsigned levels, unsigned level);
/* log2 of the size of a large page (a level-1 leaf) in a tree of `levels`: 22 (4 MiB) for 2
 * levels, 19 (512 KiB) for 3, 17 (128 KiB) for 4. */
unsigned mmu_large_shift(unsigned levels);

/* ------------------------------------------------------------------------------------------
 * The ptroot CSR
 *
 *   31                                    12 11                              1   0
 *  +----------------------------------------+---------------------------------+---+
 *  |   root table frame number              |   ASID (address-space id)       | E |
 *  +----------------------------------------+---------------------------------+---+
 *
 * E = 1 turns paging on; ptroot = 0 is paging off. Writing ptroot does not flush the TLB: its
 * entries are tagged with the ASID (and the VM id), so switching address spaces is cheap.
 * ------------------------------------------------------------------------------------------ */
#define MMU_PTROOT_E 0x1u /* paging enabled */
#define MMU_PTROOT_ASID_SHIFT 1
#define MMU_PTROOT_ASID_MASK 0xffeu /* bits 11..1 */
#define MMU_ASID_MAX 2047u
#define MMU_PTROOT_ASID(v) (((uint32_t)(v)&MMU_PTROOT_ASID_MASK) >> MMU_PTROOT_ASID_SHIFT)
#define MMU_PTROOT_PFN(v) ((uint32_t)(v) >> MMU_PAGE_SHIFT) /* bits 31..12 */
#define MMU_PTROOT_MAKE(pfn, asid)                                                                 \
    (((uint32_t)(pfn) << MMU_PAGE_SHIFT) | ((uint32_t)(asid) << MMU_PTROOT_ASID_SHIFT) |           \
     MMU_PTROOT_E)

/* ------------------------------------------------------------------------------------------
 * Accesses, faults and the walk trace
 * ------------------------------------------------------------------------------------------ */
typedef enum { MMU_FETCH = 0, MMU_LOAD = 1, MMU_STORE = 2, MMU_ACCESS_KINDS } mmu_access_t;

/* Who makes an access: the U/K check applies to the CPU's own page tables only. */
typedef enum { MMU_PRIV_KERNEL = 0, MMU_PRIV_USER = 1, MMU_PRIV_NONE = 2 } mmu_priv_t;

/* What a trace reference, a fault or a flush is about. X(NAME, name, what it means) */
#define MMU_OUTCOMES(X)                                                                            \
    X(OK, "ok", "the entry allows the walk to go on")                                              \
    X(NOT_PRESENT, "not-present", "the entry's V bit is 0")                                        \
    X(PERMISSION, "permission", "the leaf does not allow this access (R, W or X missing)")         \
    X(PRIVILEGE, "privilege", "U touched a page without U, or K fetched from a U page")            \
    X(MALFORMED, "malformed", "the leaf has W without R")                                          \
    X(BAD_TABLE, "bad-table", "the table is outside RAM")                                          \
    X(AD_WRITE, "A/D write", "the walker wrote the A and D bits back into the leaf")               \
    X(PWC_HIT, "pwc hit", "the entry came from the page-walk cache, not from memory")              \
    X(NTLB_HIT, "ntlb hit", "the guest table's host address came from the nested TLB")

typedef enum {
#define MMU_X_OUTENUM(name, str, doc) MMU_OUTCOME_##name,
    MMU_OUTCOMES(MMU_X_OUTENUM)
#undef MMU_X_OUTENUM
        MMU_OUTCOME_COUNT
} mmu_outcome_t;

/* Which table tree a reference reads. */
typedef enum {
    MMU_SPACE_TABLE = 0, /* the CPU's page tables (the guest's, in a 2-D walk) */
    MMU_SPACE_NESTED,    /* the nested tables: guest-physical -> host-physical */
    MMU_SPACE_IO,        /* an IOMMU device context's I/O page tables */
} mmu_space_t;

/* A nested reference locates this: a guest table of this level, or the data page. */
#define MMU_FOR_DATA 0xffu

/* One step of a walk. Addresses are host-physical: what the walker really reads. */
typedef struct {
    uint8_t space;     /* mmu_space_t */
    uint8_t level;     /* the level of the table read (0 = the last) */
    uint8_t for_level; /* nested refs: the guest level whose table is located, or MMU_FOR_DATA */
    uint8_t outcome;   /* mmu_outcome_t */
    uint32_t table;    /* base of the table read */
    uint32_t addr;     /* address of the entry read (or written back, for AD_WRITE) */
    uint32_t value;    /* the entry read (or the value written) */
    uint32_t gpa;      /* nested refs: the guest-physical address being translated (a guest
                          entry's, or the data's); guest refs: the entry's own address */
    uint32_t cycles;   /* what this step cost */
} mmu_trace_ref_t;

/* Room for the longest walk: 24 reads of a cold 4x4 walk and the A/D write-back. */
#define MMU_TRACE_MAX 32

/* The record of one translation. refs counts reads of table entries in memory only: A/D
 * write-backs and page-walk-cache hits are listed but not counted as references. */
typedef struct {
    uint32_t va;           /* the address translated (a guest-virtual one in a 2-D walk) */
    uint8_t access;        /* mmu_access_t */
    uint8_t priv;          /* mmu_priv_t */
    uint8_t paging;        /* the first dimension was walked (ptroot E, or an IOMMU context) */
    uint8_t nested;        /* the nested dimension was walked */
    uint8_t levels;        /* levels of the first dimension */
    uint8_t nested_levels; /* levels of the nested dimension */
    uint8_t outcome;       /* mmu_outcome_t of the whole walk: OK or why it failed */
    uint8_t fault_space;   /* mmu_space_t of the failing reference (when outcome != OK) */
    uint8_t leaf_shift;    /* log2 of the page the (guest or only) leaf maps: 12, or large */
    uint8_t nested_shift;  /* 2-D: log2 of the page the nested leaf of the data maps */
    uint8_t entry_shift;   /* log2 of the page the TLB entry covers: the smaller of the two */
    uint8_t splintered;    /* 2-D: a guest large page backed by small nested pages */
    uint16_t n;            /* entries in ref[] (at most MMU_TRACE_MAX) */
    uint16_t refs;         /* memory references made */
    uint16_t ad_writes;    /* A/D write-backs */
    uint16_t pwc_hits;     /* page-walk-cache hits */
    uint16_t ntlb_hits;    /* nested-TLB hits (guest tables located without a nested walk) */
    uint32_t gpa;          /* the guest-physical result (2-D walks) */
    uint32_t pa;           /* the (host-)physical result */
    uint32_t cycles;       /* what the walk cost */
    mmu_trace_ref_t ref[MMU_TRACE_MAX];
} mmu_trace_t;

/* A fault in the nested dimension. It is not a guest page fault: the guest did nothing wrong,
 * its hypervisor has not mapped (or has protected) the guest-physical page. On real hardware
 * this is an EPT violation / nested page fault and becomes a VM exit. */
typedef struct {
    uint32_t gva;          /* the guest-virtual address the guest was translating */
    uint32_t gpa;          /* the guest-physical address whose nested translation failed: a
                              guest page-table entry's, or the data's */
    uint8_t access;        /* mmu_access_t of the guest's own access */
    uint8_t nested_access; /* mmu_access_t the nested walk checked: LOAD for a guest table
                              read, STORE for an A/D write-back, the guest's access for data */
    uint8_t for_level;     /* guest level of the table being located, or MMU_FOR_DATA */
    uint8_t level;         /* nested level at which the nested walk failed */
    uint8_t reason;        /* mmu_outcome_t: NOT_PRESENT, PERMISSION, MALFORMED, BAD_TABLE */
    uint8_t zero[3];       /* what would be padding: a snapshot saves the CPU's bytes, so every
                              byte has a value (an initializer's zeros, not the stack's) */
} mmu_nested_fault_t;

typedef enum { MMU_OK = 0, MMU_PAGE_FAULT, MMU_NESTED_FAULT } mmu_status_t;

/* The answer of a translation. */
typedef struct {
    mmu_status_t status;
    uint32_t pa;               /* MMU_OK: the host-physical address */
    uint32_t cycles;           /* cycles the translation cost (TLB hit, walk, A/D writes) */
    bool walked;               /* a page walk was made (a TLB miss) */
    uint8_t reason;            /* MMU_PAGE_FAULT: mmu_outcome_t */
    mmu_nested_fault_t nested; /* MMU_NESTED_FAULT: the report */
} mmu_result_t;

/* ------------------------------------------------------------------------------------------
 * Configuration, nested control, TLB, page-walk cache, statistics
 * ------------------------------------------------------------------------------------------ */
#define MMU_TLB_MAX 512    /* the most TLB entries a configuration may ask for */
#define MMU_PWC_ENTRIES 16 /* page-walk cache entries (fully associative, FIFO) */
#define MMU_NTLB_ENTRIES 8 /* nested-TLB entries (fully associative, FIFO) */

/* Set per machine (sim_machine_t.mmu_config) and copied into each CPU's MMU by mmu_init. */
typedef struct {
    uint16_t tlb_entries;  /* a power of two, 1..MMU_TLB_MAX */
    uint16_t tlb_ways;     /* a power of two dividing tlb_entries (= entries: fully assoc.) */
    uint8_t levels;        /* levels of the CPU's (guest) page tables, 2..4 */
    uint8_t nested_levels; /* default levels of nested tables, 2..4 */
    bool pwc;              /* the page-walk cache is on */
    bool ntlb;             /* the nested TLB is on */
} mmu_config_t;

#define MMU_CONFIG_DEFAULT                                                                         \
    {                                                                                              \
        .tlb_entries = 64, .tlb_ways = 4, .levels = 2, .nested_levels = 2, .pwc = false,           \
        .ntlb = false                                                                              \
    }

/* Checks a configuration. Returns NULL when it is usable, else what is wrong with it. */
const char *mmu_config_check(const mmu_config_t *cfg);

/* Two-dimensional translation, per CPU. Set by tests now, by VM entry later (from the VM
 * control block). While enabled every guest-physical address is translated through the
 * nested tables rooted at root_pfn (a host frame). */
typedef struct {
    bool enabled;
    uint8_t levels; /* 2..4 */
    uint16_t vmid;  /* the VM's id: TLB entries are tagged with it */
    uint32_t root_pfn;
    /* The walker sets A in the nested leaf of every guest-physical page it locates, and D in
     * the data page's on a store (EPT's accessed and dirty flags): what a hypervisor's page
     * replacement and dirty logging see. Off, nested tables are only read. */
    bool ad;
} mmu_nested_t;

/* A TLB entry caches one whole translation: (VM id, ASID, virtual page) -> host frame, with
 * the permissions of the guest leaf and of the nested leaf combined. A large entry (shift
 * non-zero) covers a whole large page: vpn and pfn are then its first page and frame, and it
 * sits in the set of vpn >> (shift - 12), so that large entries spread over the sets too. */
typedef struct {
    uint32_t vpn;  /* virtual page number (va >> 12) */
    uint32_t pfn;  /* host-physical frame */
    uint32_t tag;  /* MMU_TAG(vmid, nested, asid) */
    uint16_t perm; /* MMU_PTE_R W X U G, MMU_TLBE_* */
    uint8_t shift; /* 0: a 4 KiB page; else log2 of the large page's size (17, 19 or 22) */
    uint8_t pad;
} mmu_tlb_entry_t;

#define MMU_TLBE_VALID 0x100u   /* the entry is in use */
#define MMU_TLBE_DIRTY 0x200u   /* D is known to be set: a store may use the entry */
#define MMU_TLBE_ANYPRIV 0x400u /* no CPU page table: the U/K check does not apply */

/* The tag of a translation context:
 *   31  29  28   27                  12   11   10                 0
 *  +------+-----+----------------------+------+--------------------+
 *  | zero | OFF |  VM id               |  N   |  ASID              |
 *  +------+-----+----------------------+------+--------------------+
 * N is set for two-dimensional translations, so a VM's 1-D and 2-D entries never mix. OFF is
 * set while ptroot's E bit is clear: under nested translation the TLB caches a guest's
 * physical pages (gpa -> hpa) while its paging is off, and those entries must never serve a
 * virtual address once paging is on (nor the reverse), as bare hardware, which caches
 * nothing with paging off, would not. */
#define MMU_TAG_OFF 0x10000000u
#define MMU_TAG(vmid, nested, asid)                                                                \
    (((uint32_t)(vmid) << 12) | ((nested) ? 0x800u : 0u) | ((uint32_t)(asid)&0x7ffu))
#define MMU_TAG_ASID(tag) ((tag)&0x7ffu)
#define MMU_TAG_VMID(tag) (((tag) >> 12) & 0xffffu)

/* A set-associative TLB with FIFO replacement within each set (deterministic; the IOMMU's
 * IOTLB is one too). */
typedef struct {
    uint16_t entries, ways, sets;
    uint16_t large;              /* valid large entries (none: lookups skip the large size) */
    /* Per set, the way the next fill replaces when all are used (mmu_tlb_victim_slot): 0..511, a
     * fully associative TLB has 512 ways. A TLB has at most MMU_TLB_MAX / 2 sets of two ways or
     * more; the sets of a direct-mapped one, whose victim is always way 0, share the slots. */
    uint16_t victim[MMU_TLB_MAX / 2];
    mmu_tlb_entry_t e[MMU_TLB_MAX];
} mmu_tlb_t;

/* Invalidation kinds. X(NAME, name) */
#define MMU_FLUSHES(X)                                                                             \
    X(ALL, "all")   /* every entry */                                                              \
    X(VM, "vm")     /* every entry of one VM id */                                                 \
    X(ASID, "asid") /* the non-global entries of one (VM id, ASID) */                              \
    X(ADDR, "addr") /* one page of one (VM id, ASID), and a global entry for it */

typedef enum {
#define MMU_X_FLENUM(name, str) MMU_FLUSH_##name,
    MMU_FLUSHES(MMU_X_FLENUM)
#undef MMU_X_FLENUM
        MMU_FLUSH_COUNT
} mmu_flush_t;

/* The page-walk cache keeps upper-level (non-leaf) entries by the host-physical address they
 * were read from, so that walks sharing upper tables (above all the nested walks of a 2-D walk)
 * read them once. It is flushed with any TLB invalidation. */
typedef struct {
    uint32_t addr[MMU_PWC_ENTRIES];
    uint32_t value[MMU_PWC_ENTRIES];
    uint8_t used, next;
} mmu_pwc_t;

/* The nested TLB (AMD's name; Bhargava et al. measure it): it caches the host frame of a guest
 * page-table page, so a 2-D walk that reads a guest table it located recently skips that
 * table's whole nested walk. Entries are tagged with the nested root they were walked under;
 * the hypervisor's invalidations of a VM (or of everything) empty it, a guest's tlbinv and
 * tlbflush do not (the guest cannot change the nested map). */
typedef struct {
    uint32_t root[MMU_NTLB_ENTRIES]; /* nested root frame the entry was found under */
    uint32_t gpn[MMU_NTLB_ENTRIES];  /* guest-physical page of a guest table */
    uint32_t hpn[MMU_NTLB_ENTRIES];  /* its host frame */
    uint8_t bits[MMU_NTLB_ENTRIES];  /* R W X of the nested leaf (W: A/D may be written) */
    uint8_t used, next;
} mmu_ntlb_t;

typedef struct {
    uint64_t hits;                     /* translations served by the TLB */
    uint64_t misses;                   /* translations that needed a walk */
    uint64_t fills;                    /* entries written into the TLB */
    uint64_t flushes[MMU_FLUSH_COUNT]; /* invalidations, by kind */
    uint64_t flushed;                  /* entries removed by them */
    uint64_t walks, walk_refs, ad_writes, pwc_hits;
    uint64_t walk_cycles; /* cycles spent walking (references, A/D, pwc hits) */
    uint64_t page_faults, nested_faults;
    uint64_t ntlb_hits;   /* guest tables located by the nested TLB */
    uint64_t large_fills; /* TLB fills of large entries */
    uint64_t splinters;   /* walks that found a guest large page over small nested pages */
} mmu_stats_t;

/* The hot loop's translation cache, in front of the TLB: per access kind, a direct-mapped table
 * by page number of translations the TLB holds whose frame lies wholly in RAM (a device's
 * frame is never cached: its accesses take the slow path), and for stores only to frames no
 * block was decoded from (blocks.code: a store there takes the slow path, which drops them).
 * An entry's tag is the page's virtual address, with MMU_FAST_USER for a user access's
 * translation (MMU_FAST_EMPTY: none), and its delta the frame's address minus the page's, so
 * an access's physical address is va + delta. Comparing the tag with
 * va & ~(MMU_PAGE_OFFSET & ~(size - 1)) checks the access's alignment in the same compare: a
 * misaligned va keeps a low bit the tag has not, misses, and faults on the slow path. It is
 * host-side bookkeeping, not part of the model: an entry mirrors one TLB entry of the current
 * context and goes when that entry is replaced or removed, or the context changes, so it hits
 * exactly where the TLB would, and a hit is counted and charged as one. */
#define MMU_FAST_SETS 64
#define MMU_FAST_USER 0x800u       /* a bit no access's masked address has (bits 2..11 are 0) */
#define MMU_FAST_EMPTY 0xffffffffu /* bits 2..11 set: matches no access of either privilege */

typedef struct {
    uint32_t tag;   /* the page's virtual address | MMU_FAST_USER for U, or MMU_FAST_EMPTY */
    uint32_t delta; /* the frame's host-physical address minus the page's virtual address */
} mmu_fast_t;

typedef struct {
    mmu_config_t cfg;
    uint32_t ptroot;     /* the ptroot CSR */
    mmu_nested_t nested; /* two-dimensional translation control */
    uint32_t tag;        /* the current context's tag, from ptroot and nested */
    bool record_trace;   /* keep the references of the last walk in `trace` (a window, a test) */
    mmu_tlb_t tlb;
    mmu_pwc_t pwc;
    mmu_ntlb_t ntlb;
    uint8_t large_shift; /* the large TLB entries the current context may hold, 0: none */
    uint8_t quick;       /* the quick walk a miss may take in this context (mmu_walk.c's
                            QUICK_*: none, or a shape of trees), from cfg and nested */
    mmu_fast_t fast[MMU_ACCESS_KINDS][MMU_FAST_SETS];
    mmu_stats_t stats;
    mmu_nested_fault_t last_nested_fault;
    mmu_trace_t trace; /* the last walk (its counts are always kept, its refs when recording) */
} mmu_t;

/* ------------------------------------------------------------------------------------------
 * Operations
 * ------------------------------------------------------------------------------------------ */

/* Resets an MMU to the configuration: paging off, nested off, empty TLB and page-walk cache,
 * zero statistics, trace recording off (whoever shows walks step by step turns it on). The
 * configuration must pass mmu_config_check. */
void mmu_init(mmu_t *mmu, const mmu_config_t *cfg);

/* The csrw ptroot instruction. Takes effect for the next access; the TLB is not flushed. */
void mmu_set_ptroot(mmu_t *mmu, uint32_t ptroot);

/* Sets the nested control. Returns false (and changes nothing) when enabled with levels
 * outside 2..4. The TLB is not flushed: entries are tagged with the VM id. */
bool mmu_set_nested(mmu_t *mmu, const mmu_nested_t *ctl);

/* Both at once, as a VM entry or exit switches them: the nested control and ptroot, the
 * context worked out once (the hot loop's translation cache emptied once, not twice). Returns
 * false (and changes nothing) as mmu_set_nested does. */
bool mmu_set_context(mmu_t *mmu, const mmu_nested_t *ctl, uint32_t ptroot);

/* Checks an MMU's state as a snapshot brought it, before it is used: nested levels in range,
 * the context's tag and large size as its registers derive them, every TLB entry of a known
 * size and the count of large entries right. NULL, or what is wrong. */
const char *mmu_state_check(const mmu_t *mmu);

/* Empties the hot loop's translation cache, which is host-side bookkeeping and not machine
 * state: a snapshot neither saves nor trusts it. */
void mmu_forget_host_cache(mmu_t *mmu);

/* True when accesses must be translated: paging is on or nested translation is. */
static inline bool mmu_active(const mmu_t *mmu)
{
    return (mmu->ptroot & MMU_PTROOT_E) || mmu->nested.enabled;
}

/*
 * Translates `va` for an access of `kind` made with privilege `priv` (KERNEL or USER). Looks in
 * the TLB first; on a miss walks the tables (1-D, or 2-D when nested is enabled), sets A/D
 * bits in memory, fills the TLB and records the walk in mmu->trace. Returns the host-physical
 * address or the fault; res.cycles says what to charge. Counters are updated. With the MMU
 * inactive the address is returned unchanged at no cost.
 */
mmu_result_t mmu_translate(mmu_t *mmu, struct sim_machine *m, uint32_t va, mmu_access_t kind,
                           mmu_priv_t priv);

/*
 * The debugger's translation: walks the tables as mmu_translate would on a miss, but changes
 * nothing: no A/D write-backs, no TLB or page-walk-cache use, no counters. The references are
 * written to *trace (which may be NULL).
 */
mmu_result_t mmu_translate_probe(const mmu_t *mmu, const struct sim_machine *m, uint32_t va,
                                 mmu_access_t kind, mmu_priv_t priv, mmu_trace_t *trace);

/*
 * Walks one table tree rooted at host frame root_pfn, with no nested dimension, no TLB and no
 * A/D write-backs, checking `kind` with no U/K rule: the IOMMU's walker. Returns MMU_OK with
 * the leaf entry in *leaf and the physical address in trace->pa, or MMU_PAGE_FAULT with
 * *reason (an mmu_outcome_t). The references go into *trace (with space MMU_SPACE_IO), whose
 * `cycles` says what the walk cost.
 */
mmu_status_t mmu_walk_io(struct sim_machine *m, uint32_t root_pfn, unsigned levels, uint32_t va,
                         mmu_access_t kind, mmu_trace_t *trace, uint32_t *leaf, uint8_t *reason);

/* The walker's rule for a leaf: MMU_OUTCOME_OK when `pte` allows an access of `kind` with
 * `priv`, else why not (NOT_PRESENT, MALFORMED, PRIVILEGE, PERMISSION). A hypervisor that
 * walks a guest's tables in software (shadow paging) decides with the same rule. */
unsigned mmu_leaf_check(uint32_t pte, mmu_access_t kind, mmu_priv_t priv);
/* The walker's rule for any entry read at `level` of a tree of `levels`: a pointer needs V, a
 * leaf the leaf rule, and a large leaf (S) must be at level 1 with a PFN aligned to its size
 * (else MALFORMED). mmu_is_leaf: whether the walk ends at that entry (level 0, or S at 1).
 * Shadow paging walks a guest's tables in software with the same rules. */
unsigned mmu_entry_check(uint32_t pte, unsigned level, unsigned levels, mmu_access_t kind,
                         mmu_priv_t priv);
bool mmu_is_leaf(uint32_t pte, unsigned level);

/* Invalidates TLB entries (and the whole page-walk cache) of one kind: ALL ignores vmid, asid
 * and va; VM uses vmid; ASID uses vmid and asid; ADDR uses all three (and removes a large entry
 * that covers va). Counted by kind. ALL and VM empty the nested TLB too: the hypervisor makes
 * them when it changes a VM's nested map. */
void mmu_invalidate(mmu_t *mmu, mmu_flush_t kind, uint16_t vmid, uint16_t asid, uint32_t va);
/* The tlbinv instruction: the current context's entry for va (and a global one). */
void mmu_tlbinv(mmu_t *mmu, uint32_t va);
/* The tlbflush instruction: every non-global entry of the current context. */
void mmu_tlbflush(mmu_t *mmu);

/* The TLB entry that translates va in the current context, or NULL. Changes nothing. */
const mmu_tlb_entry_t *mmu_tlb_find(const mmu_t *mmu, uint32_t va);

/* The generic TLB, shared with the IOMMU's IOTLB. */
void mmu_tlb_init(mmu_tlb_t *tlb, unsigned entries, unsigned ways);
/* A TLB as a snapshot brought it: its shape, every set's victim way, every valid entry of a size
 * some tree can make, and `large` counting the large ones (lookups rely on all of them). */
bool mmu_tlb_sane(const mmu_tlb_t *tlb);
mmu_tlb_entry_t *mmu_tlb_lookup(mmu_tlb_t *tlb, uint32_t tag, uint32_t vpn);
/* The large entry of size 1 << shift (17..22) that covers page vpn, or NULL. */
mmu_tlb_entry_t *mmu_tlb_lookup_large(mmu_tlb_t *tlb, uint32_t tag, uint32_t vpn, unsigned shift);
/* Writes an entry, replacing one with the same tag, page and size, else an unused way, else
 * the set's FIFO victim. Returns the slot written; *old (unless NULL) gets what it held
 * (perm 0: nothing). */
unsigned mmu_tlb_fill(mmu_tlb_t *tlb, const mmu_tlb_entry_t *entry, mmu_tlb_entry_t *old);
/* mmu_tlb_fill into an MMU's TLB, keeping the hot loop's translation cache coherent with it:
 * the way the walker fills, and the one way for anything else to. */
void mmu_tlb_insert(mmu_t *mmu, const mmu_tlb_entry_t *entry);
/* Removes the entries for which match(entry, ctx) is true; returns how many. */
unsigned mmu_tlb_remove(mmu_tlb_t *tlb, bool (*match)(const mmu_tlb_entry_t *e, const void *ctx),
                        const void *ctx);

/* The hot loop's first look: the physical address of an aligned access of `size` bytes (1, 2
 * or 4) at va, in RAM, that the TLB holds for this kind and privilege, or false (not cached,
 * misaligned, or a device's frame). A true answer is a TLB hit: the caller adds it to
 * stats.hits (the CPU counts them in a local and adds them when it saves its state) and
 * charges tlb_hit. */
static inline bool mmu_fast_access(const mmu_t *mmu, mmu_access_t kind, uint32_t va,
                                   unsigned size, bool user, uint32_t *pa)
{
    const mmu_fast_t *f = &mmu->fast[kind][(va >> MMU_PAGE_SHIFT) & (MMU_FAST_SETS - 1)];
    if (f->tag != ((va & ~(MMU_PAGE_OFFSET & ~(size - 1u))) | (user ? MMU_FAST_USER : 0)))
        return false;
    *pa = va + f->delta;
    return true;
}

/* Forgets every store translation to the physical page `frame`: blocks were just decoded from
 * it, and a store there must take the slow path, which drops them (the cache mirrors no store
 * to such a page; see mmu_fast_access). */
void mmu_fast_forget_stores(mmu_t *mmu, uint32_t frame);
/* Forgets every store translation: each page's next store takes the slow path (which marks
 * the page written: sim_ram_clear_written). */
void mmu_fast_forget_all_stores(mmu_t *mmu);

/* The same look for the page of va, whatever its alignment (a fetch checks pc's itself). */
static inline bool mmu_fast_lookup(const mmu_t *mmu, mmu_access_t kind, uint32_t va, bool user,
                                   uint32_t *pa)
{
    return mmu_fast_access(mmu, kind, va, 1, user, pa);
}

/* Names, for traces and messages. */
const char *mmu_outcome_name(unsigned outcome);
const char *mmu_access_name(unsigned kind); /* "fetch", "load", "store" */
const char *mmu_flush_name(unsigned kind);
/* The size of a page of 1 << shift bytes for people: "4 KiB", "512 KiB", "4 MiB". */
void mmu_page_size_name(unsigned shift, char *buf, size_t len);
/* "V R W X U A D G S" style: the set bits of a PTE, e.g. "V R W A". */
void mmu_pte_flags(uint32_t pte, char *buf, size_t len);
/* One line for a trace reference (no newline), e.g. "nested L1  table hpa 0x00010000  read
 * hpa 0x00010000 = 0x00011001  ok  12 cycles  for gpa 0x00002004 (guest L1 table)". */
void mmu_trace_format_ref(const mmu_trace_t *t, const mmu_trace_ref_t *r, char *buf, size_t len);

/* ------------------------------------------------------------------------------------------
 * Building page tables (mmu_build.c): what kernels do in software, for tests, the walk demo
 * and the hypervisor's nested tables.
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    struct sim_machine *m;
    uint32_t host_base;  /* host-physical address of this space's physical address 0 */
    uint32_t next_frame; /* the next free frame (in this space) for a new table */
    uint32_t end_frame;  /* the first frame past the pool */
    uint8_t levels;
    uint32_t root_pfn; /* root table frame (in this space) */
} mmu_builder_t;

/* Prepares a builder whose tables live in frames [first_frame, end_frame) of a space that
 * starts at host_base in host memory, and allocates the zeroed root table. Returns false
 * when the levels are outside 2..4 or the pool is not in RAM. */
bool mmu_build_init(mmu_builder_t *b, struct sim_machine *m, unsigned levels, uint32_t host_base,
                    uint32_t first_frame, uint32_t end_frame);
/* Maps page va -> frame pa >> 12 with the leaf bits `bits` (V is added), allocating tables
 * from the pool as needed. Returns false when the pool is exhausted. */
bool mmu_build_map(mmu_builder_t *b, uint32_t va, uint32_t pa, uint32_t bits);
/* Maps [va, va + len) to [pa, pa + len) page by page. */
bool mmu_build_map_range(mmu_builder_t *b, uint32_t va, uint32_t pa, uint32_t len, uint32_t bits);
/* Maps the large page at va to pa (both aligned to mmu_large_shift(levels)) with a level-1
 * leaf (S and V are added). Returns false when an address is not aligned, the pool is
 * exhausted, or a table of small pages already covers va. */
bool mmu_build_map_large(mmu_builder_t *b, uint32_t va, uint32_t pa, uint32_t bits);
/* Maps [va, va + len) to [pa, pa + len) large page by large page. */
bool mmu_build_map_range_large(mmu_builder_t *b, uint32_t va, uint32_t pa, uint32_t len,
                               uint32_t bits);
/* The host-physical address of the leaf entry for va (a large page's level-1 leaf too), or 0
 * when a table on the way is missing. */
uint32_t mmu_build_leaf_addr(const mmu_builder_t *b, uint32_t va);

/* ------------------------------------------------------------------------------------------
 * The walk demonstration (mmu_demo.c) behind `hvsim walkdemo`
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    unsigned levels;        /* guest levels, 2..4 */
    unsigned nested_levels; /* nested levels, 2..4 */
    bool nested;            /* false: a 1-D (native) walk */
    bool pwc;               /* the page-walk cache on */
    bool guest_large;       /* the guest maps va with a large page (at gpa 0) */
    bool nested_large;      /* the nested tables map guest RAM with large pages */
    uint32_t va;            /* the address translated (a load in K) */
} mmu_demo_params_t;

#define MMU_DEMO_VA 0x00401a2cu        /* the default address translated */
#define MMU_DEMO_GUEST_HPA 0x00100000u /* where guest-physical 0 sits in host memory */
/* ... and with nested large pages, which need a host address aligned to 4 MiB */
#define MMU_DEMO_GUEST_HPA_LARGE 0x00400000u

typedef struct {
    mmu_result_t result;
    mmu_trace_t trace;
    mmu_stats_t stats;
} mmu_demo_result_t;

/* Builds the tables in a scratch machine (guest tables in guest-physical memory that the
 * nested tables map to host memory at MMU_DEMO_GUEST_HPA), makes one cold translation through
 * mmu_translate and returns its trace. Returns NULL on success or a message. */
const char *mmu_demo_run(const mmu_demo_params_t *p, mmu_demo_result_t *out);

#endif
