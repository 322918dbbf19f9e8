/*
 * sim_image_internal.h - what the disk image reader (sim_image.c, sim_image_check.c) and
 * builder (sim_image_build.c) share: little-endian field access and the name rules.
 * The format itself is drawn in sim.h and specified in docs/disk-image.md.
 */
#ifndef HVSIM_SIM_IMAGE_INTERNAL_H
#define HVSIM_SIM_IMAGE_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "sim.h"

static inline uint32_t simg_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void simg_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

/* Sectors needed for `bytes` bytes, without overflow for any u32. */
static inline uint32_t simg_sectors(uint32_t bytes)
{
    return (uint32_t)(((uint64_t)bytes + SIM_SECTOR_SIZE - 1) / SIM_SECTOR_SIZE);
}

/* Checks a C-string name against the name rules: 1..max characters of [A-Za-z0-9._-], not "."
 * or "..". Returns NULL when good, or a short phrase saying what is wrong (into why). */
const char *simg_name_problem(const char *name, size_t max, char *why, size_t why_len);

/* The same for a stored, NUL-padded name field of field_len bytes (max = field_len - 1): also
 * checks that it is NUL-terminated and that every byte after the NUL is zero. */
const char *simg_field_name_problem(const uint8_t *field, size_t field_len, char *why,
                                    size_t why_len);

/* Makes room for one more element in a growing array (doubling). Returns false, with the array
 * unchanged, when memory is out. */
bool simg_grow(void **arr, size_t *cap, size_t used, size_t elem);

/* Copies a stored name field that passed simg_field_name_problem into a C string. */
static inline void simg_field_name(const uint8_t *field, size_t field_len, char *out)
{
    memcpy(out, field, field_len);
    out[field_len - 1] = '\0';
}

#endif
