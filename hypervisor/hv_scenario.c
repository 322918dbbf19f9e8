/*
 * hv_scenario.c - reading a scenario (INI, through libinih) and building what it describes:
 * the machine, the hypervisor and its VMs, or one VM alone on the bare machine.
 *
 * Input is checked key by key; every error names the file, the line and the key, says what
 * is wrong and what would be right, and the whole file is read so that all errors show at
 * once (design principle 7). Errors are kept until the end and printed in line order, since
 * some can only be found once the whole file is read (a VM with neither image nor kernel).
 */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv_internal.h"
#include "hv_scenario.h"

/* ------------------------------------------------------------------------------------------
 * Parsing state
 * ------------------------------------------------------------------------------------------ */
typedef enum {
    SEC_NONE,
    SEC_MACHINE,
    SEC_COSTS,
    SEC_HYPERVISOR,
    SEC_VM,
    SEC_HOST,
    SEC_LINK,
    SEC_BAD
} section_t;

typedef struct {
    int line; /* 0: the whole file */
    char *text;
} message_t;

typedef struct {
    hv_scenario_t *sc;
    const char *text, *dir, *guest_dir;
    size_t pos, len;
    int line;
    int machine_line; /* where [machine] is, for what is wrong with it as a whole */
    section_t section;
    hv_scenario_vm_t *vm; /* the [vm NAME] being read */
    unsigned host;        /* the [host.N] being read */
    int cpu_host_line[SIM_MAX_CPUS]; /* where each pCPU was given a host (0: not yet) */
    int host_ram_line[HV_MAX_HOSTS]; /* where each host's ram is given (0: not given) */
    FILE *diag;
    message_t *msgs;
    size_t errors, cap;
} parser_t;

static void error_at(parser_t *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void error_at(parser_t *p, int line, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (p->errors == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 16;
        message_t *m = realloc(p->msgs, cap * sizeof *m);
        if (!m) { /* out of memory: say it now rather than lose it */
            fprintf(p->diag, "%s:%d: error: ", p->sc->name, line);
            sim_fputs_printable(p->diag, text);
            fputc('\n', p->diag);
            return;
        }
        p->msgs = m;
        p->cap = cap;
    }
    p->msgs[p->errors++] = (message_t){.line = line, .text = strdup(text)};
}

/* Where a message goes in line order: a message about the whole file comes last. */
static unsigned order(const message_t *m)
{
    return m->line > 0 ? (unsigned)m->line : ~0u;
}

static void print_errors(parser_t *p)
{
    /* An insertion sort: stable (messages of one line stay in the order found), and there are
     * few messages. */
    for (size_t i = 1; i < p->errors; i++) {
        message_t t = p->msgs[i];
        size_t j = i;
        for (; j > 0 && order(&p->msgs[j - 1]) > order(&t); j--)
            p->msgs[j] = p->msgs[j - 1];
        p->msgs[j] = t;
    }
    for (size_t i = 0; i < p->errors; i++) {
        const char *text = p->msgs[i].text ? p->msgs[i].text : "(out of memory for the message)";
        if (p->msgs[i].line > 0)
            fprintf(p->diag, "%s:%d: error: ", p->sc->name, p->msgs[i].line);
        else
            fprintf(p->diag, "%s: error: ", p->sc->name);
        sim_fputs_printable(p->diag, text); /* it may quote a binary file's bytes */
        fputc('\n', p->diag);
        free(p->msgs[i].text);
    }
    free(p->msgs);
}

/* ------------------------------------------------------------------------------------------
 * Values
 * ------------------------------------------------------------------------------------------ */
/* A whole number (decimal or 0x hex), with a K, M or G suffix (binary multiples) when
 * `suffix` allows it. */
static bool parse_u64(const char *text, bool suffix, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    uint64_t mult = 1;
    if (suffix && (*end == 'K' || *end == 'k'))
        mult = 1024, end++;
    else if (suffix && (*end == 'M' || *end == 'm'))
        mult = 1u << 20, end++;
    else if (suffix && (*end == 'G' || *end == 'g'))
        mult = 1u << 30, end++;
    if (errno || end == text || *end || text[0] == '-' || text[0] == '+' ||
        v > UINT64_MAX / mult)
        return false;
    *out = v * mult;
    return true;
}

bool hv_scenario_parse_size(const char *text, uint64_t *out)
{
    return parse_u64(text, true, out);
}

/* A count or a number of cycles in [lo, hi]; on failure an error names the key and the range. */
static bool number(parser_t *p, const char *key, const char *text, uint64_t lo, uint64_t hi,
                   uint64_t *out)
{
    if (!parse_u64(text, false, out) || *out < lo || *out > hi) {
        error_at(p, p->line, "%s = '%s': it must be a whole number from %llu to %llu", key, text,
                 (unsigned long long)lo, (unsigned long long)hi);
        return false;
    }
    return true;
}

/* A size in bytes in [lo, hi], a multiple of `align`; K, M, G allowed. */
static bool size(parser_t *p, const char *key, const char *text, uint64_t lo, uint64_t hi,
                 uint64_t align, uint64_t *out)
{
    char a[32], b[32], c[32];
    if (!parse_u64(text, true, out) || *out < lo || *out > hi || *out % align) {
        error_at(p, p->line,
                 "%s = '%s': it must be a size in bytes from %s to %s, a multiple of %s (K, M, "
                 "G allowed: 64K, 8M)",
                 key, text, hv_scenario_size_text(lo, a, sizeof a),
                 hv_scenario_size_text(hi, b, sizeof b), hv_scenario_size_text(align, c, sizeof c));
        return false;
    }
    return true;
}

static bool on_off(parser_t *p, const char *key, const char *text, bool *out)
{
    if (!strcmp(text, "on") || !strcmp(text, "yes") || !strcmp(text, "1"))
        *out = true;
    else if (!strcmp(text, "off") || !strcmp(text, "no") || !strcmp(text, "0"))
        *out = false;
    else {
        error_at(p, p->line, "%s = '%s': it must be on or off", key, text);
        return false;
    }
    return true;
}

/* Finds a file named in the scenario: absolute, or in the scenario's directory, or in the
 * guests' directory. The path kept is the first that exists (or the first tried). */
static void resolve(parser_t *p, const char *value, char *out)
{
    if (value[0] == '/' || (!p->dir && !p->guest_dir)) {
        snprintf(out, HV_SCENARIO_PATH_MAX, "%s", value);
        return;
    }
    const char *dirs[2] = {p->dir, p->guest_dir};
    out[0] = '\0';
    for (int i = 0; i < 2; i++) {
        if (!dirs[i])
            continue;
        char path[HV_SCENARIO_PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dirs[i], value);
        if (!out[0] || access(path, R_OK) == 0)
            snprintf(out, HV_SCENARIO_PATH_MAX, "%s", path);
        if (access(path, R_OK) == 0)
            return;
    }
}

/* Console input as written in the file: \n, \t, \s (a space, which the INI reader would trim
 * at the end of a line) are escapes, and \ before any other character stands for it. */
static char *unescape(const char *text)
{
    char *out = malloc(strlen(text) + 1), *o = out;
    for (const char *s = text; out && *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            *o++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s == 's' ? ' ' : *s;
        } else {
            *o++ = *s;
        }
    }
    if (o)
        *o = '\0';
    return out;
}

/* balloon_at = CYCLE SIZE: at that cycle the balloon's target becomes SIZE (hv_balloon.c).
 * The key may be given again, once for each change. */
static void balloon_at(parser_t *p, hv_scenario_vm_t *vm, const char *value)
{
    char cycle[32], bytes[32], extra[2];
    uint64_t at, b;
    if (sscanf(value, "%31s %31s %1s", cycle, bytes, extra) != 2) {
        error_at(p, p->line,
                 "balloon_at = '%s': give a cycle and a size (balloon_at = 30000000 2M)", value);
        return;
    }
    if (vm->nballoon_at == HV_BALLOON_MOVES) {
        error_at(p, p->line, "balloon_at = '%s': at most %u changes of the target", value,
                 HV_BALLOON_MOVES);
        return;
    }
    if (number(p, "balloon_at's cycle", cycle, 1, UINT64_MAX / 2, &at) &&
        size(p, "balloon_at's size", bytes, 0, 0xf0000000u, MMU_PAGE_SIZE, &b))
        vm->balloon_at[vm->nballoon_at++] = (hv_scenario_balloon_at_t){at, (uint32_t)b, p->line};
}

/* ------------------------------------------------------------------------------------------
 * Sections and keys
 * ------------------------------------------------------------------------------------------ */
static void machine_key(parser_t *p, const char *key, const char *value)
{
    hv_scenario_t *sc = p->sc;
    uint64_t v;
    bool b;
    if (!strcmp(key, "pcpus")) {
        if (number(p, key, value, 1, SIM_MAX_CPUS, &v))
            sc->pcpus = (unsigned)v;
    } else if (!strcmp(key, "ram")) {
        if (size(p, key, value, 1u << 20, 0xf0000000u, MMU_PAGE_SIZE, &v))
            sc->ram = (uint32_t)v;
    } else if (!strcmp(key, "quantum")) {
        if (number(p, key, value, 100, 100000000, &v))
            sc->quantum = v;
    } else if (!strcmp(key, "max_cycles")) {
        if (number(p, key, value, 1, UINT64_MAX, &v))
            sc->max_cycles = v;
    } else if (!strcmp(key, "tlb_entries")) {
        if (number(p, key, value, 1, MMU_TLB_MAX, &v))
            sc->mmu.tlb_entries = (uint16_t)v;
    } else if (!strcmp(key, "tlb_ways")) {
        if (number(p, key, value, 1, MMU_TLB_MAX, &v))
            sc->mmu.tlb_ways = (uint16_t)v;
    } else if (!strcmp(key, "levels")) {
        if (number(p, key, value, MMU_MIN_LEVELS, MMU_MAX_LEVELS, &v))
            sc->mmu.levels = (uint8_t)v;
    } else if (!strcmp(key, "nested_levels")) {
        if (number(p, key, value, MMU_MIN_LEVELS, MMU_MAX_LEVELS, &v))
            sc->mmu.nested_levels = (uint8_t)v;
    } else if (!strcmp(key, "pwc")) {
        if (on_off(p, key, value, &b))
            sc->mmu.pwc = b;
    } else if (!strcmp(key, "ntlb")) {
        if (on_off(p, key, value, &b))
            sc->mmu.ntlb = b;
    } else if (!strcmp(key, "costs")) {
        int profile = sim_cost_profile_by_name(value);
        if (profile < 0)
            error_at(p, p->line, "costs = '%s' is not a cost profile (known: %s)", value,
                     SIM_COST_PROFILE_NAMES);
        else
            sc->costs = profile;
    } else {
        error_at(p, p->line,
                 "unknown key '%s' in [machine] (known: pcpus, ram, quantum, "
                 "max_cycles, tlb_entries, tlb_ways, levels, nested_levels, pwc, "
                 "ntlb, costs)",
                 key);
    }
}

static void cost_key(parser_t *p, const char *key, const char *value)
{
    int c = sim_cost_by_name(key);
    uint64_t v;
    if (c < 0)
        error_at(p, p->line, "unknown cost '%s' in [costs] (the cost table is in "
                             "docs/cycle-model.md)", key);
    else if (number(p, key, value, 0, 100000000, &v)) {
        p->sc->cost_set[c] = true;
        p->sc->cost[c] = (uint32_t)v;
    }
}

static void hypervisor_key(parser_t *p, const char *key, const char *value)
{
    hv_scenario_t *sc = p->sc;
    uint64_t v;
    bool b;
    if (!strcmp(key, "type")) {
        if (!strcmp(value, "1"))
            sc->hv.type = HV_TYPE1;
        else if (!strcmp(value, "2"))
            sc->hv.type = HV_TYPE2;
        else if (!strcmp(value, "none"))
            sc->native = true;
        else
            error_at(p, p->line, "type = '%s': it must be 1 (bare metal), 2 (hosted) or none "
                                 "(no hypervisor)", value);
    } else if (!strcmp(key, "scheduler")) {
        if (!strcmp(value, "pin"))
            sc->hv.sched = HV_SCHED_PIN;
        else if (!strcmp(value, "overcommit"))
            sc->hv.sched = HV_SCHED_OVERCOMMIT;
        else
            error_at(p, p->line, "scheduler = '%s': it must be pin or overcommit", value);
    } else if (!strcmp(key, "slice")) {
        if (number(p, key, value, 1000, 1000000000, &v))
            sc->hv.slice = v;
    } else if (!strcmp(key, "tlb_tags")) {
        if (on_off(p, key, value, &b))
            sc->hv.untagged_tlb = !b;
    } else if (!strcmp(key, "host_process")) {
        if (on_off(p, key, value, &b))
            sc->hv.host_process = b;
    } else if (!strcmp(key, "boost")) {
        if (on_off(p, key, value, &b))
            sc->hv.boost = b;
    } else if (!strcmp(key, "host_share")) {
        if (number(p, key, value, 1, 65536, &v))
            sc->hv.host_share = (unsigned)v;
    } else if (!strcmp(key, "console_keep")) {
        if (number(p, key, value, 256, 1u << 30, &v))
            sc->hv.console_keep = (uint32_t)v;
    } else if (!strcmp(key, "host_memory")) {
        if (size(p, key, value, HV_MIN_RESIDENT, 0xf0000000u, MMU_PAGE_SIZE, &v))
            sc->hv.host_memory = (uint32_t)v;
    } else if (!strcmp(key, "swap")) {
        if (size(p, key, value, MMU_PAGE_SIZE, 1u << 30, MMU_PAGE_SIZE, &v))
            sc->hv.swap_size = (uint32_t)v;
    } else if (!strcmp(key, "iommu")) {
        if (on_off(p, key, value, &b))
            sc->hv.iommu_off = !b;
    } else if (!strcmp(key, "sharing")) {
        if (on_off(p, key, value, &b))
            sc->hv.sharing = b;
    } else if (!strcmp(key, "batch_exits")) {
        if (on_off(p, key, value, &b))
            sc->hv.batch_exits = b;
    } else if (!strcmp(key, "shadow_sync")) {
        if (!strcmp(value, "trace") || !strcmp(value, "tlbinv"))
            sc->hv.shadow_trace = !strcmp(value, "trace");
        else
            error_at(p, p->line, "shadow_sync = '%s': it must be trace or tlbinv", value);
    } else if (!strcmp(key, "share_pages")) {
        if (number(p, key, value, 1, 1u << 20, &v))
            sc->hv.share_pages = (uint32_t)v;
    } else if (!strcmp(key, "share_period")) {
        if (number(p, key, value, 1000, 1000000000, &v))
            sc->hv.share_period = (uint32_t)v;
    } else if (!strcmp(key, "replacement")) {
        int r = hv_replacement_by_name(value);
        if (r < 0)
            error_at(p, p->line, "replacement = '%s': it must be clock or random", value);
        else
            sc->hv.replacement = (hv_replacement_t)r;
    } else {
        error_at(p, p->line,
                 "unknown key '%s' in [hypervisor] (known: type, scheduler, slice, "
                 "tlb_tags, host_process, host_share, boost, console_keep, host_memory, swap, "
                 "replacement, sharing, share_pages, share_period, iommu, batch_exits, "
                 "shadow_sync)",
                 key);
    }
}

static void pin_list(parser_t *p, hv_scenario_vm_t *vm, const char *value)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", value);
    unsigned i = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        uint64_t v;
        if (i == HV_MAX_VCPUS) {
            error_at(p, p->line, "pin = '%s': more than %d pCPUs for %d VCPUs at most", value,
                     HV_MAX_VCPUS, HV_MAX_VCPUS);
            return;
        }
        if (!strcmp(tok, "any"))
            vm->pin[i++] = -1;
        else if (number(p, "pin", tok, 0, SIM_MAX_CPUS - 1, &v))
            vm->pin[i++] = (int)v;
    }
}

static void vm_key(parser_t *p, const char *key, const char *value)
{
    hv_scenario_vm_t *vm = p->vm;
    uint64_t v;
    if (!strcmp(key, "image")) {
        resolve(p, value, vm->image);
        vm->image_line = p->line;
    } else if (!strcmp(key, "kernel")) {
        resolve(p, value, vm->kernel);
        vm->kernel_line = p->line;
    } else if (!strcmp(key, "rom")) {
        resolve(p, value, vm->rom);
        vm->rom_line = p->line;
    } else if (!strcmp(key, "base")) {
        if (number(p, key, value, 0, 0xfffffffc, &v))
            vm->base = (uint32_t)v;
    } else if (!strcmp(key, "vcpus")) {
        if (number(p, key, value, 1, HV_MAX_VCPUS, &v))
            vm->vcpus = (unsigned)v;
    } else if (!strcmp(key, "memory")) {
        if (size(p, key, value, 0x10000, 0xf0000000u, 0x10000, &v))
            vm->memory = (uint32_t)v;
    } else if (!strcmp(key, "cpu")) {
        if ((vm->cpu = hv_cpu_technique_by_name(value)) < 0)
            error_at(p, p->line, "cpu = '%s': it must be emu, trap, bt or hw", value);
        else
            vm->cpu_line = p->line; /* the pair with mem is checked once the file is read */
    } else if (!strcmp(key, "mem")) {
        if ((vm->mem = hv_mem_technique_by_name(value)) < 0)
            error_at(p, p->line, "mem = '%s': it must be shadow or nested", value);
        else
            vm->mem_line = p->line;
    } else if (!strcmp(key, "pin")) {
        pin_list(p, vm, value);
    } else if (!strcmp(key, "share")) {
        if (number(p, key, value, 1, 65536, &v))
            vm->share = (unsigned)v;
    } else if (!strcmp(key, "cap")) {
        if (number(p, key, value, 0, 100, &v))
            vm->cap = (unsigned)v;
    } else if (!strcmp(key, "input") || !strcmp(key, "input_file")) {
        free(vm->input);
        vm->input_line = p->line;
        if (key[5] == '\0') {
            vm->input = unescape(value);
        } else {
            char path[HV_SCENARIO_PATH_MAX];
            size_t len;
            resolve(p, value, path);
            char why[96];
            if (!(vm->input = sim_read_file(path, &len)))
                error_at(p, p->line, "input_file = '%s': cannot read %s: %s", value, path,
                         sim_read_error(errno, SIM_INPUT_MAX_BYTES, why, sizeof why));
        }
    } else if (!strcmp(key, "net_bw") || !strcmp(key, "disk_bw")) {
        if (number(p, key, value, 1, 1000000, &v))
            *(key[0] == 'n' ? &vm->net_bw : &vm->disk_bw) = (uint32_t)v;
    } else if (!strcmp(key, "shadow_budget")) {
        if (number(p, key, value, HV_MIN_SHADOW_BUDGET, 1u << 20, &v))
            vm->shadow_budget = (uint32_t)v;
    } else if (!strcmp(key, "backing")) {
        if ((vm->backing = hv_backing_by_name(value)) < 0) {
            vm->backing = HV_BACKING_LAZY;
            error_at(p, p->line, "backing = '%s': it must be lazy, eager or large", value);
        }
    } else if (!strcmp(key, "resident_max")) {
        if (size(p, key, value, HV_MIN_RESIDENT, 0xf0000000u, MMU_PAGE_SIZE, &v))
            vm->resident_max = (uint32_t)v;
    } else if (!strcmp(key, "reservation")) {
        if (size(p, key, value, 0, 0xf0000000u, MMU_PAGE_SIZE, &v))
            vm->reservation = (uint32_t)v;
    } else if (!strcmp(key, "assign")) {
        if (strcmp(value, "nic0") != 0)
            error_at(p, p->line,
                     "assign = '%s': the one device that can be assigned is nic0 "
                     "(the physical network card)",
                     value);
        vm->assign_nic = !strcmp(value, "nic0");
    } else if (!strcmp(key, "nic")) {
        if (strcmp(value, "pv") && strcmp(value, "emulated"))
            error_at(p, p->line, "nic = '%s': it must be emulated or pv (paravirtual)", value);
        vm->nic_pv = !strcmp(value, "pv");
    } else if (!strcmp(key, "entropy")) {
        on_off(p, key, value, &vm->entropy);
    } else if (!strcmp(key, "entropy_seed")) {
        number(p, key, value, 0, UINT64_MAX, &vm->entropy_seed);
    } else if (!strcmp(key, "balloon")) {
        if (size(p, key, value, 0, 0xf0000000u, MMU_PAGE_SIZE, &v))
            vm->balloon = (uint32_t)v;
    } else if (!strcmp(key, "guest_swap")) {
        if (size(p, key, value, MMU_PAGE_SIZE, HV_GUEST_SWAP_MAX, MMU_PAGE_SIZE, &v))
            vm->guest_swap = (uint32_t)v;
    } else if (!strcmp(key, "compare")) {
        if (!*value || strlen(value) >= sizeof vm->compare)
            error_at(p, p->line, "compare = '%s': give a column name (under %zu characters)", value,
                     sizeof vm->compare);
        else
            snprintf(vm->compare, sizeof vm->compare, "%s", value);
    } else if (!strcmp(key, "balloon_at")) {
        balloon_at(p, vm, value);
    } else if (!strcmp(key, "marks")) {
        bool on;
        if (on_off(p, key, value, &on))
            vm->marks_off = !on;
    } else if (!strcmp(key, "host") || !strcmp(key, "migrate_to")) {
        if (number(p, key, value, 0, HV_MAX_HOSTS - 1, &v))
            *(key[0] == 'h' ? &vm->host : &vm->migrate_to) = (unsigned)v;
        *(key[0] == 'h' ? &vm->host_line : &vm->migrate_line) = p->line;
        vm->migrate_to_given |= key[0] == 'm';
    } else if (!strcmp(key, "migrate_at")) {
        if (number(p, key, value, 1, UINT64_MAX / 2, &v))
            vm->migrate_at = v;
        vm->migrate_line = p->line;
    } else if (!strcmp(key, "transcript")) {
        if (!*value || strlen(value) >= sizeof vm->transcript)
            error_at(p, p->line, "transcript = '%s': give a file name (under %zu bytes)", value,
                     sizeof vm->transcript);
        else
            snprintf(vm->transcript, sizeof vm->transcript, "%s", value);
    } else {
        error_at(p, p->line,
                 "unknown key '%s' in [vm %s] (known: image, kernel, base, rom, "
                 "vcpus, memory, cpu, mem, pin, share, cap, input, input_file, "
                 "transcript, shadow_budget, marks, backing, resident_max, reservation, net_bw, "
                 "disk_bw, host, migrate_at, migrate_to, assign, nic, balloon, balloon_at, "
                 "guest_swap, compare)",
                 key, vm->name);
    }
}

/* [host.N] pcpus = LIST: the pCPUs of host N; ram = SIZE: its share of the machine's RAM. */
static void host_key(parser_t *p, const char *key, const char *value)
{
    uint64_t bytes;
    if (!strcmp(key, "ram")) {
        if (size(p, key, value, 1u << 20, 0xf0000000u, MMU_PAGE_SIZE, &bytes)) {
            p->sc->hv.host_ram[p->host] = (uint32_t)bytes;
            p->host_ram_line[p->host] = p->line;
        }
        return;
    }
    if (strcmp(key, "pcpus")) {
        error_at(p, p->line, "unknown key '%s' in [host.%u] (known: pcpus, ram)", key, p->host);
        return;
    }
    char buf[128];
    snprintf(buf, sizeof buf, "%s", value);
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok;
         tok = strtok_r(NULL, ", ", &save)) {
        uint64_t c;
        if (!number(p, "pcpus", tok, 0, SIM_MAX_CPUS - 1, &c))
            continue;
        if (p->cpu_host_line[c])
            error_at(p, p->line, "pCPU %llu is given a host twice (first at line %d)",
                     (unsigned long long)c, p->cpu_host_line[c]);
        p->cpu_host_line[c] = p->line;
        p->sc->hv.cpu_host[c] = (uint8_t)p->host;
    }
}

/* [link]: what the migration's pages cross between the hosts. */
static void link_key(parser_t *p, const char *key, const char *value)
{
    hv_link_t *l = &p->sc->hv.link;
    uint64_t v;
    uint32_t *field = !strcmp(key, "bandwidth")    ? &l->bandwidth
                      : !strcmp(key, "latency")    ? &l->latency
                      : !strcmp(key, "max_rounds") ? &l->max_rounds
                      : !strcmp(key, "stop_pages") ? &l->stop_pages
                                                   : NULL;
    uint64_t hi = field == &l->max_rounds ? HV_MIGRATE_MAX_ROUNDS : 100000000;
    if (!field)
        error_at(p, p->line,
                 "unknown key '%s' in [link] (known: bandwidth, latency, max_rounds, "
                 "stop_pages)",
                 key);
    else if (number(p, key, value, 1, hi, &v))
        *field = (uint32_t)v;
}

static void begin_section(parser_t *p, const char *line)
{
    const char *end = strchr(line, ']');
    char name[128];
    size_t n = end ? (size_t)(end - line - 1) : strlen(line + 1);
    snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), line + 1);
    p->vm = NULL;
    p->section = SEC_BAD;
    if (!end)
        error_at(p, p->line, "[%s: a section header ends with ']'", name);
    if (!strcmp(name, "machine")) {
        p->section = SEC_MACHINE;
        p->machine_line = p->line;
    } else if (!strcmp(name, "costs"))
        p->section = SEC_COSTS;
    else if (!strcmp(name, "hypervisor"))
        p->section = SEC_HYPERVISOR;
    else if (!strcmp(name, "link")) {
        p->section = SEC_LINK;
        p->sc->link_given = true;
    } else if (!strcmp(name, "host.0") || !strcmp(name, "host.1")) {
        p->host = (unsigned)(name[5] - '0');
        if (p->sc->host_line[p->host])
            error_at(p, p->line, "[%s] is given twice (first at line %d)", name,
                     p->sc->host_line[p->host]);
        p->sc->host_line[p->host] = p->line;
        p->section = SEC_HOST;
    } else if (!strncmp(name, "vm ", 3)) {
        const char *vmname = name + 3;
        while (*vmname == ' ')
            vmname++;
        hv_scenario_t *sc = p->sc;
        for (unsigned i = 0; i < sc->nvms; i++)
            if (!strcmp(sc->vm[i].name, vmname))
                error_at(p, p->line, "[vm %s] is given twice (first at line %d)", vmname,
                         sc->vm[i].line);
        if (sc->nvms == HV_MAX_VMS) {
            error_at(p, p->line, "more than %d VMs", HV_MAX_VMS);
            return;
        }
        if (!*vmname || strlen(vmname) > HV_NAME_MAX) {
            error_at(p, p->line, "[vm %s]: a VM's name is 1 to %d characters", vmname, HV_NAME_MAX);
            return;
        }
        hv_scenario_vm_t *vm = &sc->vm[sc->nvms++];
        *vm = (hv_scenario_vm_t){.vcpus = 1, .memory = 4u << 20, .base = CPU_RESET_PC,
                                 .line = p->line, .pin = {-1, -1, -1, -1}};
        snprintf(vm->name, sizeof vm->name, "%.*s", HV_NAME_MAX, vmname);
        p->vm = vm;
        p->section = SEC_VM;
    } else {
        error_at(p, p->line,
                 "unknown section [%s] (known: [machine], [costs], [hypervisor], "
                 "[vm NAME], [host.0], [host.1], [link])",
                 name);
    }
}

/* libinih's line reader: counts lines and notices section headers as they pass. */
static char *read_line(char *str, int num, void *stream)
{
    parser_t *p = stream;
    if (p->pos >= p->len)
        return NULL;
    const char *s = p->text + p->pos;
    const char *nl = memchr(s, '\n', p->len - p->pos);
    size_t n = nl ? (size_t)(nl - s) : p->len - p->pos;
    p->pos += n + (nl != NULL);
    p->line++;
    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    if (n >= (size_t)num) {
        error_at(p, p->line, "the line is longer than %d characters", num - 1);
        str[0] = '\0';
        return str;
    }
    memcpy(str, s, n);
    str[n] = '\0';
    if (str[0] == '[') {
        begin_section(p, str);
        str[0] = '\0'; /* read here; libinih need not, and would call a header without ] bad */
    } else if (str[0] && str[0] != ';' && str[0] != '#' && !strpbrk(str, "=:")) {
        /* libinih would report only the first such line; every one is reported here */
        error_at(p, p->line, "'%.40s' is not [SECTION], KEY = VALUE, a comment or nothing", str);
        str[0] = '\0';
    }
    return str;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
    (void)section;
    parser_t *p = user;
    switch (p->section) {
    case SEC_MACHINE: machine_key(p, key, value); break;
    case SEC_COSTS: cost_key(p, key, value); break;
    case SEC_HYPERVISOR: hypervisor_key(p, key, value); break;
    case SEC_VM: vm_key(p, key, value); break;
    case SEC_HOST: host_key(p, key, value); break;
    case SEC_LINK: link_key(p, key, value); break;
    case SEC_NONE: error_at(p, p->line, "'%s' is outside any section", key); break;
    case SEC_BAD: break; /* reported with the section */
    }
    return 1;
}

/* Two hosts: both given, every pCPU in one of them, each VM's host and migration sound. */
static void check_hosts(parser_t *p)
{
    hv_scenario_t *sc = p->sc;
    bool two = sc->host_line[0] || sc->host_line[1];
    if (two && !(sc->host_line[0] && sc->host_line[1]))
        error_at(p, sc->host_line[0] ? sc->host_line[0] : sc->host_line[1],
                 "[host.%d] without [host.%d]: a scenario has both hosts or neither",
                 sc->host_line[0] ? 0 : 1, sc->host_line[0] ? 1 : 0);
    unsigned count[HV_MAX_HOSTS] = {0};
    for (unsigned c = 0; two && c < SIM_MAX_CPUS; c++) {
        if (c < sc->pcpus && !p->cpu_host_line[c])
            error_at(p, sc->host_line[0],
                     "pCPU %u belongs to no host: list it in pcpus of "
                     "[host.0] or [host.1]",
                     c);
        else if (c >= sc->pcpus && p->cpu_host_line[c])
            error_at(p, p->cpu_host_line[c], "pCPU %u is given a host, but [machine] pcpus = %u", c,
                     sc->pcpus);
        else if (c < sc->pcpus)
            count[sc->hv.cpu_host[c]]++;
    }
    for (unsigned h = 0; two && h < HV_MAX_HOSTS; h++)
        if (sc->host_line[h] && !count[h])
            error_at(p, sc->host_line[h], "[host.%u] has no pCPU: give it pcpus", h);
    sc->hv.hosts = two ? 2 : 1;
    char why[200];
    const uint32_t *ram = sc->hv.host_ram;
    if (two && hv_host_ram_refusal(ram[0], ram[1], sc->ram, why, sizeof why))
        error_at(p,
                 p->host_ram_line[1]   ? p->host_ram_line[1]
                 : p->host_ram_line[0] ? p->host_ram_line[0]
                                       : sc->host_line[0],
                 "[host.%u] ram: %s", p->host_ram_line[1] ? 1 : 0, why);
    for (unsigned i = 0; i < sc->nvms; i++) {
        hv_scenario_vm_t *vm = &sc->vm[i];
        if (!vm->migrate_to_given && vm->host < HV_MAX_HOSTS)
            vm->migrate_to = 1 - vm->host;
        if (vm->host >= sc->hv.hosts)
            error_at(p, vm->host_line,
                     "[vm %s] host = %u, but there is one host (give [host.0] "
                     "and [host.1])",
                     vm->name, vm->host);
        else if (vm->migrate_at && !two)
            error_at(p, vm->migrate_line,
                     "[vm %s] migrate_at needs two hosts: give [host.0] "
                     "and [host.1]",
                     vm->name);
        else if (vm->migrate_at && vm->migrate_to == vm->host)
            error_at(p, vm->migrate_line,
                     "[vm %s] migrates to host %u, where it runs already "
                     "(migrate_to = %u)",
                     vm->name, vm->host, 1 - vm->host);
        for (unsigned k = 0; two && k < HV_MAX_VCPUS; k++)
            if (vm->pin[k] >= 0 && vm->pin[k] < (int)sc->pcpus &&
                sc->hv.cpu_host[vm->pin[k]] != vm->host)
                error_at(p, vm->line,
                         "[vm %s] pins vcpu%u to pCPU %d, which is host %u's, but "
                         "the VM runs on host %u",
                         vm->name, k, vm->pin[k], sc->hv.cpu_host[vm->pin[k]], vm->host);
    }
}

/* What must hold once the whole file is read. */
static void check_whole(parser_t *p)
{
    hv_scenario_t *sc = p->sc;
    check_hosts(p);
    if (sc->nvms == 0)
        error_at(p, 0, "no [vm NAME] section: a scenario runs at least one VM");
    if (sc->native && sc->nvms != 1)
        error_at(p, 0, "type = none runs one VM on the bare machine, but there are %u", sc->nvms);
    for (unsigned i = 0; i < sc->nvms; i++) {
        hv_scenario_vm_t *vm = &sc->vm[i];
        if (!vm->image[0] && !vm->kernel[0])
            error_at(p, vm->line, "[vm %s] has neither image (a disk image) nor kernel (a "
                                  "program)", vm->name);
        else if (vm->image[0] && vm->kernel[0])
            error_at(p, vm->kernel_line, "[vm %s] has both image and kernel: give one", vm->name);
        if (vm->image[0] && !vm->rom[0]) {
            char *old = vm->rom;
            resolve(p, "rom.bin", old);
        }
        const char *refusal = hv_technique_refusal((unsigned)vm->cpu, (unsigned)vm->mem);
        if (vm->cpu >= 0 && vm->mem >= 0 && refusal && !sc->native)
            error_at(p, vm->cpu_line ? vm->cpu_line : vm->mem_line ? vm->mem_line : vm->line, "%s",
                     refusal);
        for (unsigned k = 0; k < HV_MAX_VCPUS; k++)
            if (vm->pin[k] >= (int)sc->pcpus)
                error_at(p, vm->line, "[vm %s] pins vcpu%u to pCPU %d, but [machine] pcpus = %u",
                         vm->name, k, vm->pin[k], sc->pcpus);
    }
}

int hv_scenario_parse(hv_scenario_t *sc, const char *name, const char *text, const char *dir,
                      const char *guest_dir, FILE *diag)
{
    memset(sc, 0, sizeof *sc);
    snprintf(sc->name, sizeof sc->name, "%s", name);
    sc->pcpus = 2;
    sc->ram = 32u << 20;
    sc->mmu = (mmu_config_t)MMU_CONFIG_DEFAULT;
    sc->max_cycles = 2000000000ull;
    sc->hv = (hv_config_t){.type = HV_TYPE1, .sched = HV_SCHED_PIN};
    parser_t p = {.sc = sc, .text = text, .len = strlen(text), .dir = dir, .guest_dir = guest_dir,
                  .diag = diag};
    int rc = ini_parse_stream(read_line, &p, on_key, &p);
    if (rc > 0)
        error_at(&p, rc, "syntax error: expected [SECTION], KEY = VALUE, a comment or nothing");
    else if (rc < 0)
        error_at(&p, 0, "out of memory");
    const char *why = mmu_config_check(&sc->mmu);
    if (why)
        error_at(&p, p.machine_line, "[machine]: %s", why);
    check_whole(&p);
    print_errors(&p);
    return p.errors ? -1 : 0;
}

int hv_scenario_load(hv_scenario_t *sc, const char *name_or_path, const char *guest_dir, FILE *diag)
{
    const char *text = hv_builtin_text(name_or_path);
    if (text)
        return hv_scenario_parse(sc, name_or_path, text, NULL, guest_dir, diag);
    size_t len;
    char *file = sim_read_file(name_or_path, &len);
    if (!file) {
        char why[96];
        memset(sc, 0, sizeof *sc);
        fprintf(diag, "%s: error: no built-in scenario of that name, and no file: %s\n",
                name_or_path, sim_read_error(errno, SIM_INPUT_MAX_BYTES, why, sizeof why));
        return -1;
    }
    char dir[HV_SCENARIO_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", name_or_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int rc = hv_scenario_parse(sc, name_or_path, file, dir, guest_dir, diag);
    free(file);
    return rc;
}

void hv_scenario_free(hv_scenario_t *sc)
{
    for (unsigned i = 0; i < sc->nvms; i++) {
        free(sc->vm[i].input);
        sc->vm[i].input = NULL;
    }
}
