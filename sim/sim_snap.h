/*
 * sim_snap.h - part of the sim module's public face (sim.h includes it): snapshots of the whole
 * machine (docs/snapshot.md is the specification).
 *
 * A snapshot file is a fixed header, a text block saying what made it (hvsim's version, the
 * scenario, the machine's shape, the cycle), and a zstd-compressed payload of sections. Each
 * section is one piece of state (a CPU, RAM, the IOMMU, the hypervisor, a VM's disk ...) with
 * its own xxhash checksum. The container (sim_snap.c) knows nothing of what the sections hold;
 * each module saves and loads its own state next to its structs (sim_snap_machine.c for the
 * machine, hypervisor/hv_snap.c for the hypervisor).
 *
 * Reading checks every rule before anything is used, and a load goes into a fresh machine that
 * replaces the running one only when the whole snapshot was taken: nothing is ever half loaded.
 */
#ifndef HVSIM_SIM_SNAP_H
#define HVSIM_SIM_SNAP_H

#include "sim.h"

#define SIM_SNAP_MAGIC "HVSNAP\r\n" /* 8 bytes; \r\n catches a text-mode copy */
#define SIM_SNAP_VERSION 1u
#define SIM_SNAP_HEADER 64u             /* bytes of the fixed header */
#define SIM_SNAP_SECTION_HEADER 24u     /* tag[4], index u32, length u64, xxh64 u64 */
#define SIM_SNAP_INFO_MAX 4096u         /* bytes of the text block at most */
#define SIM_SNAP_MAX_BYTES (1ull << 33) /* the largest payload (uncompressed) read back */

/* Builds a snapshot in memory: sections in the order they are put, then the info lines. */
typedef struct {
    uint8_t *buf; /* the uncompressed payload */
    size_t len, cap;
    bool oom; /* a section could not be kept: sim_snap_write fails */
    char info[SIM_SNAP_INFO_MAX];
    size_t info_len;
    uint64_t cycle;
    /* The RAM section is left empty: the caller keeps RAM apart (a debugger's checkpoint keeps
     * its pages, sharing those that did not change: ui/debug/debug_reverse.c). Never a file. */
    bool ram_apart;
} sim_snap_writer_t;

void sim_snap_writer_init(sim_snap_writer_t *w, uint64_t cycle);
/* Empties a writer for the next snapshot but keeps its buffer: a run of checkpoints then
 * copies the machine into memory it already has, instead of into fresh pages each time. */
void sim_snap_writer_restart(sim_snap_writer_t *w, uint64_t cycle);
void sim_snap_writer_free(sim_snap_writer_t *w);
/* Adds a line "key = value" to the text block (what made the snapshot). */
void sim_snap_info(sim_snap_writer_t *w, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds a section: `tag` is 4 characters ("CPU ", "RAM "), `index` tells apart several of one
 * kind (CPU 0, CPU 1). */
void sim_snap_put(sim_snap_writer_t *w, const char *tag, uint32_t index, const void *data,
                  size_t len);
/* The finished file in memory (malloc'd): header, text, compressed payload. -1 when memory
 * cannot be had. */
int sim_snap_finish(sim_snap_writer_t *w, uint8_t **out, size_t *out_len);
/* Writes the finished file crash-safely (sim_write_file_atomic: a temporary file, fsync,
 * rename), so that a save killed midway leaves any previous file at `path` as it was. -1 after
 * "PATH: error: ..." on diag. */
int sim_snap_write(sim_snap_writer_t *w, const char *path, FILE *diag);

/* One section of a snapshot read back. */
typedef struct {
    char tag[5];
    uint32_t index;
    uint64_t offset; /* of its header in the uncompressed payload */
    const uint8_t *data;
    uint64_t len;
} sim_snap_section_t;

typedef struct {
    char name[512]; /* the file, for messages */
    char *info;     /* the text block, NUL-terminated */
    uint64_t cycle; /* the cycle it was taken at (CPU 0's) */
    uint8_t *payload;
    size_t payload_len;
    uint64_t payload_at; /* file offset of the compressed payload */
    sim_snap_section_t *sec;
    size_t nsec;
    /* Set by whoever loads a snapshot written with ram_apart: RAM's pages (a NULL one is all
     * zeros), which the RAM section, empty, then stands for. NULL for a file. */
    const uint8_t *const *ram_pages;
} sim_snap_t;

/*
 * Reads a snapshot file and checks every rule of its container (docs/snapshot.md, "Rules"):
 * magic, version, lengths, both checksums, the payload's decompression, every section's
 * header and checksum. Returns 0, or -1 with "FILE: offset N: the rule broken" in err (s is
 * then empty, nothing to free).
 */
int sim_snap_read(sim_snap_t *s, const char *path, char *err, size_t errlen);
int sim_snap_parse(sim_snap_t *s, const char *name, const uint8_t *bytes, size_t len, char *err,
                   size_t errlen);
void sim_snap_free(sim_snap_t *s);
/* The section with this tag and index, or NULL. */
const sim_snap_section_t *sim_snap_find(const sim_snap_t *s, const char *tag, uint32_t index);
/* The value of an info line, or NULL (buf untouched) when there is none. */
const char *sim_snap_info_get(const sim_snap_t *s, const char *key, char *buf, size_t len);
/* Writes "FILE: offset N: ..." into err for section `sec`'s contents (its payload offset).
 * Returns -1, for loaders to return. */
int sim_snap_fail(const sim_snap_t *s, const sim_snap_section_t *sec, char *err, size_t errlen,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Finds a section that must be there with exactly `len` bytes (a struct of this build);
 * NULL after sim_snap_fail otherwise. len 0: any length. */
const sim_snap_section_t *sim_snap_need(const sim_snap_t *s, const char *tag, uint32_t index,
                                        size_t len, char *err, size_t errlen);

/* A loaded bool must hold 0 or 1 (anything else read as a bool is undefined behaviour): the
 * byte is checked as a byte, before the field is ever read as a bool. */
#define SIM_SNAP_BOOL_OK(field) (*(const uint8_t *)(const void *)&(field) <= 1)

/* ---- The machine's state (sim_snap_machine.c) ---------------------------------------------
 * Saves every CPU (registers, MMU, TLB, page-walk cache), RAM, the devices (console, power,
 * disk with its in-flight command and contents, IOMMU with IOTLB and fault log), the timed
 * events and the clock's round, the accounting. A machine is saved between runs (never from
 * inside sim_run). */
void sim_machine_save(const sim_machine_t *m, sim_snap_writer_t *w);
/* Builds a fresh machine of the snapshot's shape (RAM, CPUs, the built-in devices): the
 * machine that sim_machine_load then fills. -1 with a message in err. */
int sim_machine_fresh(sim_machine_t *m, const sim_snap_t *s, char *err, size_t errlen);
/* Loads the machine's state into m, a fresh machine with the same devices on its bus (a
 * hypervisor, if the snapshot had one, already installed). Pointers (RAM, device callbacks,
 * the console's FILE, event sinks) stay m's own. -1 with a message in err: m is then only to
 * be freed. */
int sim_machine_load(sim_machine_t *m, const sim_snap_t *s, char *err, size_t errlen);
/* Moves a machine to another place in memory (a fresh one swapped in for the running one):
 * *dst = *src with every pointer into the machine itself rebuilt. src is left empty. */
void sim_machine_move(sim_machine_t *dst, sim_machine_t *src);

#endif
