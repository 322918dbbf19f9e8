/*
 * ui_hvsim.h - what the hvsim command's own files share.
 */
#ifndef HVSIM_UI_HVSIM_H
#define HVSIM_UI_HVSIM_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *program; /* .s or .bin */
    const char *input;   /* console input file, or NULL */
    uint64_t max_cycles;
    uint32_t ram_size;
    uint32_t base;       /* load address of a .bin */
    bool stats, trace;
} ui_bare_options_t;

/* Runs a program on the bare machine; returns the process exit status. */
int ui_run_bare(const ui_bare_options_t *opt);
/* `hvsim walkdemo`: one cold page walk, printed reference by reference (walkdemo.c). */
int ui_cmd_walkdemo(int argc, char **argv);
/* Parses "123", "0x10", "64K", "16M". */
bool ui_parse_size(const char *text, uint64_t *out);

#endif
