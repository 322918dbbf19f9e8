/*
 * test_hv_cli.c - the hypervisor's command line as a student uses it: hvsim with no arguments
 * and --headless run the default scenario (console lines prefixed by the VM's name, then the
 * statistics, exit 0); --list-scenarios lists one list; --scenario NAME|FILE; scenario file
 * errors name the file, the line and the key; --vs-native; --trace-out.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/harness.h"

static char *run(const char *cmd, int *status)
{
    return th_sh(cmd, false, status);
}

Test(hv_cli, no_arguments_run_the_default_scenario_headless, .timeout = 60)
{
    int status;
    char *out = run("$B/hvsim </dev/null", &status);
    cr_expect_eq(status, 0, "%s", out);
    cr_expect(strstr(out, "[tinyos] $ hello\n") != NULL, "%s", out);
    cr_expect(strstr(out, "[rtos] [rtos] hypervisor present") != NULL, "%s", out);
    cr_expect(strstr(out, "[stats] tinyos (hw + nested") != NULL, "%s", out);
    cr_expect(strstr(out, "exits") && strstr(out, "average"), "%s", out);
    char *again = run("$B/hvsim --headless", &status);
    cr_expect_eq(status, 0);
    cr_expect_str_eq(again, out, "--headless is the same run, to the byte");
    free(out);
    free(again);
}

Test(hv_cli, list_scenarios_is_one_list)
{
    int status;
    char *out = run("$B/hvsim --list-scenarios", &status);
    cr_expect_eq(status, 0);
    static const char *names[] = {"native-tinyos", "native-rtos", "default", "overcommit",
                                  "untagged", "type2", "isolation"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        cr_expect(strstr(out, names[i]) != NULL, "%s missing in:\n%s", names[i], out);
    free(out);
}

/* A scenario file's mistakes: each names FILE:LINE and the key, all of them at once. */
Test(hv_cli, scenario_file_errors_name_file_line_and_key)
{
    char path[] = "/tmp/hvsim-scenario-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("[machine]\n"
          "pcpus = 99\n"
          "[hypervisor]\n"
          "scheduler = fastest\n"
          "[vm a]\n"
          "memory = 8Q\n"
          "colour = blue\n"
          "[vm b]\n"
          "image = nothing.img\n"
          "[weird]\n",
          f);
    fclose(f);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "$B/hvsim --scenario %s 2>&1", path);
    int status;
    char *out = run(cmd, &status);
    cr_expect_eq(status, 1, "%s", out);
    char want[300];
    static const char *const expect[] = {
        ":2: error: pcpus = '99'", ":4: error: scheduler = 'fastest': it must be pin or overcommit",
        ":6: error: memory = '8Q'", ":7: error: unknown key 'colour' in [vm a]",
        ":10: error: unknown section [weird]", ":5: error: [vm a] has neither image"};
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        snprintf(want, sizeof want, "%s%s", path, expect[i]);
        cr_expect(strstr(out, want) != NULL, "want '%s' in:\n%s", want, out);
    }
    unlink(path);
    free(out);
}

Test(hv_cli, missing_image_names_the_line)
{
    char path[] = "/tmp/hvsim-scenario-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("[vm a]\nimage = no-such.img\n", f);
    fclose(f);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "$B/hvsim --scenario %s 2>&1", path);
    int status;
    char *out = run(cmd, &status);
    cr_expect_eq(status, 1);
    char want[300];
    snprintf(want, sizeof want, "%s:2: error: image ", path);
    cr_expect(strstr(out, want) && strstr(out, "no-such.img: cannot read"), "%s", out);
    unlink(path);
    free(out);
}

Test(hv_cli, vs_native_prints_the_overhead, .timeout = 60)
{
    int status;
    char *out = run("$B/hvsim --scenario default --vs-native", &status);
    cr_expect_eq(status, 0);
    cr_expect(strstr(out, "[vs-native] tinyos: ") && strstr(out, "natively: "), "%s", out);
    cr_expect(strstr(out, "%; console differs"), "a signed percentage: %s", out);
    cr_expect(strstr(out, "[vs-native] rtos: ") != NULL, "%s", out);
    free(out);
}

/* The trace opens in Perfetto: valid JSON, a traceEvents array, processes named after the VMs,
 * complete events with ts and dur, instants for exits. */
Test(hv_cli, trace_out_is_valid_json, .timeout = 60)
{
    char path[] = "/tmp/hvsim-trace-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "$B/hvsim --scenario default --trace-out %s >/dev/null", path);
    int status;
    free(run(cmd, &status));
    cr_assert_eq(status, 0);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    cr_assert_not_null(root, "line %d: %s", err.line, err.text);
    json_t *events = json_object_get(root, "traceEvents");
    cr_assert(json_is_array(events));
    size_t spans = 0, exits = 0, names = 0, i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        const char *ph = json_string_value(json_object_get(ev, "ph"));
        cr_assert_not_null(ph);
        cr_assert(json_is_integer(json_object_get(ev, "pid")));
        if (!strcmp(ph, "X")) {
            spans++;
            cr_assert(json_is_number(json_object_get(ev, "ts")));
            cr_assert(json_is_number(json_object_get(ev, "dur")));
            cr_assert(json_is_integer(json_object_get(ev, "tid")));
        } else if (!strcmp(ph, "i")) {
            const char *name = json_string_value(json_object_get(ev, "name"));
            exits += name && !strncmp(name, "exit ", 5);
        } else if (!strcmp(ph, "M")) {
            json_t *args = json_object_get(ev, "args");
            const char *n = json_string_value(json_object_get(args, "name"));
            names += n && (!strcmp(n, "tinyos") || !strcmp(n, "rtos"));
        }
    }
    cr_expect_gt(spans, 100);
    cr_expect_gt(exits, 100);
    cr_expect_eq(names, 2, "a process per VM");
    json_decref(root);
    unlink(path);
}

/* Determinism, as the trace shows it: two runs write the same file, byte for byte. */
Test(hv_cli, two_runs_write_identical_traces, .timeout = 60)
{
    char a[] = "/tmp/hvsim-trace-a-XXXXXX", b[] = "/tmp/hvsim-trace-b-XXXXXX";
    close(mkstemp(a));
    close(mkstemp(b));
    char cmd[300];
    snprintf(cmd, sizeof cmd,
             "$B/hvsim --scenario overcommit --trace-out %s >/dev/null && "
             "$B/hvsim --scenario overcommit --trace-out %s >/dev/null && cmp %s %s && echo same",
             a, b, a, b);
    int status;
    char *out = run(cmd, &status);
    cr_expect_eq(status, 0, "%s", out);
    cr_expect(strstr(out, "same") != NULL, "%s", out);
    free(out);
    unlink(a);
    unlink(b);
}
