/*
 * gui_textcache.c - strings already drawn, kept as ready-made textures: a panel redraws mostly
 * the same text frame after frame (titles, register names, console lines), and one copy of a
 * whole string costs a fraction of one copy per glyph. The key is the string with its font and
 * colour. A string gets its texture the second time it is drawn, so a figure that changes
 * every frame (the cycle counter) costs no texture at all. The cache holds at most
 * GUI_TEXTCACHE_ENTRIES strings; when full, a clock hand gives the place of one not drawn
 * lately (an approximation of least recently used that costs nothing per hit).
 */
#include <stdlib.h>
#include <string.h>

#include "gui_internal.h"

#define BUCKETS (2 * GUI_TEXTCACHE_ENTRIES)
#define NONE (-1)

typedef struct {
    char *s; /* NULL: a free place */
    uint32_t hash, rgb;
    int font;
    gui_cached_text_t text; /* tex NULL until the string is drawn a second time */
    bool referenced;        /* drawn since the clock hand last passed */
    int next;               /* the next entry in the same bucket, or NONE */
} entry_t;

struct gui_textcache {
    entry_t e[GUI_TEXTCACHE_ENTRIES];
    int bucket[BUCKETS];
    unsigned hand;
};

/* FNV-1a over the string, then the font and colour. */
static uint32_t hash_key(int font, uint32_t rgb, const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    h = (h ^ (uint32_t)font) * 16777619u;
    return (h ^ rgb) * 16777619u;
}

static struct gui_textcache *cache(gui_t *g)
{
    if (!g->textcache) {
        g->textcache = calloc(1, sizeof *g->textcache);
        if (g->textcache)
            for (int i = 0; i < BUCKETS; i++)
                g->textcache->bucket[i] = NONE;
    }
    return g->textcache;
}

/* Takes entry i out of its bucket's chain and frees what it holds. */
static void evict(struct gui_textcache *c, int i)
{
    entry_t *e = &c->e[i];
    int *link = &c->bucket[e->hash % BUCKETS];
    while (*link != i)
        link = &c->e[*link].next;
    *link = e->next;
    if (e->text.tex)
        SDL_DestroyTexture(e->text.tex);
    free(e->s);
    memset(e, 0, sizeof *e);
}

/* A place for a new entry: a free one, or the first the clock hand finds not drawn lately. */
static int place(struct gui_textcache *c)
{
    for (;;) {
        unsigned i = c->hand++ % GUI_TEXTCACHE_ENTRIES;
        entry_t *e = &c->e[i];
        if (!e->s)
            return (int)i;
        if (!e->referenced) {
            evict(c, (int)i);
            return (int)i;
        }
        e->referenced = false;
    }
}

gui_cached_text_t *gui_textcache_find(gui_t *g, int font, uint32_t rgb, const char *s)
{
    struct gui_textcache *c = cache(g);
    if (!c)
        return NULL;
    uint32_t h = hash_key(font, rgb, s);
    for (int i = c->bucket[h % BUCKETS]; i != NONE; i = c->e[i].next) {
        entry_t *e = &c->e[i];
        if (e->hash == h && e->font == font && e->rgb == rgb && strcmp(e->s, s) == 0) {
            e->referenced = true;
            return &e->text;
        }
    }
    int i = place(c);
    entry_t *e = &c->e[i];
    e->s = strdup(s);
    if (!e->s)
        return NULL;
    e->hash = h;
    e->rgb = rgb;
    e->font = font;
    e->referenced = true;
    e->next = c->bucket[h % BUCKETS];
    c->bucket[h % BUCKETS] = i;
    return &e->text;
}

void gui_textcache_clear(gui_t *g)
{
    struct gui_textcache *c = g->textcache;
    if (!c)
        return;
    for (int i = 0; i < GUI_TEXTCACHE_ENTRIES; i++)
        if (c->e[i].s)
            evict(c, i);
    free(c);
    g->textcache = NULL;
}

unsigned gui_textcache_count(const gui_t *g, unsigned *textures)
{
    unsigned n = 0;
    *textures = 0;
    for (int i = 0; g->textcache && i < GUI_TEXTCACHE_ENTRIES; i++) {
        n += g->textcache->e[i].s != NULL;
        *textures += g->textcache->e[i].text.tex != NULL;
    }
    return n;
}
