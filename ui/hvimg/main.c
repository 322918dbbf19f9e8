/*
 * main.c - the hvimg command: builds, lists, extracts from and checks hvsim disk images.
 *
 * A thin front end over the image API of sim.h (sim_image_build, sim_image_open, the lookup
 * and the walk): it parses the command line, reads and writes files, and prints. The format
 * and every rule it checks are in docs/disk-image.md. Sub-commands are a table: name, usage,
 * help and handler; `hvimg --help` and `hvimg CMD --help` are printed from it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../sim/sim.h"

typedef struct {
    const char *name, *args, *summary, *help;
    int (*run)(int argc, char **argv); /* argv[0] is the sub-command's name */
} command_t;

static const command_t *find_command(const char *name);

static void print_usage(FILE *out);

/* Bad usage: a message, the usage, exit status 2. */
static int usage_error(const char *fmt, const char *arg)
{
    fputs("hvimg: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    print_usage(stderr);
    fputs("Try 'hvimg --help' for more.\n", stderr);
    return 2;
}

/* ==========================================================================================
 * Reading an image
 * ========================================================================================== */

/* Prints each problem as "IMG: offset 0x...: rule X: ...". */
static void print_problems(FILE *out, const char *path, const sim_image_error_t *err)
{
    for (unsigned i = 0; i < err->count; i++) {
        char msg[256];
        sim_image_problem_format(&err->p[i], msg, sizeof msg);
        fprintf(out, "%s: %s\n", path, msg);
    }
    if (err->more)
        fprintf(out, "%s: more problems follow from these; only the first %d are listed\n", path,
                SIM_IMAGE_MAX_PROBLEMS);
}

/* Reads and checks an image. Returns 0, or 1 after saying why not (problems go to `out`). */
static int load_image(const char *path, char **bytes, sim_image_t *img, FILE *out)
{
    size_t len;
    *bytes = sim_read_file_max(path, SIM_IMAGE_BUILD_MAX, &len);
    if (!*bytes) {
        char why[96];
        fprintf(stderr, "hvimg: %s: cannot read: %s\n", path,
                sim_read_error(errno, SIM_IMAGE_BUILD_MAX, why, sizeof why));
        return 1;
    }
    sim_image_error_t err;
    if (sim_image_open((const uint8_t *)*bytes, len, img, &err) == 0)
        return 0;
    print_problems(out, path, &err);
    free(*bytes);
    *bytes = NULL;
    return 1;
}

/* Resolves "PART:/path", "PART:" or "/path"; prints why not and returns 1 on failure. */
static int resolve_spec(const sim_image_t *img, const char *file, const char *spec,
                        unsigned *part, const char **path)
{
    int rc = sim_image_parse_spec(img, spec, part, path);
    if (rc)
        fprintf(stderr, "hvimg: %s: '%s': %s\n", file, spec, sim_image_strerror(rc));
    return rc ? 1 : 0;
}

/* ==========================================================================================
 * Sub-commands
 * ========================================================================================== */

static int cmd_build(int argc, char **argv)
{
    const char *manifest = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
            if (++i == argc)
                return usage_error("build: %s needs a file name", argv[i - 1]);
            out = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1])
            return usage_error("build: unknown option '%s'", argv[i]);
        else if (manifest)
            return usage_error("build: unexpected argument '%s'", argv[i]);
        else
            manifest = argv[i];
    }
    if (!manifest || !out)
        return usage_error("build: %s", manifest ? "no output: give -o OUT.img" : "no manifest");
    uint8_t *bytes;
    size_t len;
    if (sim_image_build(manifest, &bytes, &len, stderr) != 0)
        return 1;
    int rc = sim_write_file_atomic(out, bytes, len, stderr);
    free(bytes);
    return rc ? 1 : 0;
}

static const char *type_name(sim_part_type_t type)
{
    return type == SIM_PART_BOOT ? "boot" : "fs";
}

static void print_table(const char *file, const sim_image_t *img)
{
    char parts[48], files[48], dirs[48];
    printf("%s: %u sectors (%zu bytes), %s, %s, %s\n", file, img->sectors, img->len,
           sim_counted(img->nparts, "partition", parts, sizeof parts),
           sim_counted(img->files, "file", files, sizeof files),
           sim_counted(img->dirs, "directory", dirs, sizeof dirs));
    printf("  #  %-15s  type  %8s  %8s\n", "name", "first", "sectors");
    for (unsigned i = 0; i < img->nparts; i++) {
        const sim_image_part_t *p = &img->part[i];
        printf("  %u  %-15s  %-4s  %8u  %8u\n", i, p->name, type_name(p->type), p->first,
               p->sectors);
    }
}

static void print_entry(const char *path, const sim_image_entry_t *e, unsigned depth, void *ctx)
{
    (void)depth, (void)ctx;
    bool slash = e->type == SIM_ENTRY_DIR && strcmp(path, "/") != 0;
    printf("  %8u  %10u  %s%s\n", e->first, e->size, path, slash ? "/" : "");
}

/* Lists the tree of partition `part` from `path`. */
static int list_tree(const sim_image_t *img, const char *file, unsigned part, const char *path)
{
    const sim_image_part_t *p = &img->part[part];
    char files[48], dirs[48];
    printf("%s: %s, %s; sectors 1..%u of %u in use\n", p->name,
           sim_counted(p->files, "file", files, sizeof files),
           sim_counted(p->dirs, "directory", dirs, sizeof dirs), p->data_end - 1, p->sectors);
    printf("  %8s  %10s  %s\n", "sector", "bytes", "path");
    int rc = sim_image_walk(img, part, path, print_entry, NULL);
    if (rc)
        fprintf(stderr, "hvimg: %s: '%s:%s': %s\n", file, p->name, path, sim_image_strerror(rc));
    return rc ? 1 : 0;
}

static int cmd_ls(int argc, char **argv)
{
    if (argc < 2 || argc > 3)
        return usage_error("ls: %s", argc < 2 ? "no image" : "too many arguments");
    char *bytes;
    sim_image_t img;
    if (load_image(argv[1], &bytes, &img, stderr))
        return 1;
    int rc = 0;
    unsigned part;
    const char *path = "/";
    if (argc == 3 && (rc = resolve_spec(&img, argv[1], argv[2], &part, &path)) == 0)
        rc = img.part[part].type == SIM_PART_FS ? list_tree(&img, argv[1], part, path ? path : "/")
                                                : (print_table(argv[1], &img), 0);
    if (argc == 2) {
        print_table(argv[1], &img);
        for (unsigned i = 0; i < img.nparts && rc == 0; i++)
            if (img.part[i].type == SIM_PART_FS) {
                putchar('\n');
                rc = list_tree(&img, argv[1], i, "/");
            }
    }
    free(bytes);
    return rc;
}

static int cmd_cat(int argc, char **argv)
{
    if (argc != 3)
        return usage_error("cat: %s", argc < 3 ? "give an image and a path" : "too many arguments");
    char *bytes;
    sim_image_t img;
    if (load_image(argv[1], &bytes, &img, stderr))
        return 1;
    unsigned part;
    const char *path;
    int rc = resolve_spec(&img, argv[1], argv[2], &part, &path);
    const uint8_t *data = NULL;
    size_t size = 0;
    sim_image_entry_t e;
    if (rc == 0 && !path) {
        data = img.bytes + (uint64_t)img.part[part].first * SIM_SECTOR_SIZE;
        size = (size_t)img.part[part].sectors * SIM_SECTOR_SIZE;
    } else if (rc == 0) {
        int err = sim_image_lookup(&img, part, path, &e);
        if (err || e.type != SIM_ENTRY_FILE) {
            fprintf(stderr, "hvimg: %s: '%s': %s\n", argv[1], argv[2],
                    err ? sim_image_strerror(err) : "is a directory");
            rc = 1;
        } else {
            data = img.bytes + e.offset;
            size = e.size;
        }
    }
    if (rc == 0 && (fwrite(data, 1, size, stdout) != size || fflush(stdout) != 0)) {
        fprintf(stderr, "hvimg: cannot write to standard output: %s\n", strerror(errno));
        rc = 1;
    }
    free(bytes);
    return rc ? 1 : 0;
}

static int cmd_check(int argc, char **argv)
{
    if (argc != 2)
        return usage_error("check: %s", argc < 2 ? "no image" : "too many arguments");
    char *bytes;
    sim_image_t img;
    if (load_image(argv[1], &bytes, &img, stdout))
        return 1;
    char parts[48], files[48], dirs[48];
    printf("%s: ok (%s, %s, %s)\n", argv[1],
           sim_counted(img.nparts, "partition", parts, sizeof parts),
           sim_counted(img.files, "file", files, sizeof files),
           sim_counted(img.dirs, "directory", dirs, sizeof dirs));
    free(bytes);
    return 0;
}

static int cmd_rules(int argc, char **argv)
{
    bool md = argc == 2 && strcmp(argv[1], "--markdown") == 0;
    if (argc > 2 || (argc == 2 && !md))
        return usage_error("rules: unexpected argument '%s'", argv[argc - 1]);
    if (md)
        puts("| rule | what must hold |\n|------|----------------|");
    for (int r = 0; r < SIM_RULE_COUNT; r++)
        printf(md ? "| %s | %s |\n" : "%-4s %s\n", sim_image_rule_id((sim_image_rule_t)r),
               sim_image_rule_text((sim_image_rule_t)r));
    return 0;
}

static const command_t commands[] = {
    {"build", "MANIFEST -o OUT.img", "build an image from a manifest",
     "Builds a disk image from an INI manifest (see docs/disk-image.md): [image] size,\n"
     "[partition NAME] type = boot|fs, file, size; [file /PATH] source, partition;\n"
     "[dir /PATH]. Paths in the manifest are relative to its directory. Errors name\n"
     "MANIFEST:LINE. The image is written to a temporary file beside OUT.img and renamed,\n"
     "so on any error nothing is written and an existing OUT.img is left as it was.\n",
     cmd_build},
    {"ls", "IMG [PATH]", "list the partitions and files",
     "Prints the partition table and, for each fs partition, every file and directory\n"
     "with its first sector (partition-relative) and size in bytes. With PATH (/dir,\n"
     "PART:/dir or PART:), lists only that part of the tree.\n",
     cmd_ls},
    {"cat", "IMG PATH", "write a file's bytes to standard output",
     "Writes the file at PATH to standard output, byte for byte. PATH is /path (in the\n"
     "first fs partition), PART:/path, or PART: for a whole partition's raw sectors\n"
     "(for example boot: for the boot loader).\n",
     cmd_cat},
    {"check", "IMG", "check an image against every rule",
     "Checks the image against every rule of the format. Prints 'IMG: ok (...)' and exits\n"
     "0, or prints each problem as 'IMG: offset 0xN: rule ID: what is wrong' and exits 1.\n"
     "'hvimg rules' lists the rules.\n",
     cmd_check},
    {"rules", "[--markdown]", "list the rules that check enforces",
     "Lists every rule an image must follow, with its ID as used in check's messages;\n"
     "--markdown prints the table of docs/disk-image.md.\n",
     cmd_rules},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const command_t *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void print_usage(FILE *out)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "%s hvimg %s %s\n", i ? "      " : "usage:", commands[i].name,
                commands[i].args);
    fputs("       hvimg --help | --version | COMMAND --help\n", out);
}

static void print_help(void)
{
    print_usage(stdout);
    fputs("\nhvimg makes and inspects the disk images hvsim's virtual machines boot from: a\n"
          "partition table, a boot partition and file systems, in 512-byte sectors\n"
          "(docs/disk-image.md).\n\nCommands:\n",
          stdout);
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("  %-7s %s\n", commands[i].name, commands[i].summary);
    fputs("\nExit status: 0 on success; 1 for a bad manifest or image, a missing file or path;\n"
          "2 for bad usage.\n\nExamples:\n"
          "  hvimg build tests/data/images/good.ini -o good.img\n"
          "  hvimg ls build/guestos/tinyos.img\n"
          "  hvimg cat build/guestos/tinyos.img /bin/hello > hello.bin\n"
          "  hvimg check build/guestos/tinyos.img\n",
          stdout);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("%s", "no command");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_help();
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        puts("hvimg 0.1 (image format version 1)");
        return 0;
    }
    const command_t *cmd = find_command(argv[1]);
    if (!cmd)
        return usage_error("unknown command '%s'", argv[1]);
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: hvimg %s %s\n\n%s", cmd->name, cmd->args, cmd->help);
            return 0;
        }
    return cmd->run(argc - 1, argv + 1);
}
