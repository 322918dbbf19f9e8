/*
 * gui_module.c - the window as a module that hvsim loads only when it is asked for.
 *
 * The window (ui/gui) draws with SDL2, SDL2_ttf and SDL2_image, which bring some 75 shared
 * libraries with them. Linked into hvsim, they were loaded and their symbols looked up at every
 * start: 11 ms for `hvsim --version`, against 1 ms for hvasm, for the many runs that open no
 * window. So the window is a shared object of its own, hvsim-gui.so beside the hvsim binary
 * (the Makefile builds both), and the four entry points of ui_gui.h that hvsim calls are
 * defined here: each loads the module on first use and calls the module's function of the same
 * name.
 *
 * The module calls back into hvsim (the core, the debugger, the REPL, the scenarios). hvsim is
 * linked with -rdynamic, and with the whole of its libraries, so that those calls resolve to the
 * executable's own functions: one copy of the machine's code and of every global. dlsym on the
 * module's handle looks in the module and its libraries only, never in the executable, so it
 * finds the module's ui_gui_main, not this file's; and these definitions are hidden (not
 * exported), so the module cannot bind to them by mistake either.
 */
#include <dlfcn.h>
#include <stdlib.h>

#include "../gui/ui_gui.h"
#include "ui_hvsim.h"

#define GUI_MODULE "hvsim-gui.so"
#define LOADER __attribute__((visibility("hidden")))

/* The module, loaded on the first call; NULL when it could not be, with why in load_error. */
static void *module;
static char module_path[4200];
static char load_error[4400];

static void *load_module(void)
{
    static bool tried;
    if (tried)
        return module;
    tried = true;
    ui_beside_exe(NULL, GUI_MODULE, module_path, sizeof module_path);
    /* RTLD_NOW: a symbol the module needs and hvsim lacks fails here, whole, not mid-frame. */
    module = dlopen(module_path, RTLD_NOW | RTLD_LOCAL);
    if (!module)
        snprintf(load_error, sizeof load_error,
                 "cannot load the window's module %s (make builds it beside hvsim): %s",
                 module_path, dlerror());
    return module;
}

/* The module's function `name`, or NULL after saying why on stderr (unless quiet). */
static void *gui_entry(const char *name, bool quiet)
{
    void *fn = NULL;
    if (load_module()) {
        fn = dlsym(module, name);
        if (!fn)
            snprintf(load_error, sizeof load_error, "%s is not the window's module: %s",
                     module_path, dlerror());
    }
    if (!fn && !quiet)
        fprintf(stderr, "hvsim: %s\n", load_error);
    return fn;
}

/* The entry points' types, for the pointers dlsym returns. */
typedef int gui_run_fn(const ui_gui_options_t *opt);
typedef int gui_plot_fn(const char *path, const char *title, const char *caption,
                        const ui_gui_bar_t *bars, size_t n);
typedef bool gui_probe_fn(void);

LOADER int ui_gui_main(const ui_gui_options_t *opt)
{
    gui_run_fn *fn = (gui_run_fn *)gui_entry("ui_gui_main", false);
    return fn ? fn(opt) : 1;
}

LOADER int ui_gui_screenshot(const ui_gui_options_t *opt)
{
    gui_run_fn *fn = (gui_run_fn *)gui_entry("ui_gui_screenshot", false);
    return fn ? fn(opt) : 1;
}

LOADER int ui_gui_plot_bars(const char *path, const char *title, const char *caption,
                            const ui_gui_bar_t *bars, size_t n)
{
    gui_plot_fn *fn = (gui_plot_fn *)gui_entry("ui_gui_plot_bars", false);
    return fn ? fn(path, title, caption, bars, n) : -1;
}

/* With no display named, the module is not even loaded. With one named but no module, hvsim
 * says why and goes on as it does without a display (the REPL, or the headless run). */
LOADER bool ui_gui_display_available(void)
{
    const char *x = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    if (!(x && *x) && !(wl && *wl))
        return false;
    gui_probe_fn *fn = (gui_probe_fn *)gui_entry("ui_gui_display_available", true);
    if (!fn) {
        fprintf(stderr, "hvsim: %s; no window, then\n", load_error);
        return false;
    }
    return fn();
}
