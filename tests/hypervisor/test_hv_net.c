/*
 * test_hv_net.c - the VMs' virtual network cards and the virtual switch: two VMs, each with a
 * small driver, exchange frames (a broadcast flooded, a reply forwarded to the port its address
 * was learned on), the switch's table and counters, the frames' times to the cycle, the uplink
 * to the physical card and the peer host beyond it, and the .pcap capture read back with
 * libpcap. The VMs run examples/net.s.
 */
#define _DEFAULT_SOURCE /* libpcap's headers use the BSD type names (u_int, u_char) */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../hypervisor/hv_internal.h"
#include "../support/harness.h"
#include "hv_util.h"

/* Both VMs run examples/net.s: the first (MAC ...:01) broadcasts "ping from a" and waits for
 * two answers; the second answers its sender, at its address, with "pong from b", and the peer
 * host beyond the uplink with "pong from peer". */
static int net_vm(hv_t *hv, const char *name)
{
    size_t len;
    char *src = sim_read_file("examples/net.s", &len);
    cr_assert_not_null(src, "examples/net.s: cannot read it");
    int vm = hu_vm(hv, name, src, NULL);
    free(src);
    return vm;
}

static const uint8_t mac_a[6] = {0x02, 0, 0, 0x01, 0, 0x01};
static const uint8_t mac_b[6] = {0x02, 0, 0, 0x01, 0, 0x02};
static const uint8_t mac_peer[6] = {0x02, 0, 0, 0, 0, 0xfe};

/* The NIC events of a run (the frames leaving each card, and arriving). */
typedef struct {
    sim_event_t ev[16];
    unsigned n;
} nic_events_t;

static void keep_nic(const sim_event_t *ev, void *ctx)
{
    nic_events_t *r = ctx;
    if (ev->kind == SIM_EV_NIC && r->n < 16)
        r->ev[r->n++] = *ev;
}

static const sim_event_t *nic_event(const nic_events_t *r, int vm, sim_nic_event_t what)
{
    for (unsigned i = 0; i < r->n; i++)
        if (r->ev[i].vm == vm && r->ev[i].from_mode == what)
            return &r->ev[i];
    return NULL;
}

/* Runs a and b on two pCPUs, capturing to `pcap` when it is not NULL. */
static hv_t *run_pair(sim_machine_t *m, nic_events_t *rec, const char *pcap)
{
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(m, 2, &cfg);
    cr_assert_eq(net_vm(hv, "a"), 0);
    cr_assert_eq(net_vm(hv, "b"), 1);
    sim_add_sink(m, keep_nic, rec);
    if (pcap)
        cr_assert_eq(hv_vswitch_capture(hv, pcap, stderr), 0);
    cr_assert_eq(hv_run(hv, 20000000), SIM_RUN_POWEROFF);
    if (pcap)
        cr_assert_eq(hv_vswitch_capture_end(hv, stderr), 0);
    return hv;
}

Test(hv_net, two_vms_ping_through_the_switch)
{
    static sim_machine_t m;
    static nic_events_t rec;
    hv_t *hv = run_pair(&m, &rec, NULL);
    cr_expect_str_eq(hv_vm_console(hv, 0), "got: pong from peer\ngot: pong from b\n");
    cr_expect_str_eq(hv_vm_console(hv, 1), "got: ping from a\n");
    const hv_vswitch_t *sw = &hv->vswitch;
    cr_expect_eq(sw->in[HV_SWITCH_VM_PORT(0)], 1);
    cr_expect_eq(sw->in[HV_SWITCH_VM_PORT(1)], 1);
    cr_expect_eq(sw->flooded, 1, "the broadcast went to every other port");
    cr_expect_eq(sw->forwarded, 2, "both replies went to the port a's address was learned on");
    cr_expect_eq(sw->out[HV_SWITCH_VM_PORT(0)], 2);
    cr_expect_eq(sw->out[HV_SWITCH_VM_PORT(1)], 1);
    cr_expect_eq(hv_vswitch_lookup(hv, mac_a), (int)HV_SWITCH_VM_PORT(0));
    cr_expect_eq(hv_vswitch_lookup(hv, mac_b), (int)HV_SWITCH_VM_PORT(1));
    cr_expect_eq(sw->learned, 3);
    /* each frame leaves its card nic_frame + 2 * 40 cycles after it started, and is in the
     * other VM's buffer at that cycle */
    const sim_event_t *send_a = nic_event(&rec, 0, SIM_NIC_EV_SEND);
    const sim_event_t *sent_a = nic_event(&rec, 0, SIM_NIC_EV_SENT);
    const sim_event_t *got_b = nic_event(&rec, 1, SIM_NIC_EV_RECEIVE);
    cr_assert(send_a && sent_a && got_b);
    uint64_t wire = m.costs.c[SIM_COST_nic_frame] + 40u * m.costs.c[SIM_COST_nic_byte];
    cr_expect_eq(sent_a->cycle - send_a->cycle, wire);
    cr_expect_eq(got_b->cycle, sent_a->cycle);
    cr_expect_eq(got_b->b, 40);
    cr_expect_eq(hv->vms[0].dev.nic.rx_frames, 2);
    cr_expect_eq(hv->vms[1].dev.nic.tx_bytes, 40);
    hu_free(hv, &m);
}

/* The uplink: a's broadcast is flooded to port 0 too, the hypervisor's driver puts it on the
 * physical card, the peer host answers, and the answer comes back in through the card and the
 * switch (forwarded: a's address is known). The round trip is exactly two wire times: the
 * physical card's and the peer's, 1 000 + 2 x 40 cycles each. */
Test(hv_net, the_uplink_carries_frames_to_the_peer_host_and_back)
{
    static sim_machine_t m;
    static nic_events_t rec;
    hv_t *hv = run_pair(&m, &rec, NULL);
    const hv_vswitch_t *sw = &hv->vswitch;
    cr_expect_eq(sw->out[HV_SWITCH_UPLINK], 1, "the flood reached the uplink");
    cr_expect_eq(sw->in[HV_SWITCH_UPLINK], 1, "the peer's answer came in on it");
    cr_expect_eq(hv_vswitch_lookup(hv, mac_peer), (int)HV_SWITCH_UPLINK);
    cr_expect_eq(hv->uplink.sent, 1);
    cr_expect_eq(hv->uplink.received, 1);
    cr_expect_eq(hv->uplink.dropped + hv->uplink.errors, 0);
    cr_expect_eq(m.nic.tx_frames, 1);
    cr_expect_eq(m.nic.rx_frames, 1);
    cr_expect_eq(m.peer.answered, 1);
    const sim_event_t *sent_a = nic_event(&rec, 0, SIM_NIC_EV_SENT);
    const sim_event_t *phys_send = nic_event(&rec, -1, SIM_NIC_EV_SEND);
    const sim_event_t *phys_got = nic_event(&rec, -1, SIM_NIC_EV_RECEIVE);
    const sim_event_t *a_got = nic_event(&rec, 0, SIM_NIC_EV_RECEIVE);
    cr_assert(sent_a && phys_send && phys_got && a_got);
    uint64_t wire = m.costs.c[SIM_COST_nic_frame] + 40u * m.costs.c[SIM_COST_nic_byte];
    cr_expect_eq(phys_send->cycle, sent_a->cycle, "the switch adds no time, nor the driver");
    cr_expect_eq(phys_got->cycle, sent_a->cycle + 2 * wire);
    cr_expect_eq(a_got->cycle, phys_got->cycle, "the handler hands it on at once");
    cr_expect_eq(m.cpu[0].s.irq_lines & (1u << SIM_NIC_IRQ), 0,
                 "the hypervisor takes line 11, CPU 0 never sees it");
    hu_free(hv, &m);
}

/* A scenario that sends nothing never brings the uplink up: no frame of the pool goes to it. */
Test(hv_net, no_frame_leaves_no_uplink)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    cr_assert_eq(hu_vm(hv, "quiet", "li r1, 0\n out r1, [0xf0]\n", NULL), 0);
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF);
    cr_expect_eq(hv->uplink.rings, 0);
    cr_expect_eq(m.nic.control, 0, "the physical card stays off");
    hu_free(hv, &m);
}

/* The transmit ring holds HV_UPLINK_RING - 1 frames: sent at one cycle, the rest are dropped
 * and counted, and the card sends those it holds one after the other. */
Test(hv_net, the_uplink_drops_what_its_full_ring_cannot_take)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    cr_assert_eq(hu_vm(hv, "spin", "spin: b spin\n", NULL), 0);
    uint8_t frame[60] = {0x02, 0, 0, 0, 0, 0x77, 0x02, 0, 0, 0x01, 0, 0x01, 0x88, 0xb5};
    for (unsigned i = 0; i < HV_UPLINK_RING + 2; i++)
        hv_uplink_send(hv, frame, sizeof frame, 1000);
    cr_expect_eq(hv->uplink.sent, HV_UPLINK_RING - 1);
    cr_expect_eq(hv->uplink.dropped, 3);
    cr_expect(m.nic.status & SIM_NIC_TX_BUSY, "the first frame is on the wire");
    cr_expect_eq(hv_run(hv, 1000 + 7 * 1120 + 10), SIM_RUN_MAX_CYCLES);
    cr_expect_eq(m.nic.tx_frames, HV_UPLINK_RING - 1, "each left after the one before it");
    cr_expect_eq(m.peer.ignored, HV_UPLINK_RING - 1, "not pings: the peer ignores them");
    hu_free(hv, &m);
}

/* The capture holds the three frames that entered the switch, byte for byte, stamped with the
 * cycle they entered it (as nanoseconds): a's ping as it left a's card, the peer's answer as
 * the physical card received it, b's answer as it left b's card; libpcap reads it back. */
Test(hv_net, capture_is_a_pcap_file_libpcap_reads_back)
{
    static sim_machine_t m;
    static nic_events_t rec;
    char dir[] = "/tmp/hvsim-pcap-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/switch.pcap", dir);
    hv_t *hv = run_pair(&m, &rec, path);
    cr_expect_eq(hv->vswitch.captured, 3);
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
    cr_assert_not_null(p, "%s", err);
    cr_expect_eq(pcap_datalink(p), DLT_EN10MB);
    struct pcap_pkthdr *h;
    const u_char *data;
    const sim_event_t *entered[3] = {nic_event(&rec, 0, SIM_NIC_EV_SENT),
                                     nic_event(&rec, -1, SIM_NIC_EV_RECEIVE),
                                     nic_event(&rec, 1, SIM_NIC_EV_SENT)};
    const uint8_t *src[3] = {mac_a, mac_peer, mac_b};
    const char *payload[3] = {"ping from a", "pong from peer", "pong from b"};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(pcap_next_ex(p, &h, &data), 1, "frame %d", i);
        cr_expect_eq(h->len, 40);
        cr_expect_eq(h->caplen, 40);
        cr_expect_eq(memcmp(data + 6, src[i], 6), 0, "frame %d: its source", i);
        cr_expect_str_eq((const char *)data + 14, payload[i]);
        uint64_t ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
        cr_assert_not_null(entered[i]);
        cr_expect_eq(ns, entered[i]->cycle, "frame %d: stamped %llu, entered at %llu", i,
                     (unsigned long long)ns, (unsigned long long)entered[i]->cycle);
        if (i > 0)
            cr_expect_eq(memcmp(data, mac_a, 6), 0, "the replies are addressed to a");
    }
    cr_expect_eq(pcap_next_ex(p, &h, &data), PCAP_ERROR_BREAK, "three frames, no more");
    pcap_close(p);
    char tmp[80];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    cr_expect_neq(access(tmp, F_OK), 0, "the temporary file was renamed");
    remove(path);
    rmdir(dir);
    hu_free(hv, &m);
}

Test(hv_net, capture_to_a_directory_that_does_not_exist_fails_cleanly)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    char *msg = NULL;
    size_t len = 0;
    FILE *diag = open_memstream(&msg, &len);
    cr_expect_eq(hv_vswitch_capture(hv, "/nonexistent/dir/x.pcap", diag), -1);
    fclose(diag);
    cr_expect_str_eq(msg, "/nonexistent/dir/x.pcap: error: cannot write the capture: "
                          "/nonexistent/dir/x.pcap.tmp: No such file or directory\n");
    free(msg);
    cr_expect_null(hv->pcap);
    hu_free(hv, &m);
}

/* The cards and the switch are plain data (design principle 8): a machine copied while a's
 * ping is on the wire (its card busy, the frame's end pending on the event queue) goes on
 * exactly like the original: the same consoles, cards, switch table and memory. */
Test(hv_net, a_copy_taken_with_a_frame_on_the_wire_goes_on_like_the_original)
{
    static sim_machine_t m, m2;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 2, &cfg);
    net_vm(hv, "a");
    net_vm(hv, "b");
    uint64_t at = 0;
    while (!(hv->vms[0].dev.nic.status & SIM_NIC_TX_BUSY)) {
        at += 100;
        cr_assert_eq(hv_run(hv, at), SIM_RUN_MAX_CYCLES, "a's ping never started");
    }
    hu_copy_machine(&m2, &m);
    hv_t *hv2 = hv_clone(hv, &m2);
    cr_assert_not_null(hv2);
    cr_assert_eq(hv_run(hv, 20000000), SIM_RUN_POWEROFF);
    cr_assert_eq(hv_run(hv2, 20000000), SIM_RUN_POWEROFF);
    for (unsigned i = 0; i < 2; i++) {
        cr_expect_str_eq(hv_vm_console(hv2, i), hv_vm_console(hv, i));
        cr_expect_eq(memcmp(&hv2->vms[i].dev.nic, &hv->vms[i].dev.nic, sizeof(sim_nic_t)), 0,
                     "VM %u's card", i);
    }
    cr_expect_str_eq(hv_vm_console(hv2, 0), "got: pong from peer\ngot: pong from b\n");
    cr_expect_eq(memcmp(&hv2->vswitch, &hv->vswitch, sizeof hv->vswitch), 0, "the switch");
    cr_expect_eq(memcmp(&hv2->uplink, &hv->uplink, sizeof hv->uplink), 0, "the uplink");
    cr_expect_eq(memcmp(&m2.nic, &m.nic, sizeof m.nic), 0, "the physical card");
    cr_expect_eq(memcmp(&m2.peer, &m.peer, sizeof m.peer), 0, "the peer host");
    cr_expect_eq(m2.cpu[0].s.cycles, m.cpu[0].s.cycles);
    cr_expect_eq(memcmp(m2.ram, m.ram, m.ram_size), 0, "the same memory");
    hv_free(hv2);
    sim_machine_free(&m2);
    hu_free(hv, &m);
}

/* A snapshot's uplink is checked before it is trusted: an index outside the rings or a frame
 * outside RAM (or not page-aligned) is refused; one not brought up is fine whatever it holds. */
Test(hv_net, a_loaded_uplink_out_of_range_is_refused)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    hv_uplink_t u = {.rings = 0x10000, .tx_tail = 0, .rx_next = 0};
    for (unsigned i = 0; i < HV_UPLINK_RING; i++)
        u.bufs[i] = 0x11000 + i * MMU_PAGE_SIZE;
    cr_expect(hv_uplink_sane(hv, &u));
    hv_uplink_t bad = u;
    bad.tx_tail = HV_UPLINK_RING;
    cr_expect_not(hv_uplink_sane(hv, &bad), "a transmit index outside the ring");
    bad = u;
    bad.rx_next = 99;
    cr_expect_not(hv_uplink_sane(hv, &bad), "a receive index outside the ring");
    bad = u;
    bad.bufs[3] = m.ram_size;
    cr_expect_not(hv_uplink_sane(hv, &bad), "a buffer beyond RAM");
    bad = u;
    bad.rings = 0x10010;
    cr_expect_not(hv_uplink_sane(hv, &bad), "rings not on a page");
    hv_uplink_t down = {.tx_tail = 77};
    cr_expect(hv_uplink_sane(hv, &down), "not brought up: nothing in it is used");
    hu_free(hv, &m);
}
