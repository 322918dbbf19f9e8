/*
 * gui_text.c - text for the visualizer: one monospace font (DejaVu Sans Mono) in three styles,
 * each rendered once per size into a glyph atlas (a texture holding every glyph the panels use).
 * A string is then drawn glyph by glyph from the atlas, so that no frame renders a font: the
 * window keeps 60 frames per second however many numbers change between frames. A string
 * drawn again is made once into a texture of its own from the same glyphs (gui_textcache.c)
 * and copied whole: the same pixels, at one copy per string instead of one per glyph.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gui_internal.h"

#define FIRST_ASCII 32
#define NASCII 95 /* 32..126 */

/* The symbols beyond ASCII the panels draw; a missing one is drawn as '?'. */
static const uint32_t symbols[] = {
    0x25B6, /* ▶ the pc */
    0x25CF, /* ● a breakpoint */
    0x25A0, /* ■ a lit cell */
    0x25A1, /* □ an unlit cell */
    0x25BC, /* ▼ an exit or trap */
    0x25C6, /* ◆ an interrupt */
    0x00B7, /* · a separator */
    0x2192, /* → */
    0x00D7, /* × */
    0x2026, /* … */
    0x2588, /* █ */
    0x2502, /* │ */
    0x2190, /* ← */
    0x25B2, /* ▲ */
    0x2013, /* – */
    0x2022, /* • */
    0x2580, /* ▀ the ring strip on a lane */
};
#define NSYMBOLS (sizeof symbols / sizeof symbols[0])

/* Where Debian (fonts-dejavu-core) and other systems keep the font. */
static const char *const font_paths[] = {
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/TTF/DejaVuSansMono.ttf",
    "/usr/share/fonts/dejavu/DejaVuSansMono.ttf",
    "/usr/local/share/fonts/DejaVuSansMono.ttf",
};

int gui_font_find(char *path, size_t len)
{
    const char *env = getenv("HVSIM_FONT");
    path[0] = '\0';
    if (env && *env) {
        if (access(env, R_OK) != 0) {
            fprintf(stderr, "hvsim: HVSIM_FONT=%s: cannot read the font file\n", env);
            return -1;
        }
        snprintf(path, len, "%s", env);
    } else {
        for (size_t i = 0; i < sizeof font_paths / sizeof font_paths[0] && !path[0]; i++)
            if (access(font_paths[i], R_OK) == 0)
                snprintf(path, len, "%s", font_paths[i]);
        if (!path[0]) {
            fprintf(stderr, "hvsim: no font for the window: install fonts-dejavu-core (make run "
                            "does), or set HVSIM_FONT to a monospace .ttf file\n");
            return -1;
        }
    }
    if (!TTF_WasInit() && TTF_Init() != 0) {
        fprintf(stderr, "hvsim: cannot start SDL_ttf: %s\n", TTF_GetError());
        return -1;
    }
    return 0;
}

int gui_text_init(gui_t *g)
{
    return gui_font_find(g->font_path, sizeof g->font_path);
}

static void free_font(gui_font_t *f)
{
    for (unsigned i = 0; i < f->ntints; i++)
        SDL_DestroyTexture(f->tint[i].atlas);
    if (f->white)
        SDL_FreeSurface(f->white);
    if (f->font)
        TTF_CloseFont(f->font);
    memset(f, 0, sizeof *f);
}

/* The code point drawn in atlas slot i. */
static uint32_t slot_codepoint(unsigned i)
{
    return i < NASCII ? FIRST_ASCII + i : symbols[i - NASCII];
}

/* Renders every glyph of one style and size into an atlas texture. */
static int build_font(gui_t *g, gui_font_t *f, int size, bool bold)
{
    free_font(f);
    f->font = TTF_OpenFont(g->font_path, size);
    if (!f->font) {
        fprintf(stderr, "hvsim: %s: cannot open the font: %s\n", g->font_path, TTF_GetError());
        return -1;
    }
    if (bold)
        TTF_SetFontStyle(f->font, TTF_STYLE_BOLD);
    TTF_SetFontHinting(f->font, TTF_HINTING_LIGHT);
    f->size = size;
    f->lh = TTF_FontLineSkip(f->font);
    f->ascent = TTF_FontAscent(f->font);
    int minx, maxx, miny, maxy, adv;
    f->cw = TTF_GlyphMetrics32(f->font, 'M', &minx, &maxx, &miny, &maxy, &adv) == 0 ? adv
                                                                                    : size / 2;
    unsigned nslots = NASCII + NSYMBOLS, cols = 16, rows = (nslots + cols - 1) / cols;
    int cellw = f->cw + 2, cellh = f->lh + 4; /* glyphs reach a little below the line */
    SDL_Surface *atlas = SDL_CreateRGBSurfaceWithFormat(0, (int)cols * cellw, (int)rows * cellh,
                                                        32, SDL_PIXELFORMAT_ARGB8888);
    if (!atlas)
        return -1;
    SDL_FillRect(atlas, NULL, 0);
    SDL_SetSurfaceBlendMode(atlas, SDL_BLENDMODE_NONE); /* copied from, never blended */
    SDL_Color white = {255, 255, 255, 255};
    for (unsigned i = 0; i < nslots; i++) {
        uint32_t cp = slot_codepoint(i);
        SDL_Rect *r = &f->glyph[i];
        r->x = (int)(i % cols) * cellw;
        r->y = (int)(i / cols) * cellh;
        r->w = f->cw;
        r->h = f->lh;
        if (cp != ' ' && !TTF_GlyphIsProvided32(f->font, cp)) {
            *r = f->glyph['?' - FIRST_ASCII];
            continue;
        }
        int gminx, gmaxx, gminy, gmaxy, gadv; /* the rows it inks, for the overlap check */
        if (TTF_GlyphMetrics32(f->font, cp, &gminx, &gmaxx, &gminy, &gmaxy, &gadv) == 0) {
            f->ink_top[i] = (int8_t)SDL_clamp(f->ascent - gmaxy, 0, f->lh);
            f->ink_bottom[i] = (int8_t)SDL_clamp(f->ascent - gminy, 0, f->lh);
        } else {
            f->ink_top[i] = 0;
            f->ink_bottom[i] = (int8_t)f->lh;
        }
        SDL_Surface *gs = TTF_RenderGlyph32_Blended(f->font, cp, white);
        if (!gs)
            continue;
        SDL_SetSurfaceBlendMode(gs, SDL_BLENDMODE_NONE);
        SDL_Rect dst = {r->x, r->y, gs->w < cellw ? gs->w : cellw, gs->h < cellh ? gs->h : cellh};
        r->h = dst.h;
        SDL_Rect src = {0, 0, dst.w, dst.h};
        SDL_BlitSurface(gs, &src, atlas, &dst);
        SDL_FreeSurface(gs);
    }
    f->white = atlas;
    return 0;
}

/* Colours the glyphs of a white surface: every pixel keeps its alpha and takes rgb. */
static void tint_surface(SDL_Surface *s, uint32_t rgb)
{
    SDL_LockSurface(s);
    for (int y = 0; y < s->h; y++) {
        uint32_t *row = (uint32_t *)((uint8_t *)s->pixels + (size_t)y * (size_t)s->pitch);
        for (int x = 0; x < s->w; x++)
            row[x] = (row[x] & 0xff000000u) | (rgb & 0xffffffu);
    }
    SDL_UnlockSurface(s);
}

/* The atlas of one colour, made from the white one the first time it is asked for. Colour
 * modulation would do the same per draw, but SDL's software renderer then rebuilds its blitter
 * at every colour change, which costs more than the drawing. */
static SDL_Texture *tinted(gui_t *g, gui_font_t *f, uint32_t rgb)
{
    for (unsigned i = 0; i < f->ntints; i++)
        if (f->tint[i].rgb == rgb)
            return f->tint[i].atlas;
    SDL_Surface *s = SDL_ConvertSurfaceFormat(f->white, SDL_PIXELFORMAT_ARGB8888, 0);
    if (!s)
        return NULL;
    tint_surface(s, rgb);
    SDL_Texture *t = SDL_CreateTextureFromSurface(g->ren, s);
    SDL_FreeSurface(s);
    if (!t)
        return NULL;
    SDL_SetTextureBlendMode(t, SDL_BLENDMODE_BLEND);
    unsigned slot;
    if (f->ntints < GUI_TINTS) {
        slot = f->ntints++;
    } else { /* full: the colours take turns leaving */
        slot = f->next_tint++ % GUI_TINTS;
        SDL_DestroyTexture(f->tint[slot].atlas);
    }
    f->tint[slot].rgb = rgb;
    f->tint[slot].atlas = t;
    return t;
}

int gui_text_layout(gui_t *g, int w, int h)
{
    int size = w / 104 < h / 60 ? w / 104 : h / 60;
    size = size < 10 ? 10 : size > 24 ? 24 : size;
    if (g->font[GUI_FONT_NORMAL].size == size)
        return 0;
    gui_textcache_clear(g); /* its strings were made of the old glyphs */
    int small = size * 5 / 6 < 9 ? 9 : size * 5 / 6;
    if (build_font(g, &g->font[GUI_FONT_NORMAL], size, false) != 0 ||
        build_font(g, &g->font[GUI_FONT_SMALL], small, false) != 0 ||
        build_font(g, &g->font[GUI_FONT_BOLD], size, true) != 0)
        return -1;
    return 0;
}

void gui_text_free(gui_t *g)
{
    gui_textcache_clear(g);
    for (int i = 0; i < GUI_FONT_COUNT; i++)
        free_font(&g->font[i]);
}

/* Decodes one UTF-8 character; returns its atlas slot and advances *s. */
static unsigned next_slot(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    uint32_t cp;
    int n;
    if (p[0] < 0x80)
        cp = p[0], n = 1;
    else if ((p[0] & 0xe0) == 0xc0 && p[1])
        cp = ((p[0] & 0x1fu) << 6) | (p[1] & 0x3fu), n = 2;
    else if ((p[0] & 0xf0) == 0xe0 && p[1] && p[2])
        cp = ((p[0] & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu), n = 3;
    else
        cp = '?', n = 1;
    *s += n;
    if (cp >= FIRST_ASCII && cp < FIRST_ASCII + NASCII)
        return cp - FIRST_ASCII;
    for (unsigned i = 0; i < NSYMBOLS; i++)
        if (symbols[i] == cp)
            return NASCII + i;
    return '?' - FIRST_ASCII;
}

static void note_layout_bug(gui_t *g, const char *what);

/* Text that runs past the clip rectangle it is drawn in (its panel) is cut: a bug of the
 * layout, recorded so that the tests find every one (ui_gui_clipped). */
static void note_clipping(gui_t *g, gui_font_id_t fid, int x, int y, const char *s)
{
    if (!SDL_RenderIsClipEnabled(g->ren))
        return;
    SDL_Rect c;
    SDL_RenderGetClipRect(g->ren, &c);
    int w = gui_text_width(g, fid, s), h = g->font[fid].lh;
    if (w == 0 || (x >= c.x && y >= c.y && x + w <= c.x + c.w && y + h <= c.y + c.h + 2))
        return;
    char what[256];
    snprintf(what, sizeof what, "clipped: \"%s\" at (%d,%d) w %d in clip (%d,%d %dx%d)", s, x, y, w,
             c.x, c.y, c.w, c.h);
    note_layout_bug(g, what);
}

static void note_layout_bug(gui_t *g, const char *what)
{
    if (getenv("HVSIM_GUI_CLIP_LOG")) /* every one, for whoever fixes a layout */
        fprintf(stderr, "%s\n", what);
    if (g->nclipped++ == 0)
        snprintf(g->clipped, sizeof g->clipped, "%s", what);
}

/* Keeps the box the run's ink lies in (its spaces at either end ink nothing) for
 * gui_text_overlaps. */
static void keep_run(gui_t *g, gui_font_id_t fid, int x, int y, const char *s)
{
    const gui_font_t *f = &g->font[fid];
    int lead = 0, n = 0, last = 0, top = f->lh, bottom = 0;
    if (g->nruns == GUI_RUNS)
        return;
    for (const char *p = s; *p; n++) {
        unsigned slot = next_slot(&p);
        if (slot == 0) { /* a space */
            lead += lead == n;
            continue;
        }
        last = n + 1;
        top = SDL_min(top, f->ink_top[slot]);
        bottom = SDL_max(bottom, f->ink_bottom[slot]);
    }
    if (last <= lead || bottom <= top)
        return;
    gui_run_t *r = &g->run[g->nruns++];
    *r = (gui_run_t){x + lead * f->cw, y + top, (last - lead) * f->cw, bottom - top, ""};
    snprintf(r->s, sizeof r->s, "%s", s);
}

/* Two runs overlap when their ink boxes share more than a pixel across (glyph cells touch)
 * and any row. */
void gui_text_overlaps(gui_t *g)
{
    for (unsigned i = 1; i < g->nruns; i++)
        for (unsigned j = 0; j < i; j++) {
            const gui_run_t *a = &g->run[i], *b = &g->run[j];
            int ox = SDL_min(a->x + a->w, b->x + b->w) - SDL_max(a->x, b->x);
            int oy = SDL_min(a->y + a->h, b->y + b->h) - SDL_max(a->y, b->y);
            if (ox <= 1 || oy <= 0)
                continue;
            char what[256];
            snprintf(what, sizeof what, "overlap: \"%s\" at (%d,%d) over \"%s\" at (%d,%d)", a->s,
                     a->x, a->y, b->s, b->x, b->y);
            note_layout_bug(g, what);
            break;
        }
}

/* The string as one texture: its glyphs copied side by side from the white atlas (glyphs
 * never overlap, so blending the whole equals blending each), then tinted. */
static bool render_string(gui_t *g, gui_font_t *f, uint32_t rgb, const char *s,
                          gui_cached_text_t *out)
{
    int n = 0, h = 1;
    for (const char *p = s; *p; n++) {
        int gh = f->glyph[next_slot(&p)].h; /* (not inside SDL_max: it evaluates twice) */
        h = gh > h ? gh : h;
    }
    SDL_Surface *surf =
        SDL_CreateRGBSurfaceWithFormat(0, SDL_max(n, 1) * f->cw, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!surf)
        return false;
    SDL_FillRect(surf, NULL, 0);
    for (int x = 0; *s; x += f->cw) {
        unsigned slot = next_slot(&s);
        SDL_Rect dst = {x, 0, f->glyph[slot].w, f->glyph[slot].h};
        if (slot != 0) /* not a space */
            SDL_BlitSurface(f->white, &f->glyph[slot], surf, &dst);
    }
    tint_surface(surf, rgb);
    out->tex = SDL_CreateTextureFromSurface(g->ren, surf);
    out->w = surf->w;
    out->h = surf->h;
    SDL_FreeSurface(surf);
    if (out->tex)
        SDL_SetTextureBlendMode(out->tex, SDL_BLENDMODE_BLEND);
    return out->tex != NULL;
}

/* Draws the string glyph by glyph from the atlas of its colour. */
static void draw_glyphs(gui_t *g, gui_font_t *f, int x, int y, uint32_t rgb, const char *s)
{
    SDL_Texture *atlas = tinted(g, f, rgb);
    if (!atlas)
        return;
    for (; *s; x += f->cw) {
        unsigned slot = next_slot(&s);
        if (slot != 0) { /* not a space */
            SDL_Rect dst = {x, y, f->glyph[slot].w, f->glyph[slot].h};
            SDL_RenderCopy(g->ren, atlas, &f->glyph[slot], &dst);
            g->text_copies++;
        }
    }
}

int gui_text(gui_t *g, gui_font_id_t fid, int x, int y, uint32_t rgb, const char *s)
{
    gui_font_t *f = &g->font[fid];
    if (!f->white || !*s)
        return 0;
    note_clipping(g, fid, x, y, s);
    keep_run(g, fid, x, y, s);
    if (g->textlog)
        gui_textlog_add(g, x, y, s);
    g->text_runs++;
    gui_cached_text_t *c = gui_textcache_find(g, (int)fid, rgb, s);
    if (c && !c->tex && c->seen++ > 0)
        render_string(g, f, rgb, s, c);
    if (c && c->tex) {
        SDL_Rect dst = {x, y, c->w, c->h};
        SDL_RenderCopy(g->ren, c->tex, NULL, &dst);
        g->text_copies++;
    } else {
        draw_glyphs(g, f, x, y, rgb, s);
    }
    return gui_text_width(g, fid, s);
}

int gui_textf(gui_t *g, gui_font_id_t f, int x, int y, uint32_t rgb, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return gui_text(g, f, x, y, rgb, buf);
}

int gui_text_fit(gui_t *g, gui_font_id_t f, int x, int y, int w, uint32_t rgb, const char *s)
{
    int cw = g->font[f].cw > 0 ? g->font[f].cw : 1, cols = w / cw;
    if (gui_text_width(g, f, s) <= w)
        return gui_text(g, f, x, y, rgb, s);
    if (cols < 1)
        return 0;
    char buf[512];
    const char *p = s;
    size_t n = 0;
    for (int c = 0; c < cols - 1 && *p && n < sizeof buf - 8; c++) { /* whole characters */
        const char *q = p;
        next_slot(&q);
        memcpy(buf + n, p, (size_t)(q - p));
        n += (size_t)(q - p);
        p = q;
    }
    memcpy(buf + n, "…", sizeof "…");
    return gui_text(g, f, x, y, rgb, buf);
}

int gui_text_width(const gui_t *g, gui_font_id_t f, const char *s)
{
    int n = 0;
    while (*s) {
        next_slot(&s);
        n++;
    }
    return n * g->font[f].cw;
}

/* Where the line that starts at s ends when lines hold `cols` characters (not bytes): at the
 * last space that fits, or mid-word only when a word is longer than a line. */
const char *gui_line_end(const char *s, int cols)
{
    const char *p = s, *brk = NULL;
    int n = 0;
    while (*p && n < cols) {
        if (*p == ' ')
            brk = p;
        p++;
        while ((*p & 0xc0) == 0x80)
            p++;
        n++;
    }
    if (!*p || *p == ' ')
        return p;
    return brk && brk > s ? brk : p;
}

static const char *skip_spaces(const char *s)
{
    while (*s == ' ')
        s++;
    return s;
}

bool gui_fits(gui_t *g, gui_font_id_t f, int y)
{
    if (!SDL_RenderIsClipEnabled(g->ren))
        return y + g->font[f].lh <= g->h;
    SDL_Rect c;
    SDL_RenderGetClipRect(g->ren, &c);
    return y + g->font[f].lh <= c.y + c.h + 2;
}

int gui_wrap_count(const char *s, int cols)
{
    int n = 0;
    cols = cols < 8 ? 8 : cols;
    for (; *s; n++)
        s = skip_spaces(gui_line_end(s, cols));
    return n;
}

int gui_text_wrap(gui_t *g, gui_font_id_t f, int x, int y, int w, uint32_t rgb, const char *s,
                  int max_lines)
{
    int cols = w / (g->font[f].cw > 0 ? g->font[f].cw : 1);
    char line[512];
    int lines = 0;
    cols = cols < 8 ? 8 : cols > (int)sizeof line - 1 ? (int)sizeof line - 1 : cols;
    while (*s && lines < max_lines && gui_fits(g, f, y + lines * g->font[f].lh)) {
        const char *end = gui_line_end(s, cols);
        size_t len = (size_t)(end - s) < sizeof line - 1 ? (size_t)(end - s) : sizeof line - 1;
        memcpy(line, s, len);
        line[len] = '\0';
        gui_text(g, f, x, y + lines * g->font[f].lh, rgb, line);
        lines++;
        s = skip_spaces(end);
    }
    return lines;
}
