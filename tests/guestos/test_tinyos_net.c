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
                       "ping 02:00:00:00:00:fe: pong from peer (02:00:00:00:00:fe) in 7616 cycles\n"
                       "ping 02:00:00:00:00:fe: pong from peer (02:00:00:00:00:fe) in 7616 cycles\n"
                       "ping 02:00:00:00:00:fe: pong from peer (02:00:00:00:00:fe) in 7616 cycles\n"
                       "ping ff:ff:ff:ff:ff:ff: pong from peer (02:00:00:00:00:fe) in 7616 cycles\n"
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
