/*
 * gui_textlog.c - the text of a frame, kept for the tests: every string drawn, with where.
 * A test asks for it (ui_gui_keep_text), renders, and reads what a panel said
 * (ui_gui_panel_text) instead of guessing from pixels, e.g. that the registers panel shows
 * the same values as `info vcpus`. Off by default: a window keeps nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "gui_internal.h"

typedef struct {
    int x, y;
    char *s;
} drawn_t;

struct gui_textlog {
    drawn_t *v;
    size_t n, cap;
    char *panel_text; /* the last ui_gui_panel_text answer */
};

void ui_gui_keep_text(gui_t *g)
{
    if (!g->textlog)
        g->textlog = calloc(1, sizeof *g->textlog);
}

void gui_textlog_add(gui_t *g, int x, int y, const char *s)
{
    struct gui_textlog *t = g->textlog;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        drawn_t *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return; /* a test's log loses a line; the window goes on */
        t->v = v;
        t->cap = cap;
    }
    char *copy = strdup(s);
    if (copy)
        t->v[t->n++] = (drawn_t){x, y, copy};
}

void gui_textlog_clear(gui_t *g)
{
    struct gui_textlog *t = g->textlog;
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].s);
    t->n = 0;
}

void gui_textlog_free(gui_t *g)
{
    if (!g->textlog)
        return;
    gui_textlog_clear(g);
    free(g->textlog->v);
    free(g->textlog->panel_text);
    free(g->textlog);
    g->textlog = NULL;
}

/* Top to bottom, then left to right: reading order. */
static int by_place(const void *a, const void *b)
{
    const drawn_t *p = a, *q = b;
    return p->y != q->y ? (p->y > q->y) - (p->y < q->y) : (p->x > q->x) - (p->x < q->x);
}

const char *ui_gui_panel_text(gui_t *g, ui_gui_panel_t panel)
{
    struct gui_textlog *t = g->textlog;
    if (!t)
        return "";
    ui_gui_rect_t r = ui_gui_panel_rect(g, panel);
    qsort(t->v, t->n, sizeof *t->v, by_place);
    size_t len = 1;
    for (size_t i = 0; i < t->n; i++)
        len += strlen(t->v[i].s) + 1;
    free(t->panel_text);
    t->panel_text = calloc(1, len);
    if (!t->panel_text)
        return "";
    int last_y = -1;
    for (size_t i = 0; i < t->n; i++) {
        const drawn_t *d = &t->v[i];
        if (d->x < r.x || d->x >= r.x + r.w || d->y < r.y || d->y >= r.y + r.h)
            continue;
        if (last_y >= 0)
            strcat(t->panel_text, d->y == last_y ? " " : "\n");
        strcat(t->panel_text, d->s);
        last_y = d->y;
    }
    return t->panel_text;
}
