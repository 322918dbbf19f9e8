/*
 * test_hv_telemetry.c - the rtos's periodic telemetry (guestos/rtos/net.inc, docs/io.md): the
 * built-in scenario `telemetry` runs rtos-net.img (the rtos with its network task) beside the
 * plain rtos. Its 25 frames cross its emulated card, the switch and the uplink to the peer
 * host; the capture read back with libpcap holds each with its content and its time; the
 * switch floods them (the peer never answers, so its address is never learned); and both
 * rtos meet every deadline, the plain one with exactly the figures it has everywhere else.
 */
#define _DEFAULT_SOURCE /* libpcap's headers use the BSD type names (u_int, u_char) */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../hypervisor/hv_internal.h"
#include "../support/harness.h"
#include "hv_util.h"

#define FRAMES 25
#define FRAME_LEN 82
#define PERIOD 6000000u /* 2 ms at the model's 3 GHz */

static uint32_t word_at(const u_char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Runs the scenario to its end, capturing to `pcap` unless it is NULL. */
static hv_t *run_telemetry(hv_scenario_t *sc, sim_machine_t *m, const char *pcap)
{
    hv_t *hv = hu_scenario(sc, m, "telemetry");
    if (pcap)
        cr_assert_eq(hv_vswitch_capture(hv, pcap, stderr), 0);
    cr_assert_eq(hv_run(hv, sc->max_cycles), SIM_RUN_POWEROFF);
    if (pcap)
        cr_assert_eq(hv_vswitch_capture_end(hv, stderr), 0);
    return hv;
}

/* A fresh capture file's path (static). */
static const char *capture_path(void)
{
    static char dir[] = "/tmp/hvsim-tele-XXXXXX", path[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/telemetry.pcap", dir);
    return path;
}

static void remove_capture(const char *path)
{
    char dir[64];
    snprintf(dir, sizeof dir, "%s", path);
    remove(path);
    *strrchr(dir, '/') = '\0';
    rmdir(dir);
}

/* Every frame, read back: to the peer from the telemetry VM's card, the tag, its job's number
 * and release (j x 2 ms exactly), and its time: the capture's stamp is the cycle the frame
 * entered the switch, the payload's `now` the guest's clock when the job built it, so the
 * two differ by the same t0 plus the driver's three exits and the virtual card's wire time
 * for every frame but the first, whose STATUS write finds no TX_DONE to clear (the trace:
 * its `emulate` takes 2 cycles less). The task figures it carries are the table's then. */
Test(hv_telemetry, frames_read_back_with_their_content_and_period)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    const char *path = capture_path();
    hv_t *hv = run_telemetry(&sc, &m, path);
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
    cr_assert_not_null(p, "%s", err);
    static const u_char peer[6] = {2, 0, 0, 0, 0, 0xfe}, card[6] = {2, 0, 0, 1, 0, 2};
    struct pcap_pkthdr *h;
    const u_char *d;
    uint64_t stamp[FRAMES], now[FRAMES];
    for (unsigned i = 0; i < FRAMES; i++) {
        cr_assert_eq(pcap_next_ex(p, &h, &d), 1, "frame %u", i);
        cr_assert_eq(h->caplen, FRAME_LEN);
        cr_expect_eq(memcmp(d, peer, 6), 0, "frame %u: to the peer host", i);
        cr_expect_eq(memcmp(d + 6, card, 6), 0, "frame %u: from telemetry's card", i);
        cr_expect(d[12] == 0x88 && d[13] == 0xb5);
        cr_expect_str_eq((const char *)d + 14, "rtos telemetry");
        cr_expect_eq(word_at(d + 30), i, "its job's number");
        cr_expect_eq(word_at(d + 34), i * PERIOD, "frame %u: released at j x 2 ms", i);
        cr_expect_eq(word_at(d + 42), 0, "no deadline missed so far");
        cr_expect_eq(word_at(d + 46), 2 * i + 1, "frame %u: the sensor ran at 0, 1, ... 2j ms", i);
        stamp[i] = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
        now[i] = word_at(d + 38);
        cr_expect_geq(now[i], i * PERIOD);
    }
    cr_expect_eq(pcap_next_ex(p, &h, &d), PCAP_ERROR_BREAK, "25 frames, no more");
    pcap_close(p);
    /* the first job: the sensor's (released with it, due first) ran before it */
    cr_expect_eq(now[0], 422727);
    cr_expect_eq(stamp[0], 808051, "docs/io.md");
    for (unsigned i = 1; i < FRAMES; i++)
        cr_expect_eq(stamp[i] - now[i], stamp[1] - now[1], "frame %u", i);
    cr_expect_eq(stamp[0] - now[0] + 2, stamp[1] - now[1]);
    cr_expect_eq(stamp[1] - stamp[0], PERIOD + 54, "job 1 built 54 cycles later in its period");
    cr_expect_eq(hv->vswitch.captured, FRAMES);
    remove_capture(path);
    hu_scenario_free(&sc, hv, &m);
}

/* The switch floods each frame (the peer host never sends, so the switch never learns where
 * it is): to the uplink, which puts it on the wire, and to the plain rtos's card, which was
 * never enabled and drops it. The peer ignores them: they are not pings. */
Test(hv_telemetry, the_switch_floods_the_frames_to_the_uplink)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = run_telemetry(&sc, &m, NULL);
    cr_expect_eq(hv->vswitch.flooded, FRAMES);
    cr_expect_eq(hv->vswitch.forwarded, 0);
    cr_expect_eq(hv->vswitch.in[2], FRAMES, "in from telemetry's port");
    cr_expect_eq(hv->uplink.sent, FRAMES);
    cr_expect_eq(m.nic.tx_frames, FRAMES);
    cr_expect_eq(m.peer.received, FRAMES);
    cr_expect_eq(m.peer.ignored, FRAMES);
    cr_expect_eq(hv->vms[1].dev.nic.tx_frames, FRAMES);
    cr_expect_eq(hv->vms[0].dev.nic.tx_frames, 0);
    cr_expect_eq(hv->vms[0].dev.nic.rx_drops, FRAMES, "the plain rtos's card is off");
    /* three register accesses a frame, each an exit, besides the card's set-up (7) */
    cr_expect_eq(hv->vms[1].stats.io_exits[HV_IO_NIC], 3 * FRAMES + 7);
    cr_expect_eq(hv->vms[0].stats.io_exits[HV_IO_NIC], 0);
    hu_scenario_free(&sc, hv, &m);
}

/* Deadlines: the rtos with telemetry misses none (its telemetry jobs none either), and the
 * plain rtos beside it prints exactly what it prints in `default`: nothing of the telemetry
 * build is in rtos.img. */
Test(hv_telemetry, both_rtos_meet_every_deadline)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = run_telemetry(&sc, &m, NULL);
    const char *plain = hv_vm_console(hv, 0), *net = hv_vm_console(hv, 1);
    cr_expect(strstr(plain, "[rtos] sensor: 50 runs, 0 deadline misses, worst lateness -1137453 "
                            "cycles\n[rtos] control: 20 runs, 0 deadline misses, worst "
                            "lateness -4437303 cycles\n[rtos] logger: 10 runs, 0 deadline "
                            "misses, worst lateness -12237163 cycles\n[rtos] all jobs done "
                            "147362607 cycles after the start: 0 deadline misses\n"),
              "%s", plain);
    cr_expect_null(strstr(plain, "telemetry"), "%s", plain);
    cr_expect(strstr(net, "[rtos] telemetry: 25 runs, 0 deadline misses"), "%s", net);
    cr_expect(strstr(net, "all jobs done 147362705 cycles after the start: 0 deadline misses"),
              "%s", net);
    cr_expect(strstr(net, "[rtos] telemetry: 25 frames sent to 02:00:00:00:00:fe, 0 dropped"), "%s",
              net);
    hu_scenario_free(&sc, hv, &m);
}
