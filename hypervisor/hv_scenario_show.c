/*
 * hv_scenario_show.c - a scenario written back as an INI file: `hvsim scenario show NAME`.
 *
 * Every key is written with the value the scenario gives it, defaults included, so that a
 * student sees every knob there is and can copy the text to a file, change a line and run it
 * (hvsim --scenario FILE.ini). What is written loads back to the same machine: paths inside
 * the guests' directory are written relative to it (the parser looks there), console input is
 * escaped the way the parser unescapes it, and sizes keep their exact value.
 */
#include <string.h>

#include "hv_scenario.h"

const char *hv_scenario_size_text(uint64_t v, char *buf, size_t len)
{
    if (v && v % (1u << 20) == 0)
        snprintf(buf, len, "%lluM", (unsigned long long)(v >> 20));
    else if (v && v % 1024 == 0)
        snprintf(buf, len, "%lluK", (unsigned long long)(v >> 10));
    else
        snprintf(buf, len, "%llu", (unsigned long long)v);
    return buf;
}

/* A path, relative to the guests' directory when it is inside it. */
static const char *path_text(const char *path, const char *guest_dir)
{
    size_t n = guest_dir ? strlen(guest_dir) : 0;
    if (n && strncmp(path, guest_dir, n) == 0 && path[n] == '/')
        return path + n + 1;
    return path;
}

/* Console input with the escapes the parser reads: \n, \t, \\, and \; (a ';' after a space
 * would start a comment); a space at either end is \s, as the INI reader trims them. */
static void write_input(FILE *out, const char *text)
{
    size_t n = strlen(text);
    fputs("input = ", out);
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if ((i == 0 || i == n - 1) && c == ' ')
            fputs("\\s", out);
        else if (c == '\\' || c == ';')
            fprintf(out, "\\%c", c);
        else
            fputc(c, out);
    }
    fputc('\n', out);
}

static const char *on_off(bool b)
{
    return b ? "on" : "off";
}

static void write_machine(const hv_scenario_t *sc, FILE *out)
{
    char b[32];
    fprintf(out, "[machine]\npcpus = %u\nram = %s\n", sc->pcpus,
            hv_scenario_size_text(sc->ram, b, sizeof b));
    fprintf(out, "quantum = %llu\n",
            (unsigned long long)(sc->quantum ? sc->quantum : SIM_DEFAULT_QUANTUM));
    fprintf(out, "max_cycles = %llu\n", (unsigned long long)sc->max_cycles);
    fprintf(out, "tlb_entries = %u\ntlb_ways = %u\nlevels = %u\nnested_levels = %u\npwc = %s\n",
            sc->mmu.tlb_entries, sc->mmu.tlb_ways, sc->mmu.levels, sc->mmu.nested_levels,
            on_off(sc->mmu.pwc));
    fprintf(out, "ntlb = %s\n", on_off(sc->mmu.ntlb));
    fprintf(out, "costs = %s\n\n", sim_cost_profile_name((size_t)sc->costs));
    fputs("[costs]\n", out);
    bool any = false;
    for (unsigned c = 0; c < SIM_COST_COUNT; c++)
        if (sc->cost_set[c]) {
            fprintf(out, "%s = %u\n", sim_cost_name((sim_cost_t)c), sc->cost[c]);
            any = true;
        }
    if (!any) {
        sim_costs_t def;
        sim_costs_profile(&def, (size_t)sc->costs);
        fprintf(out,
                "; none changed: each is the cost table's (docs/cycle-model.md), e.g.\n"
                "; %s = %u\n",
                sim_cost_name((sim_cost_t)0), def.c[0]);
    }
    fputc('\n', out);
}

static void write_hypervisor(const hv_scenario_t *sc, FILE *out)
{
    const hv_config_t *hv = &sc->hv;
    fprintf(out, "[hypervisor]\ntype = %s\n",
            sc->native             ? "none"
            : hv->type == HV_TYPE2 ? "2"
                                   : "1");
    fprintf(out, "scheduler = %s\nslice = %llu\ntlb_tags = %s\nhost_process = %s\n",
            hv->sched == HV_SCHED_OVERCOMMIT ? "overcommit" : "pin",
            (unsigned long long)(hv->slice ? hv->slice : HV_DEFAULT_SLICE),
            on_off(!hv->untagged_tlb), on_off(hv->host_process));
    fprintf(out, "host_share = %u\nboost = %s\nconsole_keep = %u\n",
            hv->host_share ? hv->host_share : HV_DEFAULT_SHARE, on_off(hv->boost),
            hv->console_keep ? hv->console_keep : HV_DEFAULT_CONSOLE_KEEP);
    char b[32];
    if (hv->host_memory) /* overcommit's keys only where it is used */
        fprintf(out, "host_memory = %s\n", hv_scenario_size_text(hv->host_memory, b, sizeof b));
    if (hv->swap_size)
        fprintf(out, "swap = %s\n", hv_scenario_size_text(hv->swap_size, b, sizeof b));
    if (hv->replacement != HV_REPLACE_CLOCK)
        fprintf(out, "replacement = %s\n", hv_replacement_name(hv->replacement));
    if (hv->iommu_off)
        fputs("iommu = off\n", out);
    if (hv->batch_exits)
        fputs("batch_exits = on\n", out);
    if (hv->shadow_trace)
        fputs("shadow_sync = trace\n", out);
    if (hv->sharing)
        fprintf(out, "sharing = on\nshare_pages = %u\nshare_period = %u\n",
                hv->share_pages ? hv->share_pages : HV_DEFAULT_SHARE_PAGES,
                hv->share_period ? hv->share_period : HV_DEFAULT_SHARE_PERIOD);
    fputc('\n', out);
}

static void write_vm(const hv_scenario_vm_t *vm, const char *guest_dir, FILE *out)
{
    char b[32];
    fprintf(out, "[vm %s]\n", vm->name);
    if (vm->image[0])
        fprintf(out, "image = %s\nrom = %s\n", path_text(vm->image, guest_dir),
                path_text(vm->rom, guest_dir));
    if (vm->kernel[0])
        fprintf(out, "kernel = %s\nbase = 0x%x\n", path_text(vm->kernel, guest_dir), vm->base);
    fprintf(out, "vcpus = %u\nmemory = %s\ncpu = %s\nmem = %s\npin = ", vm->vcpus,
            hv_scenario_size_text(vm->memory, b, sizeof b),
            hv_cpu_technique_name((unsigned)vm->cpu), hv_mem_technique_name((unsigned)vm->mem));
    for (unsigned k = 0; k < vm->vcpus; k++) {
        if (vm->pin[k] < 0)
            fprintf(out, "%sany", k ? ", " : "");
        else
            fprintf(out, "%s%d", k ? ", " : "", vm->pin[k]);
    }
    fprintf(out, "\nshare = %u\ncap = %u\nshadow_budget = %u\nbacking = %s\n",
            vm->share ? vm->share : HV_DEFAULT_SHARE, vm->cap,
            vm->shadow_budget ? vm->shadow_budget : HV_DEFAULT_SHADOW_BUDGET,
            hv_backing_name((unsigned)vm->backing));
    if (vm->transcript[0])
        fprintf(out, "transcript = %s\n", vm->transcript);
    if (vm->resident_max)
        fprintf(out, "resident_max = %s\n", hv_scenario_size_text(vm->resident_max, b, sizeof b));
    if (vm->reservation)
        fprintf(out, "reservation = %s\n", hv_scenario_size_text(vm->reservation, b, sizeof b));
    if (vm->balloon)
        fprintf(out, "balloon = %s\n", hv_scenario_size_text(vm->balloon, b, sizeof b));
    if (vm->guest_swap)
        fprintf(out, "guest_swap = %s\n", hv_scenario_size_text(vm->guest_swap, b, sizeof b));
    for (unsigned i = 0; i < vm->nballoon_at; i++)
        fprintf(out, "balloon_at = %llu %s\n", (unsigned long long)vm->balloon_at[i].at,
                hv_scenario_size_text(vm->balloon_at[i].bytes, b, sizeof b));
    if (vm->marks_off)
        fputs("marks = off\n", out);
    if (vm->compare[0])
        fprintf(out, "compare = %s\n", vm->compare);
    if (vm->net_bw)
        fprintf(out, "net_bw = %u\n", vm->net_bw);
    if (vm->disk_bw)
        fprintf(out, "disk_bw = %u\n", vm->disk_bw);
    if (vm->host)
        fprintf(out, "host = %u\n", vm->host);
    if (vm->migrate_at)
        fprintf(out, "migrate_at = %llu\nmigrate_to = %u\n", (unsigned long long)vm->migrate_at,
                vm->migrate_to);
    if (vm->assign_nic)
        fputs("assign = nic0\n", out);
    if (vm->nic_pv)
        fputs("nic = pv\n", out);
    if (vm->entropy)
        fputs("entropy = on\n", out);
    if (vm->entropy_seed)
        fprintf(out, "entropy_seed = %llu\n", (unsigned long long)vm->entropy_seed);
    if (vm->input)
        write_input(out, vm->input);
    fputc('\n', out);
}

/* Two hosts and their link: only where the scenario has them. */
static void write_hosts(const hv_scenario_t *sc, FILE *out)
{
    if (sc->hv.hosts < 2)
        return;
    for (unsigned h = 0; h < HV_MAX_HOSTS; h++) {
        fprintf(out, "[host.%u]\npcpus = ", h);
        const char *sep = "";
        for (unsigned c = 0; c < sc->pcpus; c++)
            if (sc->hv.cpu_host[c] == h) {
                fprintf(out, "%s%u", sep, c);
                sep = ", ";
            }
        char b[32];
        if (sc->hv.host_ram[h]) /* only where the scenario splits the RAM itself */
            fprintf(out, "\nram = %s", hv_scenario_size_text(sc->hv.host_ram[h], b, sizeof b));
        fputs("\n\n", out);
    }
    const hv_link_t *l = &sc->hv.link;
    fprintf(out, "[link]\nbandwidth = %u\nlatency = %u\nmax_rounds = %u\nstop_pages = %u\n\n",
            l->bandwidth ? l->bandwidth : HV_DEFAULT_LINK_BW,
            l->latency ? l->latency : HV_DEFAULT_LINK_LATENCY,
            l->max_rounds ? l->max_rounds : HV_DEFAULT_MAX_ROUNDS,
            l->stop_pages ? l->stop_pages : HV_DEFAULT_STOP_PAGES);
}

void hv_scenario_write(const hv_scenario_t *sc, const char *guest_dir, FILE *out)
{
    write_machine(sc, out);
    write_hypervisor(sc, out);
    write_hosts(sc, out);
    for (unsigned i = 0; i < sc->nvms; i++)
        write_vm(&sc->vm[i], guest_dir, out);
}
