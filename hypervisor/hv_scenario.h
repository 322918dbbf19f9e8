/*
 * hv_scenario.h - scenarios: what machine to build and what to run on it, from an INI file
 * (libinih) or a built-in one. The format, key by key, is in docs/hypervisor.md ("Scenario
 * files"); the built-in ones are in hv_scenario_builtin.c.
 *
 *   [machine]     pcpus, ram, quantum, tlb_entries, tlb_ways, levels, nested_levels, pwc,
 *                 max_cycles, costs (a cost profile: sandybridge-2011, core2-2007, p4-2006)
 *   [costs]       any entry of the cost table (docs/cycle-model.md) = cycles
 *   [hypervisor]  type = 1 | 2 | none (none: the one VM runs on the bare machine),
 *                 scheduler = pin | overcommit, slice, tlb_tags = on | off,
 *                 host_process = on | off, host_share, boost = on | off, host_memory,
 *                 swap, replacement = clock | random
 *   [vm NAME]     image (a disk image booted by the ROM) or kernel (a .s or flat .bin
 *                 program), base, rom, vcpus, memory, cpu = emu | trap | bt | hw,
 *                 mem = shadow | nested (hv_technique_refusal says which pairs run), pin (a
 *                 pCPU per VCPU, comma-separated), share, cap (percent), input or input_file,
 *                 resident_max, reservation, balloon, balloon_at (a cycle and a size;
 *                 repeatable), host (0 or 1), migrate_at (a cycle), migrate_to (a host),
 *                 compare (its column in the comparison table)
 *   [host.N]      pcpus (the pCPUs of host N, comma-separated; N is 0 or 1)
 *   [link]        bandwidth (bytes per 1 000 cycles), latency (cycles), max_rounds, stop_pages
 */
#ifndef HVSIM_HV_SCENARIO_H
#define HVSIM_HV_SCENARIO_H

#include "hv.h"

#define HV_SCENARIO_PATH_MAX 512

/* A change of a VM's balloon target (hv_balloon_plan): at cycle `at`, `bytes`. */
typedef struct {
    uint64_t at;
    uint32_t bytes;
    int line; /* where it was given, for messages */
} hv_scenario_balloon_at_t;

typedef struct {
    char name[HV_NAME_MAX + 1];
    char image[HV_SCENARIO_PATH_MAX];  /* resolved paths; "" = none */
    char kernel[HV_SCENARIO_PATH_MAX];
    char rom[HV_SCENARIO_PATH_MAX];
    uint32_t base;                     /* where a .bin kernel is loaded */
    unsigned vcpus;
    uint32_t memory;
    int cpu, mem;                      /* hv_cpu_technique_t, hv_mem_technique_t */
    int pin[HV_MAX_VCPUS];
    unsigned share, cap;
    char *input;                       /* console input (owned), or NULL */
    char transcript[HV_SCENARIO_PATH_MAX]; /* the whole console goes to this file; "" = none */
    uint32_t shadow_budget;                /* 0: HV_DEFAULT_SHADOW_BUDGET */
    uint32_t net_bw;                       /* bytes per 1 000 cycles its card sends; 0: no limit */
    uint32_t disk_bw;                      /* bytes per 1 000 cycles its disk moves; 0: no limit */
    bool marks_off;                        /* marks = off: the guest's mark ring is never read */
    int backing;                           /* hv_backing_t (0: lazy) */
    uint32_t resident_max;                 /* 0: no limit (its memory) */
    unsigned host;                         /* the host it starts on (hv_migrate.c) */
    uint64_t migrate_at;                   /* live migration starts at this cycle (0: never) */
    unsigned migrate_to;                   /* ... to this host (not given: the other one) */
    bool migrate_to_given;
    int host_line, migrate_line;
    bool assign_nic;                       /* assign = nic0 (passthrough) */
    bool nic_pv;                           /* nic = pv: the paravirtual card (hv_pvnet.c) */
    bool entropy;                          /* entropy = on: the entropy source (hv_entropy.c) */
    uint64_t entropy_seed;                 /* entropy_seed = N (0: not given) */
    uint32_t balloon;                      /* bytes its balloon driver should hold (0: none) */
    char compare[HV_NAME_MAX + 1];         /* its column in the comparison table ("": none) */
    uint32_t reservation;                  /* bytes never reclaimed from it (0: none) */
    uint32_t guest_swap;                   /* bytes of swap area past its disk image (0: none) */
    hv_scenario_balloon_at_t balloon_at[HV_BALLOON_MOVES]; /* balloon_at = CYCLE SIZE */
    unsigned nballoon_at;
    int line, image_line, kernel_line, rom_line, input_line, cpu_line, mem_line; /* messages */
} hv_scenario_vm_t;

typedef struct {
    char name[HV_SCENARIO_PATH_MAX];   /* the file, or the built-in's name */
    unsigned pcpus;
    uint32_t ram;
    uint64_t quantum, max_cycles;
    mmu_config_t mmu;
    int costs; /* the cost profile (sim.h); 0: the default */
    bool cost_set[SIM_COST_COUNT];
    uint32_t cost[SIM_COST_COUNT];
    bool native;                       /* type = none */
    hv_config_t hv;
    hv_scenario_vm_t vm[HV_MAX_VMS];
    unsigned nvms;
    int host_line[HV_MAX_HOSTS]; /* where [host.N] is (0: not given) */
    bool link_given;
} hv_scenario_t;

/*
 * Parses scenario text. `name` is used in messages ("NAME:LINE: error: ..."); relative paths
 * are looked for in `dir` (the scenario file's directory), then in `guest_dir` (where the
 * built guests are). Every problem is written to diag. Returns 0, or -1 (sc must then only be
 * freed).
 */
int hv_scenario_parse(hv_scenario_t *sc, const char *name, const char *text, const char *dir,
                      const char *guest_dir, FILE *diag);
/* A built-in scenario by name, or else a file. */
int hv_scenario_load(hv_scenario_t *sc, const char *name_or_path, const char *guest_dir, FILE *diag);
void hv_scenario_free(hv_scenario_t *sc);

/* Writes the scenario as an INI file that loads back to the same machine (hv_scenario_show.c):
 * every key with its value, defaults included; paths inside guest_dir relative to it. */
void hv_scenario_write(const hv_scenario_t *sc, const char *guest_dir, FILE *out);
/* A size as a scenario file gives it ("32M", "64K", "1000"): false when it is not one. */
bool hv_scenario_parse_size(const char *text, uint64_t *out);
/* "32M", "64K" or "1000": a size as a scenario file writes it, exactly. */
const char *hv_scenario_size_text(uint64_t v, char *buf, size_t len);

/* Builds the machine (m) and the hypervisor with every VM; VM console lines go to `console`
 * ("[name] line"). Returns NULL after messages on diag (m is then freed). Not for native. */
hv_t *hv_scenario_start(const hv_scenario_t *sc, sim_machine_t *m, FILE *console, FILE *diag);
/* Builds a bare machine that runs VM `vm` natively: one CPU, the VM's memory as RAM, its ROM
 * at 0x1000 and its disk attached (or its program loaded), its console input. The console
 * goes to `console` (NULL: captured only). Returns -1 after messages on diag. */
int hv_scenario_start_native(const hv_scenario_t *sc, unsigned vm, sim_machine_t *m,
                             FILE *console, FILE *diag);

/* The built-in scenarios (hv_scenario_builtin.c): name, one-line summary, INI text. */
size_t hv_builtin_count(void);
const char *hv_builtin_name(size_t i);
const char *hv_builtin_summary(size_t i);
const char *hv_builtin_text(const char *name); /* NULL when there is none */

#endif
