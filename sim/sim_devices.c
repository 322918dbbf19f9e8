/*
 * sim_devices.c - the built-in devices of the bare machine: the console UART and the
 * power-off device that ends a run with an exit code.
 *
 * Devices see only register reads and writes from the bus and raise interrupt lines; they
 * never touch a CPU's registers or memory directly.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

/* UART registers (port offset; word index in the MMIO window). */
enum { UART_DATA = 0, UART_STATUS = 1, UART_CONTROL = 2 };
#define UART_STATUS_INPUT_READY 0x1u
#define UART_STATUS_OUTPUT_READY 0x2u
#define UART_CONTROL_IRQ 0x1u

/* ------------------------------------------------------------------------------------------
 * A bounded text: the console's capture here, each VM's transcript in the hypervisor
 * ------------------------------------------------------------------------------------------ */
/* Makes room for n more bytes within `limit`: the oldest go, in one move of what is kept (the
 * latest half a limit, less the n coming). */
static void drop_oldest(sim_keep_t *k, size_t n, size_t limit)
{
    if (k->len + n <= limit)
        return;
    size_t keep_len = n >= limit / 2 ? 0 : limit / 2 - n;
    keep_len = keep_len < k->len ? keep_len : k->len;
    memmove(k->text, k->text + k->len - keep_len, keep_len);
    k->dropped += k->len - keep_len;
    k->len = keep_len;
    k->text[k->len] = '\0';
}

void sim_keep_add(sim_keep_t *k, const char *bytes, size_t n, size_t limit)
{
    if (n > limit) { /* more than the whole budget at once: its end only */
        k->dropped += n - limit;
        bytes += n - limit;
        n = limit;
    }
    if (k->text)
        drop_oldest(k, n, limit);
    if (k->len + n + 1 > k->cap) {
        size_t cap = k->cap ? k->cap : 256;
        while (cap < k->len + n + 1)
            cap *= 2;
        char *p = realloc(k->text, cap);
        if (!p)
            return; /* out of host memory: the bytes are still printed, just not kept */
        k->text = p;
        k->cap = cap;
    }
    memcpy(k->text + k->len, bytes, n);
    k->len += n;
    k->text[k->len] = '\0';
}

void sim_keep_free(sim_keep_t *k)
{
    free(k->text);
    *k = (sim_keep_t){0};
}

/* ------------------------------------------------------------------------------------------
 * The UART
 * ------------------------------------------------------------------------------------------ */
static bool input_ready(const sim_console_t *c)
{
    return c->input && c->in_pos < c->in_len;
}

/* The UART raises its line on every CPU's controller input 1 while input waits (level). */
static void update_uart_irq(sim_machine_t *m)
{
    bool level = m->console.irq_enabled && input_ready(&m->console);
    for (unsigned i = 0; i < m->ncpus; i++)
        cpu_set_irq(&m->cpu[i], SIM_UART_IRQ, level && i == 0);
}

static uint32_t uart_read(void *ctx, uint32_t reg)
{
    sim_machine_t *m = ctx;
    sim_console_t *c = &m->console;
    switch (reg) {
    case UART_DATA: {
        if (!input_ready(c))
            return 0xffffffffu;
        uint32_t ch = (uint8_t)c->input[c->in_pos++];
        update_uart_irq(m);
        return ch;
    }
    case UART_STATUS: return UART_STATUS_OUTPUT_READY | (input_ready(c) ? UART_STATUS_INPUT_READY : 0);
    case UART_CONTROL: return c->irq_enabled ? UART_CONTROL_IRQ : 0;
    default: return 0xffffffffu;
    }
}

static void uart_write(void *ctx, uint32_t reg, uint32_t value)
{
    sim_machine_t *m = ctx;
    sim_console_t *c = &m->console;
    if (reg == UART_DATA) {
        char ch = (char)(value & 0xff);
        if (c->out)
            fputc(ch, c->out);
        sim_keep_add(&c->capture, &ch, 1, SIM_CONSOLE_KEEP);
    } else if (reg == UART_CONTROL) {
        c->irq_enabled = value & UART_CONTROL_IRQ;
        update_uart_irq(m);
    }
}

void sim_add_uart(sim_machine_t *m)
{
    sim_device_t uart = {.name = "uart", .mmio_base = SIM_UART_MMIO, .mmio_size = 16,
                         .port_base = SIM_UART_PORT, .port_count = 3, .ctx = m,
                         .read = uart_read, .write = uart_write};
    SIM_ASSERT(sim_add_device(m, &uart) == 0);
}

static uint32_t power_read(void *ctx, uint32_t reg)
{
    (void)ctx;
    (void)reg;
    return 0;
}

static void power_write(void *ctx, uint32_t reg, uint32_t value)
{
    sim_machine_t *m = ctx;
    if (reg != 0 || m->powered_off)
        return;
    m->powered_off = true;
    m->exit_code = value;
    cpu_t *cpu = m->io_cpu;
    sim_event_t ev = {.cycle = cpu ? cpu->s.cycles : 0, .kind = SIM_EV_POWEROFF,
                      .cpu = cpu ? cpu->s.id : 0, .mode = cpu ? (uint8_t)cpu_mode(cpu) : 0,
                      .vm = -1, .vcpu = -1, .pc = cpu ? cpu->s.pc : 0, .a = value};
    sim_emit(m, &ev);
    if (m->console.out)
        fflush(m->console.out);
}

void sim_add_power(sim_machine_t *m)
{
    sim_device_t power = {.name = "power", .mmio_base = SIM_POWER_MMIO, .mmio_size = 4,
                          .port_base = SIM_POWER_PORT, .port_count = 1, .ctx = m,
                          .read = power_read, .write = power_write};
    SIM_ASSERT(sim_add_device(m, &power) == 0);
}

void sim_console_set_output(sim_machine_t *m, FILE *out)
{
    m->console.out = out;
}

void sim_console_set_input(sim_machine_t *m, const char *text, size_t len)
{
    sim_console_t *c = &m->console;
    free(c->input);
    c->input = NULL;
    c->in_len = c->in_pos = 0;
    if (len) {
        c->input = malloc(len);
        if (!c->input)
            return;
        memcpy(c->input, text, len);
        c->in_len = len;
    }
    update_uart_irq(m);
}

bool sim_console_waits_for_input(const sim_machine_t *m)
{
    return m->console.irq_enabled && !input_ready(&m->console);
}

const char *sim_console_captured(const sim_machine_t *m)
{
    return m->console.capture.text ? m->console.capture.text : "";
}

uint64_t sim_console_dropped(const sim_machine_t *m)
{
    return m->console.capture.dropped;
}
