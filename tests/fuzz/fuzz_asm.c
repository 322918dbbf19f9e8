/*
 * fuzz_asm.c - the assembler on any source text. Every input must end in an image or in
 * error messages, never a crash; and an image must disassemble (cpu_disasm_image) to source
 * that assembles back to the same bytes, as cpu.h promises.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cpu/cpu.h"
#include "fuzz.h"

/* The image, disassembled and assembled again, gives the same bytes at the same base. */
static void check_round_trip(const cpu_asm_result_t *res)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        abort();
    int rc = cpu_disasm_image(out, res->bytes, res->size, res->base, NULL, 0, NULL);
    fclose(out);
    if (rc == 0) {
        cpu_asm_result_t again;
        if (cpu_asm_string("disassembly", text, stderr, &again) != 0)
            fuzz_fail("the disassembly does not assemble:\n%s", text);
        if (again.base != res->base || again.size != res->size ||
            memcmp(again.bytes, res->bytes, res->size) != 0)
            fuzz_fail("the disassembly assembles to other bytes:\n%s", text);
        cpu_asm_free(&again);
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    cpu_asm_result_t res;
    if (cpu_asm("fuzz.s", text, NULL, NULL, &res) == 0 && res.size <= 1u << 16)
        check_round_trip(&res);
    cpu_asm_free(&res);
    free(text);
    return 0;
}
