/*
 * test_tinyos_net.c - tinyos on the network: its card's driver (guestos/tinyos/net.inc) and
 * `ping`. Natively the card is the machine's own and the peer host at the end of its cable
 * answers; under the hypervisor (the built-in scenario `vswitch`) two tinyos VMs ping the peer
 * through the virtual switch's uplink and each other's kernel answers their broadcast, with
 * the round trips of the emulated I/O path. Exact transcripts: the run is deterministic.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "guest_util.h"

#define RAM (8u << 20)
#define MAX_CYCLES 400000000ull

/* Natively: three pings to the peer host and one to everyone, each answered by the peer, with
 * round trips of two wire times (2 x 1 120 cycles for 60 bytes) plus the driver's and the
 * polling's own; nothing else on the wire answers. */
Test(tinyos_net, ping_on_bare_hardware_exactly)
{
    static sim_machine_t m;
    cr_assert_eq(gu_boot(&m, "tinyos.img", RAM, "ping\npoweroff\n", MAX_CYCLES), SIM_RUN_POWEROFF,
                 "%s", sim_console_captured(&m));
    const char *out = sim_console_captured(&m);
    const char *want = "$ ping\n"
                       "ping 02:00:00:00:00:fe: pong from peer (02:00:00:00:00:fe) in 7813 cycles\n"
                       "ping 02:00:00:00:00:fe: pong from peer (02:00:00:00:00:fe) in 7813 cycles\n"
                       "ping 02:00:00:00:00:fe: pong from peer (02:00:00:00:00:fe) in 7813 cycles\n"
                       "ping ff:ff:ff:ff:ff:ff: pong from peer (02:00:00:00:00:fe) in 7813 cycles\n"
                       "$ poweroff\n";
    cr_expect(strstr(out, want) != NULL, "want:\n%s\nin:\n%s", want, out);
    cr_expect_eq(m.peer.answered, 4);
    cr_expect_eq(m.nic.tx_frames, 4);
    cr_expect_eq(m.nic.rx_frames, 4);
    sim_machine_free(&m);
}

/* Under the hypervisor: the whole transcript of `vswitch` (tests/data/guests/vswitch.txt). */
Test(tinyos_net, vswitch_scenario_exactly, .timeout = 120)
{
    gu_expect_transcript("vswitch");
}

static int by_text(const void *x, const void *y)
{
    return strcmp(x, y);
}

/* The console lines of one VM ("[a] ...") with the figures of timing lines (those that say
 * "cycles") dropped, sorted: what a run said, apart from when. */
static void untimed_lines(const char *out, const char *tag, size_t *n, char lines[][160])
{
    *n = 0;
    for (const char *l = out; *l && *n < 64;) {
        const char *end = strchr(l, '\n');
        size_t len = end ? (size_t)(end - l) : strlen(l);
        if (!strncmp(l, tag, strlen(tag)) && len < 160) {
            char line[160], *dst = lines[(*n)++];
            memcpy(line, l, len);
            line[len] = '\0';
            bool timing = strstr(line, "cycles") != NULL;
            size_t k = 0;
            for (size_t i = 0; i < len; i++)
                if (!timing || line[i] < '0' || line[i] > '9' || strchr(line, ']') > line + i)
                    dst[k++] = line[i];
            dst[k] = '\0';
        }
        l += len + (end != NULL);
    }
    qsort(lines, *n, 160, by_text);
}

/* The paravirtual card (nic = pv, docs/io.md): the same tinyos programs, unchanged, say the
 * same over the paravirtual queues as over the emulated card, apart from their timing lines
 * (whose figures differ, and with them the order in which the peer's and the other VM's
 * answers to a broadcast come). And the paravirtual run exits far less for the network. */
Test(tinyos_net, paravirtual_transcript_equals_the_emulated_one, .timeout = 240)
{
    int st1, st2;
    char *emu = th_sh("$B/hvsim --scenario vswitch", false, &st1);
    char *pv = th_sh("$B/hvsim scenario show vswitch | sed 's/^\\[vm .*\\]$/&\\nnic = pv/' > "
                     "$B/pv-vswitch.ini && $B/hvsim --scenario $B/pv-vswitch.ini",
                     false, &st2);
    cr_assert_eq(st1, 0);
    cr_assert_eq(st2, 0, "%s", pv);
    static char a[64][160], b[64][160];
    const char *tags[] = {"[a] ", "[b] "};
    for (unsigned t = 0; t < 2; t++) {
        size_t na, nb;
        untimed_lines(emu, tags[t], &na, a);
        untimed_lines(pv, tags[t], &nb, b);
        cr_expect_gt(na, 10);
        cr_expect_eq(na, nb, "%s: %zu lines emulated, %zu paravirtual", tags[t], na, nb);
        for (size_t i = 0; i < na && i < nb; i++)
            cr_expect_str_eq(a[i], b[i], "%s", tags[t]);
    }
    cr_expect(strstr(pv, "nic (paravirtual): 55 frames sent, 11 frames received") != NULL, "%s",
              pv);
    cr_expect(strstr(emu, "nic (paravirtual)") == NULL);
    free(emu);
    free(pv);
}
