/*
 * debug_symbols.c - symbols across VMs: finding a name in every VM's table (qualified as
 * "tinyos:disk_read" when more than one VM has it), labelling an address only with the
 * symbols of the space it belongs to, and `info symbol`.
 *
 * Table 0 holds the machine's symbols (a bare-metal program's, or the hypervisor's, which has
 * none today); table i + 1 VM i's (its ROM, boot loader and kernel). A guest's symbols are
 * guest addresses: they label gva and gpa addresses of their own VM, never a host-physical
 * one, where the same number means another word altogether.
 */
#include <string.h>

#include "debug_internal.h"

/* How far past a symbol an address is still named after it ("start+0x1c"): beyond, the
 * address is most likely not part of what the symbol labels (a device, the stack, free RAM). */
#define SYMBOL_REACH 0x10000u

static bool has_vms(const ui_dbg_t *d)
{
    return ui_dbg_vm_count(d) > 0;
}

/* The table that labels addresses of `space`: on a machine with VMs, a host-physical address
 * takes the machine's symbols only; anything else the focus's. */
static const cpu_symbol_t *table_for(const ui_dbg_t *d, ui_dbg_space_t space, size_t *n)
{
    if (space == UI_DBG_SPACE_HPA && has_vms(d)) {
        *n = d->tab_n[0];
        return d->tab[0];
    }
    if (d->use_vm >= 0 && d->use_vm < UI_DBG_MAX_VMS && d->tab_n[d->use_vm + 1]) {
        *n = d->tab_n[d->use_vm + 1]; /* a command about another VM's address */
        return d->tab[d->use_vm + 1];
    }
    *n = d->nsyms;
    return d->syms;
}

const cpu_symbol_t *dbg_symbols_for(const ui_dbg_t *d, ui_dbg_space_t space, size_t *n)
{
    return table_for(d, space, n);
}

static void label(const cpu_symbol_t *syms, size_t n, uint32_t addr, char *buf, size_t len)
{
    uint32_t off;
    const cpu_symbol_t *s = cpu_syms_lookup(syms, n, addr, &off);
    if (!s || off >= SYMBOL_REACH)
        snprintf(buf, len, "%s", "");
    else if (off)
        snprintf(buf, len, " <%s+0x%x>", s->name, off);
    else
        snprintf(buf, len, " <%s>", s->name);
}

const char *ui_dbg_symbolize_in(const ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, char *buf,
                                size_t len)
{
    size_t n;
    const cpu_symbol_t *syms = table_for(dbg, space, &n);
    label(syms, n, addr, buf, len);
    return buf;
}

const char *dbg_symbolize_for(const ui_dbg_t *d, ui_dbg_space_t space, int vm, uint32_t addr,
                              char *buf, size_t len)
{
    buf[0] = '\0';
    if (space == UI_DBG_SPACE_HPA || !has_vms(d))
        return ui_dbg_symbolize_in(d, space, addr, buf, len);
    if (vm >= 0 && vm < UI_DBG_MAX_VMS) {
        label(d->tab[vm + 1], d->tab_n[vm + 1], addr, buf, len);
        return buf;
    }
    if (d->focus_vm >= 0 || d->use_vm >= 0) /* the focus VM's, or the command's */
        return ui_dbg_symbolize_in(d, space, addr, buf, len);
    for (unsigned t = 1; t <= UI_DBG_MAX_VMS && !buf[0]; t++) /* any VM's: the same code */
        label(d->tab[t], d->tab_n[t], addr, buf, len);
    return buf;
}

/* ------------------------------------------------------------------------------------------
 * Finding a name
 * ------------------------------------------------------------------------------------------ */
static bool in_table(const ui_dbg_t *d, unsigned t, const char *name, uint32_t *addr)
{
    for (size_t i = 0; i < d->tab_n[t]; i++)
        if (strcmp(d->tab[t][i].name, name) == 0) {
            *addr = d->tab[t][i].addr;
            return true;
        }
    return false;
}

/* "tinyos:disk_read": the VM's number and the bare name, or -1 when the prefix names no VM. */
static int qualified(const ui_dbg_t *d, const char *name, const char **bare)
{
    const char *colon = strchr(name, ':');
    if (!colon || !has_vms(d))
        return -1;
    for (unsigned vm = 0; vm < ui_dbg_vm_count(d) && vm < UI_DBG_MAX_VMS; vm++) {
        const char *vname = dbg_vm_name(d, (int)vm);
        if (strlen(vname) == (size_t)(colon - name) && strncmp(vname, name, strlen(vname)) == 0) {
            *bare = colon + 1;
            return (int)vm;
        }
    }
    return -1;
}

int dbg_symbol_find(ui_dbg_t *d, const char *name, uint32_t *addr, int *vm)
{
    const char *bare;
    int q = qualified(d, name, &bare);
    *vm = UI_DBG_ANY_VM;
    if (q >= 0) {
        *vm = q;
        if (in_table(d, (unsigned)q + 1, bare, addr)) {
            d->eval_guest = true;
            return 0;
        }
        dbg_fail(d, "%s has no symbol \"%s\".", dbg_vm_name(d, q), bare);
        return -2;
    }
    /* The focus's own table first: the focus says whose name it is. */
    int focus = d->focus_vm;
    if (focus >= 0 && focus < UI_DBG_MAX_VMS && in_table(d, (unsigned)focus + 1, name, addr)) {
        *vm = focus;
        d->eval_guest = true;
        return 0;
    }
    if (in_table(d, 0, name, addr))
        return 0;
    /* Every VM's: one address is found (in one VM, or the same code in several), or it is
     * ambiguous and the choices are listed. */
    char choices[200] = "";
    size_t used = 0;
    unsigned found = 0;
    bool differ = false;
    for (unsigned v = 0; v < ui_dbg_vm_count(d) && v < UI_DBG_MAX_VMS; v++) {
        uint32_t a;
        if (!in_table(d, v + 1, name, &a))
            continue;
        differ |= found && a != *addr;
        if (!found++)
            *addr = a, *vm = (int)v;
        if (used < sizeof choices)
            used += (size_t)snprintf(choices + used, sizeof choices - used, "%s%s:%s (0x%08x)",
                                     found > 1 ? ", " : "", dbg_vm_name(d, (int)v), name, a);
    }
    if (!found)
        return dbg_fail(d, "\"%s\" is not a register, CSR or symbol", name);
    if (differ) {
        dbg_fail(d, "\"%s\" is a symbol of more than one VM: %s. Say which.", name, choices);
        return -2;
    }
    if (found > 1)
        *vm = UI_DBG_ANY_VM; /* the same address in each: the same code, in any of them */
    d->eval_guest = true;
    return 0;
}

bool ui_dbg_symbol_addr(const ui_dbg_t *dbg, const char *name, uint32_t *addr)
{
    ui_dbg_t *d = (ui_dbg_t *)dbg; /* a failure leaves its sentence */
    int vm;
    return dbg_symbol_find(d, name, addr, &vm) == 0;
}

const cpu_symbol_t *ui_dbg_vm_symbols(const ui_dbg_t *dbg, int vm, size_t *n)
{
    unsigned t = vm >= 0 && vm < UI_DBG_MAX_VMS ? (unsigned)vm + 1 : 0;
    *n = dbg->tab_n[t];
    return dbg->tab[t];
}

int ui_dbg_use_vm(ui_dbg_t *dbg, int vm)
{
    if (vm != UI_DBG_ANY_VM && dbg_check_vm(dbg, vm) != 0)
        return -1;
    dbg->use_vm = vm;
    return 0;
}

int ui_dbg_parse_location(ui_dbg_t *dbg, const char *text, ui_dbg_space_t *space, uint32_t *addr,
                          int *vm)
{
    int by_line = dbg_parse_file_line(dbg, text, space, addr, vm); /* "kernel.s:120" */
    if (by_line != 0)
        return by_line > 0 ? 0 : -1;
    *space = ui_dbg_default_space(dbg);
    bool given = false;
    const char *colon = strchr(text, ':');
    if (colon) { /* a space prefix, unless it is a VM's name ("tinyos:disk_read") */
        char name[8];
        snprintf(name, sizeof name, "%.*s", (int)(colon - text < 7 ? colon - text : 7), text);
        int s = ui_dbg_space_by_name(name);
        const char *bare;
        if (s >= 0) {
            *space = (ui_dbg_space_t)s;
            given = true;
            text = colon + 1;
        } else if (qualified(dbg, text, &bare) < 0) {
            return dbg_fail(dbg, "Unknown address space \"%.*s\": use hpa:, gpa: or gva:%s.",
                            (int)(colon - text), text, has_vms(dbg) ? ", or a VM's name" : "");
        }
    }
    if (*text == '*')
        text++; /* gdb's `break *ADDR` */
    uint64_t v;
    if (ui_dbg_eval(dbg, text, &v) != 0)
        return -1;
    if (!given && dbg->eval_guest)
        *space = UI_DBG_SPACE_GVA; /* a guest's symbol is a guest-virtual address */
    if (v > 0xffffffffu)
        return dbg_fail(dbg, "0x%llx is beyond the 32-bit address space.", (unsigned long long)v);
    *addr = (uint32_t)v;
    *vm = *space == UI_DBG_SPACE_HPA ? UI_DBG_ANY_VM : dbg->eval_vm;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * info symbol
 * ------------------------------------------------------------------------------------------ */
/* "disk_read + 8" or "disk_read" in a table, false when no symbol is near. */
static bool near(const cpu_symbol_t *syms, size_t n, uint32_t addr, char *buf, size_t len)
{
    uint32_t off;
    const cpu_symbol_t *s = cpu_syms_lookup(syms, n, addr, &off);
    if (!s || off >= SYMBOL_REACH)
        return false;
    if (off)
        snprintf(buf, len, "%s + %u", s->name, off);
    else
        snprintf(buf, len, "%s", s->name);
    return true;
}

int ui_dbg_info_symbol(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, int vm, char *buf,
                       size_t len)
{
    char what[128];
    const char *sp = ui_dbg_space_name(space);
    if (space == UI_DBG_SPACE_HPA || !has_vms(dbg)) {
        size_t n;
        const cpu_symbol_t *syms = table_for(dbg, space, &n);
        if (!near(syms, n, addr, what, sizeof what))
            return dbg_fail(dbg, "No symbol matches %s 0x%08x%s.", sp, addr,
                            has_vms(dbg) ? " (guest symbols name guest addresses: gva or gpa)"
                                         : "");
        snprintf(buf, len, "%s in the %s's symbols (%s 0x%08x)", what,
                 has_vms(dbg) ? "hypervisor" : "program", sp, addr);
        return 0;
    }
    if (vm < 0)
        vm = dbg_space_vm(dbg);
    if (vm < 0)
        return dbg_fail(dbg,
                        "%s 0x%08x: whose? The focus is the hypervisor: \"focus VM\" first, "
                        "or give the VM (\"info symbol tinyos:NAME\").",
                        sp, addr);
    size_t n;
    const cpu_symbol_t *syms = ui_dbg_vm_symbols(dbg, vm, &n);
    if (!near(syms, n, addr, what, sizeof what))
        return dbg_fail(dbg, "No symbol of %s matches %s 0x%08x.", dbg_vm_name(dbg, vm), sp, addr);
    snprintf(buf, len, "%s in %s (%s 0x%08x)", what, dbg_vm_name(dbg, vm), sp, addr);
    return 0;
}
