/*
 * test_hv_pvnet.c - the paravirtual network card (hypervisor/hv_pvnet.c, `nic = pv`): a small
 * guest sets up the shared page, sends a ping to the peer host with one kick and gets the
 * answer in its receive queue; a wild length, a set-up without the card and a broken queue are
 * the guest's errors, counted, never the simulator's. The scenario key and its refusals.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv_internal.h"
#include "../../ui/debug/ui_debug.h"
#include "../support/harness.h"
#include "hv_util.h"

/* The guest: page 0x10000, transmit buffer 0x12000, receive buffer 0x13000. It stores the
 * answers of its hypercalls at 0x11000 + 4 i: set-up, a kick with a 9 000-byte frame, a kick
 * with the 60-byte ping, and (after the answer came) a kick with the avail index run 100
 * entries ahead. */
static const char *guest =
    "        .equ PAGE, 0x10000\n"
    "        .equ OUT, 0x11000\n"
    "        .equ TXB, 0x12000\n"
    "        .equ RXB, 0x13000\n"
    "start:  la    r10, PAGE\n"
    "        la    r11, OUT\n"
    "        la    r1, RXB\n" /* receive descriptor 0: RXB, 2 KiB, made available */
    "        st    r1, [r10 + 0x200]\n"
    "        li    r1, 2048\n"
    "        st    r1, [r10 + 0x204]\n"
    "        li    r1, 1\n"
    "        st    r1, [r10 + 0x240]\n"
    "        li    r1, 16\n"
    "        mov   r2, r10\n"
    "        hcall\n"
    "        st    r1, [r11]\n"
    "        la    r1, TXB\n" /* transmit descriptor 0: TXB, 9 000 bytes */
    "        st    r1, [r10 + 0x100]\n"
    "        li    r1, 9000\n"
    "        st    r1, [r10 + 0x104]\n"
    "        li    r1, 1\n"
    "        st    r1, [r10 + 0x140]\n"
    "        li    r1, 17\n"
    "        hcall\n"
    "        st    r1, [r11 + 4]\n"
    "        la    r12, TXB\n" /* the ping: to 02:00:00:00:00:fe, 0x88b5, 'ping' */
    "        li    r1, 2\n"
    "        stb   r1, [r12]\n"
    "        li    r1, 0xfe\n"
    "        stb   r1, [r12 + 5]\n"
    "        li    r1, 0x88\n"
    "        stb   r1, [r12 + 12]\n"
    "        li    r1, 0xb5\n"
    "        stb   r1, [r12 + 13]\n"
    "        li    r1, 0x70\n"
    "        stb   r1, [r12 + 14]\n"
    "        li    r1, 0x69\n"
    "        stb   r1, [r12 + 15]\n"
    "        li    r1, 0x6e\n"
    "        stb   r1, [r12 + 16]\n"
    "        li    r1, 0x67\n"
    "        stb   r1, [r12 + 17]\n"
    "        li    r1, 60\n"
    "        st    r1, [r10 + 0x104]\n"
    "        li    r1, 2\n" /* the same descriptor again, in avail slot 1 */
    "        st    r1, [r10 + 0x140]\n"
    "        li    r1, 17\n"
    "        hcall\n"
    "        st    r1, [r11 + 8]\n"
    "        li    r13, 10000\n"
    ".wait:  ld    r1, [r10 + 0x280]\n" /* the answer: the receive used index moves ... */
    "        cmpi  r1, 0\n"
    "        bne   .came\n"
    "        addi  r13, r13, -1\n" /* ... or, without the card, it never does */
    "        cmpi  r13, 0\n"
    "        bne   .wait\n"
    ".came:  li    r1, 0\n"
    "        li    r1, 102\n" /* a broken queue: 100 entries ahead */
    "        st    r1, [r10 + 0x140]\n"
    "        li    r1, 17\n"
    "        hcall\n"
    "        st    r1, [r11 + 12]\n"
    "        out   r0, [0xf0]\n";

static hv_t *run_guest(sim_machine_t *m, bool pv)
{
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(m, 1, &cfg);
    hv_vm_config_t extra = {.nic_pv = pv};
    cr_assert_eq(hu_vm(hv, "g", guest, &extra), 0);
    cr_assert_eq(hv_run(hv, 20000000), SIM_RUN_POWEROFF, "%s", hv->vms[0].why);
    return hv;
}

Test(hv_pvnet, a_ping_goes_out_with_one_kick_and_its_answer_comes_back)
{
    static sim_machine_t m;
    hv_t *hv = run_guest(&m, true);
    const hv_pvnet_t *p = &hv->vms[0].dev.pvnet;
    cr_expect_eq(hu_get_word(hv, 0, 0x11000), 0, "set-up");
    cr_expect_eq(hu_get_word(hv, 0, 0x10000), 0x01000002u, "MAC_LO written by the hypervisor");
    cr_expect_eq(hu_get_word(hv, 0, 0x10004), 0x0100u, "MAC_HI");
    cr_expect_eq((int32_t)hu_get_word(hv, 0, 0x11004), 0, "the 9 000-byte frame: none sent");
    cr_expect_eq(hu_get_word(hv, 0, 0x10184), 0, "its used entry: descriptor 0 ...");
    cr_expect_eq(hu_get_word(hv, 0, 0x10188), 0, "... with length 0: it was bad");
    cr_expect_eq((int32_t)hu_get_word(hv, 0, 0x11008), 1, "the ping: one frame sent");
    cr_expect_eq(hu_get_word(hv, 0, 0x10190), 60, "its used entry has its length");
    cr_expect_eq(hu_get_word(hv, 0, 0x10180), 2, "the transmit used index");
    cr_expect_eq(hu_get_word(hv, 0, 0x10280), 1, "the answer in the receive queue");
    cr_expect_eq(hu_get_word(hv, 0, 0x10288), 60, "as long as the ping");
    uint8_t text[14];
    cr_assert(hv_peek_guest(hv, 0, 0x13000 + 14, text, sizeof text));
    cr_expect(!memcmp(text, "pong from peer", 14));
    cr_expect_eq((int32_t)hu_get_word(hv, 0, 0x1100c), -1, "the broken queue stops the card");
    cr_expect_eq(p->up, 0);
    cr_expect_eq(p->sent, 1);
    cr_expect_eq(p->received, 1);
    cr_expect_eq(p->errors, 2, "the wild length and the broken queue");
    cr_expect_eq(p->notifies, 3);
    cr_expect_eq(hv->vms[0].stats.exits[CPU_EXIT_HYPERCALL], 4);
    cr_expect_eq(hv->m->peer.answered, 1);
    hu_free(hv, &m);
}

Test(hv_pvnet, without_nic_pv_the_setup_is_refused)
{
    static sim_machine_t m;
    hv_t *hv = run_guest(&m, false);
    cr_expect_eq((int32_t)hu_get_word(hv, 0, 0x11000), -1);
    cr_expect_eq((int32_t)hu_get_word(hv, 0, 0x11004), -1, "no card: a kick does nothing");
    cr_expect_eq(hv->m->peer.answered, 0);
    hu_free(hv, &m);
}

Test(hv_pvnet, a_restored_card_out_of_range_is_refused)
{
    hv_vm_t v = {.nic_pv = 1, .memory = 1u << 20};
    v.dev.pvnet.up = 1;
    v.dev.pvnet.page = 0x10000;
    cr_expect(hv_pvnet_sane(&v));
    v.dev.pvnet.page = 0x10004;
    cr_expect(!hv_pvnet_sane(&v), "a page not page-aligned");
    v.dev.pvnet.page = 2u << 20;
    cr_expect(!hv_pvnet_sane(&v), "a page outside the VM");
    v.dev.pvnet.page = 0x10000;
    v.nic_pv = 0;
    cr_expect(!hv_pvnet_sane(&v), "a card the VM does not have");
    v.dev.pvnet.up = 7;
    cr_expect(!hv_pvnet_sane(&v));
}

Test(hv_pvnet, the_scenario_key_and_its_refusals)
{
    hu_expect_scenario_error("[vm a]\nimage = tinyos.img\nnic = virtio\n", false,
                             "nic = 'virtio': it must be emulated or pv (paravirtual)");
    hu_expect_scenario_error("[machine]\npcpus = 1\n[vm a]\nimage = tinyos.img\nmemory = 8M\n"
                             "assign = nic0\nnic = pv\n",
                             true, "so it has no paravirtual one (nic = pv)");
}

/* The scenario vswitch with both cards paravirtual, and (limit not 0) net_bw = limit on a. */
static hv_t *pv_vswitch(hv_scenario_t *sc, sim_machine_t *m, unsigned limit)
{
    const char *text = hv_builtin_text("vswitch");
    cr_assert_not_null(text);
    static char buf[8192];
    const char *a = strstr(text, "[vm a]\n"), *b = strstr(text, "[vm b]\n");
    cr_assert(a && b && a < b);
    int n = snprintf(buf, sizeof buf, "%.*s[vm a]\nnic = pv\n", (int)(a - text), text);
    if (limit)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "net_bw = %u\n", limit);
    snprintf(buf + n, sizeof buf - (size_t)n, "%.*s[vm b]\nnic = pv\n%s", (int)(b - a - 7), a + 7,
             b + 7);
    hv_t *hv = hu_scenario_text(sc, m, "pv-vswitch.ini", buf);
    cr_assert_eq(hv_run(hv, sc->max_cycles), SIM_RUN_POWEROFF);
    return hv;
}

/* net_bw binds the paravirtual card as it does the emulated one: a's bulk transfer, 80 bytes
 * per 1 000 cycles without a limit, runs at 19 under net_bw = 20, each frame held back until
 * its share of time; every frame still goes, once, and the transcript is otherwise the same. */
Test(hv_pvnet, net_bw_paces_the_paravirtual_card, .timeout = 120)
{
    static sim_machine_t m1, m2;
    hv_scenario_t sc1, sc2;
    hv_t *free_hv = pv_vswitch(&sc1, &m1, 0);
    hv_t *hv = pv_vswitch(&sc2, &m2, 20);
    const hv_vm_t *fa = &free_hv->vms[hv_vm_by_name(free_hv, "a")];
    const hv_vm_t *a = &hv->vms[hv_vm_by_name(hv, "a")];
    cr_expect_eq(fa->net_limit.held, 0);
    cr_expect(strstr(hv_vm_console(free_hv, 0), "in 822261 cycles: 80 bytes per 1000 cycles"), "%s",
              hv_vm_console(free_hv, 0));
    cr_expect(strstr(hv_vm_console(hv, 0), "in 3352281 cycles: 19 bytes per 1000 cycles"), "%s",
              hv_vm_console(hv, 0));
    cr_expect_eq(a->net_limit.held, 45);
    cr_expect_eq(a->net_limit.held_cycles, 3315204);
    cr_expect_eq(a->dev.pvnet.sent, fa->dev.pvnet.sent, "every frame went, once");
    cr_expect_eq(a->dev.pvnet.sent, 55);
    cr_expect_eq(a->dev.pvnet.held, 0, "nothing left held at the end");
    cr_expect_eq(a->dev.pvnet.errors, 0);
    char buf[400];
    hv_limits_t l;
    hv_vm_limits(hv, (unsigned)hv_vm_by_name(hv, "a"), &l);
    cr_expect(strstr(hv_limits_text(&l, buf, sizeof buf),
                     "net_bw 20 bytes per 1 000 cycles, held 45 frames back for 3 315 204 cycles"),
              "%s", buf);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ui_dbg_t *dbg = ui_dbg_new(&m2);
    ui_dbg_print_nic(dbg, out);
    ui_dbg_free(dbg);
    fclose(out);
    /* info nic: the queues' indices, the kicks and batches, what the limit held back */
    cr_expect(strstr(text, "a's paravirtual NIC 02:00:00:01:00:01 (switch port 1): up, shared "
                           "page at gpa 0x007f4000\n"
                           "  queue     made available     taken      used\n"
                           "  transmit              55        55        55\n"
                           "  receive               19        11        11\n"
                           "  180 notifications (kicks), 11 sent a batch (at most 1 frame); 55 "
                           "frames sent in all\n"
                           "  received 11 frames (67 936 bytes both ways), 0 dropped (no buffer), "
                           "no error\n"
                           "  limit: 20 bytes per 1 000 cycles (net_bw); 45 frames held back, "
                           "3 315 204 cycles in all\n"
                           "b's paravirtual NIC 02:00:00:01:00:02 (switch port 2): up"),
              "%s", text);
    cr_expect_null(strstr(text, "a's virtual NIC"), "no registers to show: %s", text);
    free(text);
    hu_scenario_free(&sc1, free_hv, &m1);
    hu_scenario_free(&sc2, hv, &m2);
}

/* A held frame in a restored card is one the hypervisor could have held. */
Test(hv_pvnet, a_restored_held_flag_out_of_range_is_refused)
{
    hv_vm_t v = {.nic_pv = 1, .memory = 1u << 20};
    v.dev.pvnet.up = 1;
    v.dev.pvnet.page = 0x10000;
    v.dev.pvnet.held = 1;
    cr_expect(hv_pvnet_sane(&v));
    v.dev.pvnet.held = 2;
    cr_expect(!hv_pvnet_sane(&v));
}
