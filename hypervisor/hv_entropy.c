/*
 * hv_entropy.c - the virtual entropy source: a device that exists in no hardware.
 *
 * Lecture: an emulated device need not imitate a real one. A hypervisor can give its VMs a
 * device that only it implements (virtio-rng is the classic example): the guest learns of it
 * from the virtual CPU (cpuid leaf 1, bit 29), reads its port, and every read is a VM exit the
 * hypervisor answers with a word of its own making. A bare machine has nothing at these ports:
 * a read there gives the empty bus's 0xffffffff, so the same driver finds no source natively.
 *
 * `entropy = on` in a VM's section gives the VM the source; `entropy_seed = N` seeds it. The
 * words come from a xorshift64* generator, so a run is deterministic (the same seed gives the
 * same words, whatever the technique); a real source would mix in timing noise, which is what
 * a simulator for teaching must not have. Its state is plain data in the VM's devices, so a
 * snapshot, `vm save` and a migration carry it.
 *
 *   port 0x320  DATA   read: the next 32-bit word (each read takes one)
 *   port 0x321  COUNT  read: the words the source has given so far
 */
#include "hv_internal.h"

/* xorshift64*'s multiplier (Vigna, "An experimental exploration of Marsaglia's xorshift
 * generators, scrambled", 2016): the high 32 bits of the product are its output. */
#define ENTROPY_MULTIPLIER 0x2545f4914f6cdd1dull

void hv_entropy_init(hv_entropy_t *e, bool on, uint64_t seed)
{
    e->on = on;
    /* The same seed gives the same words in every VM (set entropy_seed to tell VMs apart). The
     * state must never be 0, xorshift's fixed point: the seed is mixed with a constant. */
    e->state = seed ^ 0x9e3779b97f4a7c15ull;
    if (!e->state)
        e->state = 1;
    e->words = 0;
}

bool hv_entropy_port(const hv_t *hv, unsigned vm, uint16_t port)
{
    return hv->vms[vm].dev.entropy.on && port >= HV_ENTROPY_PORT &&
           port < HV_ENTROPY_PORT + HV_ENTROPY_NREGS;
}

/* One step of xorshift64*: the state moves on, the word is the scrambled high half. */
static uint32_t next_word(hv_entropy_t *e)
{
    e->state ^= e->state >> 12;
    e->state ^= e->state << 25;
    e->state ^= e->state >> 27;
    e->words++;
    return (uint32_t)((e->state * ENTROPY_MULTIPLIER) >> 32);
}

uint32_t hv_entropy_read(hv_t *hv, unsigned vm, unsigned reg)
{
    hv_entropy_t *e = &hv->vms[vm].dev.entropy;
    if (reg == HV_ENTROPY_DATA)
        return next_word(e);
    return (uint32_t)e->words; /* COUNT */
}

void hv_entropy_print(const hv_t *hv, unsigned vm, FILE *out)
{
    const hv_entropy_t *e = &hv->vms[vm].dev.entropy;
    char b[32];
    if (!e->on) {
        fprintf(out, "%s: no entropy source (entropy = on gives one)\n", hv->vms[vm].name);
        return;
    }
    fprintf(out, "%s: entropy source at ports 0x%x..0x%x (the hypervisor's alone), %s given\n",
            hv->vms[vm].name, HV_ENTROPY_PORT, HV_ENTROPY_PORT + HV_ENTROPY_NREGS - 1,
            sim_counted(e->words, "word", b, sizeof b));
}
