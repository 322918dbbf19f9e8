/*
 * test_disasm.c - the disassembler: the text of single instructions (cpu_disasm), and the
 * round trip disassemble -> assemble -> identical bytes for every opcode with extreme
 * operands, for random words, unaligned bases, partial words and symbols.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "asm_util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    uint32_t word, pc;
    bool legal;
    const char *text;
} disasm_case_t;

static const disasm_case_t texts[] = {
    {0x01000000, 0x1000, true, "nop"},
    {0x10123000, 0x1000, true, "add r1, r2, r3"},
    {0x100ef000, 0x1000, true, "add r0, sp, lr"},
    {0x2012fffc, 0x1000, true, "addi r1, r2, -4"},
    {0x20108000, 0x1000, true, "addi r1, r0, -32768"},
    {0x2950abcd, 0x1000, true, "lui r5, 0xabcd"},
    {0x22110009, 0x1000, true, "ori r1, r1, 9"},
    {0x2412001f, 0x1000, true, "shli r1, r2, 31"},
    {0x301e0004, 0x1000, true, "ld r1, [sp + 4]"},
    {0x3812fff8, 0x1000, true, "st r1, [r2 - 8]"},
    {0x33130000, 0x1000, true, "ldb r1, [r3]"},
    {0x33138000, 0x1000, true, "ldb r1, [r3 - 32768]"},
    {0x681003f8, 0x1000, true, "in r1, [0x3f8]"},
    {0x69100005, 0x1000, true, "out r1, [5]"},
    {0x6910fffc, 0x1000, true, "out r1, [-4]"},
    {0x60100004, 0x1000, true, "csrr r1, epc"},
    {0x61020001, 0x1000, true, "csrw tvec, r2"},
    {0x60100040, 0x1000, true, "csrr r1, 0x40"},
    {0x40fffff0, 0x1040, true, "b 0x00001000"},
    {0x40ffffff, 0x0000, true, "b 0xfffffffc"},
    {0x41000002, 0x1000, true, "beq 0x00001008"},
    {0x4cf00001, 0x2000, true, "jal lr, 0x00002004"},
    {0x4c080000, 0x0000, true, "jal r0, 0xffe00000"},
    {0x4d0f0000, 0x1000, true, "jalr r0, lr, 0"},
    {0x2c012000, 0x1000, true, "cmp r1, r2"},
    {0x3cf00000, 0x1000, true, "push lr"},
    {0x70050000, 0x1000, true, "vmrun r5"},
    {0x00000000, 0x1000, false, ".word 0x00000000"},
    {0xffffffff, 0x1000, false, ".word 0xffffffff"},
    {0x01000001, 0x1000, false, ".word 0x01000001"},  /* reserved bits set */
    {0x24120020, 0x1000, false, ".word 0x24120020"},  /* shift amount 32 */
    {0x10123001, 0x1000, false, ".word 0x10123001"},
};

Test(disasm, instruction_text)
{
    for (size_t i = 0; i < N(texts); i++) {
        char buf[64];
        bool legal = cpu_disasm(texts[i].word, texts[i].pc, NULL, 0, buf, sizeof buf);
        cr_expect_eq(legal, texts[i].legal, "0x%08x", texts[i].word);
        cr_expect_str_eq(buf, texts[i].text, "0x%08x: '%s', want '%s'", texts[i].word, buf,
                         texts[i].text);
    }
}

Test(disasm, symbols_name_targets)
{
    cpu_symbol_t syms[] = {{"start", 0x1000}, {"zz", 0x1000}, {"loop", 0x1010}};
    char buf[64];
    cpu_disasm(0x40fffff0, 0x1040, syms, N(syms), buf, sizeof buf);
    cr_expect_str_eq(buf, "b start");
    cpu_disasm(0x4cf00001, 0x100c, syms, N(syms), buf, sizeof buf);
    cr_expect_str_eq(buf, "jal lr, loop");
    cpu_disasm(0x40000001, 0x1010, syms, N(syms), buf, sizeof buf);
    cr_expect_str_eq(buf, "b 0x00001014");
}

Test(disasm, small_buffers_truncate)
{
    char buf[8];
    cpu_disasm(0x10123000, 0x1000, NULL, 0, buf, sizeof buf);
    cr_expect_str_eq(buf, "add r1,");
    cpu_disasm(0x00000000, 0x1000, NULL, 0, buf, 1);
    cr_expect_str_eq(buf, "");
    cr_expect_not(cpu_disasm(0x10123000, 0x1000, NULL, 0, buf, 0));
}

/* ------------------------------------------------------------------------------------------
 * Round trips
 * ------------------------------------------------------------------------------------------ */
static void put_word(uint8_t *b, uint32_t w)
{
    b[0] = (uint8_t)w, b[1] = (uint8_t)(w >> 8), b[2] = (uint8_t)(w >> 16), b[3] = (uint8_t)(w >> 24);
}

Test(disasm, round_trip_every_opcode)
{
    size_t n = (size_t)CPU_OP_COUNT * TA_NSAMPLES;
    uint8_t *img = malloc(4 * n);
    for (int op = 0; op < CPU_OP_COUNT; op++)
        for (int s = 0; s < TA_NSAMPLES; s++) {
            cpu_insn_t in;
            ta_sample(op, s, &in);
            put_word(img + 4 * ((size_t)op * TA_NSAMPLES + (size_t)s), cpu_encode(&in));
        }
    /* at 0x02000000 the longest backward branch reaches 0; at 0x1000 it wraps around */
    free(ta_round_trip(img, 4 * n, 0x02000000, NULL, 0));
    free(ta_round_trip(img, 4 * n, 0x1000, NULL, 0));
    free(ta_round_trip(img, 4 * n, 0, NULL, 0));
    free(ta_round_trip(img, 4 * n, 0xffffffffu - 4 * (uint32_t)n - 3, NULL, 0));
    free(img);
}

static uint32_t rng(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

Test(disasm, round_trip_random_words)
{
    uint32_t seed = 20240601;
    size_t n = 10000;
    uint8_t *img = malloc(4 * n + 3);
    for (size_t i = 0; i < n; i++) {
        uint32_t w = rng(&seed);
        if (i % 2) /* half of them with an assigned opcode, so that many are legal */
            w = (w & 0x00ffffffu) | (uint32_t)cpu_isa[w % CPU_OP_COUNT].opcode << 24;
        if (i % 4 == 1) /* and clear the bits that must be zero */
            w &= ~cpu_isa[cpu_op_of_opcode((uint8_t)(w >> 24))].zero_mask;
        put_word(img + 4 * i, w);
    }
    int legal = 0;
    for (size_t i = 0; i < n; i++) {
        cpu_insn_t in;
        legal += cpu_decode((uint32_t)img[4 * i] | (uint32_t)img[4 * i + 1] << 8 |
                                (uint32_t)img[4 * i + 2] << 16 | (uint32_t)img[4 * i + 3] << 24,
                            &in);
    }
    cr_expect_gt(legal, 2000, "only %d legal words", legal);
    img[4 * n] = 0xaa, img[4 * n + 1] = 0x00, img[4 * n + 2] = 0x55;
    for (size_t tail = 0; tail < 4; tail++)
        free(ta_round_trip(img, 4 * n + tail, 0x1000, NULL, 0));
    free(ta_round_trip(img, 4 * n + 1, 0x1002, NULL, 0)); /* unaligned: all data */
    free(ta_round_trip(img, 4 * n, 0, NULL, 0));
    free(img);
}

Test(disasm, round_trip_edge_images)
{
    free(ta_round_trip((const uint8_t *)"", 0, 0x1000, NULL, 0));
    free(ta_round_trip((const uint8_t *)"\x12", 1, 0x1000, NULL, 0));
    free(ta_round_trip((const uint8_t *)"\x12\x34\x56", 3, 0, NULL, 0));
    char *text = ta_round_trip((const uint8_t *)"\x00\x00\x00\x01", 4, 0x1001, NULL, 0);
    cr_expect(strstr(text, ".word 0x01000000") != NULL, "%s", text);
    free(text);
    char *err = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&err, &len);
    cr_expect_eq(cpu_disasm_image(f, (const uint8_t *)"abcd", 4, 0xfffffffe, NULL, 0, f), -1);
    fclose(f);
    cr_expect(strstr(err, "error:") != NULL);
    free(err);
}

Test(disasm, round_trip_with_symbols)
{
    static const char src[] = "start: li r1, 3\n"
                              ".loop: addi r1, r1, -1\n"
                              "       cmpi r1, 0\n"
                              "       bne .loop\n"
                              "       call func\n"
                              "       b far\n"
                              "       beq .skip\n"
                              "       nop\n"
                              ".skip: b 0x4000\n"
                              "func:  ret\n"
                              "data:  .byte 1, 2, 3\n"
                              "odd:   .byte 4\n"
                              "       .align 4\n"
                              "end:\n"
                              "far = 0x8000\n";
    cpu_asm_result_t r;
    ta_asm_ok(src, &r);
    cpu_symbol_t extra[16];
    cr_assert_lt(r.nsyms + 3, N(extra));
    memcpy(extra, r.syms, r.nsyms * sizeof *extra);
    size_t n = r.nsyms;
    extra[n++] = (cpu_symbol_t){"far", 0x8000};       /* outside the image */
    extra[n++] = (cpu_symbol_t){"L00001020", 0x9000}; /* the name a generated label would use */
    extra[n++] = (cpu_symbol_t){"start", 0x2000};     /* a name given twice: the first wins */
    cpu_syms_sort(extra, n);
    char *text = ta_round_trip(r.bytes, r.size, r.base, extra, n);
    static const char *const want[] = {
        "far = 0x00008000\n",
        "L00001020 = 0x00009000\n",
        "odd = 0x0000102b\n",
        "        .org 0x00001000\n",
        "start:\n        addi r1, r0, 3                   ; 00001000: 20100003\n",
        "L00001004:\n        addi r1, r1, -1",
        "        bne L00001004 ",
        "        jal lr, func ",
        "        b far ",
        "        beq 0x00001020 ",
        "        b 0x00004000 ",
        "func:\n        jalr r0, lr, 0",
        "data:\n        .word 0x04030201",
        "end:\n",
    };
    for (size_t i = 0; i < N(want); i++)
        cr_expect(strstr(text, want[i]) != NULL, "'%s' missing from:\n%s", want[i], text);
    cr_expect(strstr(text, "start = ") == NULL, "%s", text);
    free(text);
    cpu_asm_free(&r);
}
