/*
 * debug_bpx.c - what gdb adds to a breakpoint: tbreak (deleted at its first stop), a condition
 * (`break LOC if EXPR`, `condition N EXPR`), an ignore count (`ignore N COUNT`) and commands
 * to run at its stops (`commands N` ... `end`); and the displays, expressions shown after
 * every stop (`display/FMT EXPR`).
 *
 * A breakpoint that matches asks dbg_bp_fires whether it stops the machine: the hit is counted
 * when its condition holds, and passed over while hits are to be ignored, as in gdb.
 */
#include <stdlib.h>
#include <string.h>

#include "debug_internal.h"

bool dbg_bp_fires(ui_dbg_t *d, ui_dbg_bp_t *bp, const cpu_t *cpu)
{
    uint64_t v = 1;
    /* A condition that cannot be evaluated stops the machine, so the student sees why. */
    if (bp->cond && ui_dbg_cond_eval(d, bp->cond, cpu, &v) == 0 && v == 0)
        return false;
    bp->hits++;
    if (bp->ignore) {
        bp->ignore--;
        return false;
    }
    return true;
}

void dbg_bp_release(ui_dbg_bp_t *bp)
{
    ui_dbg_cond_free(bp->cond);
    free(bp->commands);
    bp->cond = NULL;
    bp->commands = NULL;
}

int ui_dbg_tbreak_addr(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, int cpu, int vm)
{
    int id = ui_dbg_break_addr(dbg, space, addr, cpu, vm);
    if (id > 0)
        dbg_find_bp(dbg, id)->temporary = true;
    return id;
}

int ui_dbg_bp_condition(ui_dbg_t *dbg, int id, const char *text)
{
    ui_dbg_bp_t *bp = dbg_find_bp(dbg, id);
    if (!bp)
        return -1;
    ui_dbg_cond_t *c = NULL;
    if (text && *text && !(c = ui_dbg_cond_parse(dbg, text)))
        return -1;
    ui_dbg_cond_free(bp->cond);
    bp->cond = c;
    return 0;
}

int ui_dbg_bp_ignore(ui_dbg_t *dbg, int id, uint64_t count)
{
    ui_dbg_bp_t *bp = dbg_find_bp(dbg, id);
    if (!bp)
        return -1;
    bp->ignore = count;
    return 0;
}

int ui_dbg_bp_set_commands(ui_dbg_t *dbg, int id, const char *text)
{
    ui_dbg_bp_t *bp = dbg_find_bp(dbg, id);
    if (!bp)
        return -1;
    char *copy = text && *text ? strdup(text) : NULL;
    if (text && *text && !copy)
        return dbg_fail(dbg, "out of memory");
    free(bp->commands);
    bp->commands = copy;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Displays
 * ------------------------------------------------------------------------------------------ */
int ui_dbg_display_add(ui_dbg_t *dbg, char fmt, const char *expr)
{
    if (fmt == 0)
        fmt = 'x';
    if (!strchr("xdutci", fmt))
        return dbg_fail(dbg, "Unknown display format /%c: use x, d, u, t, c or i.", fmt);
    if (dbg->ndisplays == UI_DBG_MAX_DISPLAYS)
        return dbg_fail(dbg, "There are already %d displays; \"undisplay N\" removes one.",
                        UI_DBG_MAX_DISPLAYS);
    ui_dbg_cond_t *c = ui_dbg_cond_parse(dbg, expr);
    if (!c)
        return -1;
    ui_dbg_display_t *disp = &dbg->displays[dbg->ndisplays++];
    disp->id = dbg->next_display++;
    disp->fmt = fmt;
    disp->expr = c;
    return disp->id;
}

int ui_dbg_display_delete(ui_dbg_t *dbg, int id)
{
    for (size_t i = 0; i < dbg->ndisplays; i++) {
        if (dbg->displays[i].id != id)
            continue;
        ui_dbg_cond_free(dbg->displays[i].expr);
        memmove(&dbg->displays[i], &dbg->displays[i + 1],
                (dbg->ndisplays - i - 1) * sizeof dbg->displays[0]);
        dbg->ndisplays--;
        return 0;
    }
    return dbg_fail(dbg, "There is no display %d (\"info display\" lists them).", id);
}

size_t ui_dbg_display_count(const ui_dbg_t *dbg)
{
    return dbg->ndisplays;
}

const ui_dbg_display_t *ui_dbg_display(const ui_dbg_t *dbg, size_t index)
{
    return index < dbg->ndisplays ? &dbg->displays[index] : NULL;
}

/* A value in a gdb format letter. */
static void format_value(char fmt, uint64_t v, char *buf, size_t len)
{
    uint32_t w = (uint32_t)v;
    switch (fmt) {
    case 'd': snprintf(buf, len, "%d", (int32_t)w); break;
    case 'u': snprintf(buf, len, "%u", w); break;
    case 'c': snprintf(buf, len, "%u '%c'", w & 0xff, w >= 0x20 && w < 0x7f ? (int)w : '.'); break;
    case 't': {
        int top = 31;
        while (top > 0 && !(w >> top & 1))
            top--;
        size_t i = 0;
        for (int b = top; b >= 0 && i + 1 < len; b--)
            buf[i++] = (char)('0' + (w >> b & 1));
        buf[i] = '\0';
        break;
    }
    default: snprintf(buf, len, "0x%08x", w); break;
    }
}

void ui_dbg_display_text(ui_dbg_t *dbg, const ui_dbg_display_t *disp, char *buf, size_t len)
{
    uint64_t v;
    char val[96], sym[96], insn[96];
    const char *text = ui_dbg_cond_text(disp->expr);
    if (ui_dbg_cond_eval(dbg, disp->expr, dbg_eval_cpu(dbg), &v) != 0) {
        snprintf(buf, len, "%d: /%c %s = (cannot be shown now: %s)", disp->id, disp->fmt, text,
                 dbg->err);
        return;
    }
    if (disp->fmt == 'i') {
        if (!ui_dbg_disasm(dbg, ui_dbg_default_space(dbg), (uint32_t)v, insn, sizeof insn))
            snprintf(insn, sizeof insn, "(%.90s)", dbg->err);
        snprintf(buf, len, "%d: x/i %s\n   0x%08x%s:  %s", disp->id, text, (uint32_t)v,
                 ui_dbg_symbolize(dbg, (uint32_t)v, sym, sizeof sym), insn);
        return;
    }
    format_value(disp->fmt, v, val, sizeof val);
    snprintf(buf, len, "%d: /%c %s = %s", disp->id, disp->fmt, text, val);
}

void dbg_free_extras(ui_dbg_t *d)
{
    for (size_t i = 0; i < d->ndisplays; i++)
        ui_dbg_cond_free(d->displays[i].expr);
    d->ndisplays = 0;
    dbg_free_lines(d);
}
