/*
 * repl_readline.c - the REPL at a terminal: GNU readline through its callback interface (so
 * that the GUI can later feed it from the SDL loop in the same thread), history in a file,
 * Tab completion from the command table, and Ctrl-C, which stops a running machine or, at the
 * prompt, throws the line away. The only file of hvsim that knows readline.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "ui_repl.h"

#define PROMPT "(hvsim) "
#define HISTORY_LINES 1000

static ui_repl_t *session;
static volatile sig_atomic_t got_sigint;
static ui_repl_matches_t matches;

static void on_sigint(int sig)
{
    got_sigint = 1;
    ui_repl_sigint(sig);
}

/* readline's generator: hands out the matches computed for this Tab, one per call. */
static char *next_match(const char *text, int state)
{
    static size_t i;
    (void)text;
    if (state == 0)
        i = 0;
    return i < matches.n ? strdup(matches.v[i++]) : NULL;
}

static char **complete(const char *text, int start, int end)
{
    rl_attempted_completion_over = 1; /* no file names unless a completer offers them */
    ui_repl_matches_free(&matches);
    ui_repl_complete(session, rl_line_buffer, (size_t)start, (size_t)end, &matches);
    return rl_completion_matches(text, next_match);
}

static void on_line(char *line)
{
    if (!line) { /* Ctrl-D */
        fputc('\n', stdout);
        session->quit = true;
        return;
    }
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == ' ') /* Tab leaves a space after a completed word */
        line[--n] = '\0';
    if (*line)
        add_history(line);
    /* The terminal goes back to normal while the command runs (and Ctrl-C reaches us). */
    rl_callback_handler_remove();
    ui_repl_execute(session, line);
    free(line);
    got_sigint = 0;
    if (!session->quit) /* gdb's ">" while `commands` collects lines up to `end` */
        rl_callback_handler_install(session->collecting ? ">" : PROMPT, on_line);
}

static const char *history_file(char *buf, size_t len)
{
    const char *env = getenv("HVSIM_HISTORY");
    if (env && *env)
        return env;
    const char *home = getenv("HOME");
    if (!home || !*home)
        return NULL;
    snprintf(buf, len, "%s/.hvsim_history", home);
    return buf;
}

/* The terminal's state between ui_repl_terminal_open and _close. */
static char hist_path[1024];
static const char *hist;
static struct sigaction old_sigint;

int ui_repl_terminal_open(ui_repl_t *r)
{
    hist = history_file(hist_path, sizeof hist_path);
    session = r;
    r->interactive = true;
    rl_readline_name = "hvsim";
    rl_catch_signals = 0;
    rl_attempted_completion_function = complete;
    rl_completer_word_break_characters = " \t";
    stifle_history(HISTORY_LINES);
    if (hist)
        read_history(hist);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint; /* no SA_RESTART: select() returns on Ctrl-C */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_sigint);

    rl_callback_handler_install(PROMPT, on_line);
    return fileno(rl_instream);
}

bool ui_repl_terminal_poll(ui_repl_t *r, int timeout_ms)
{
    bool interrupted = false;
    if (got_sigint) { /* Ctrl-C at the prompt: drop the line, prompt again */
        got_sigint = 0;
        interrupted = true;
        rl_free_line_state();
        rl_callback_sigcleanup();
        fputc('\n', stdout);
        rl_on_new_line();
        rl_replace_line("", 0);
        rl_redisplay();
    }
    while (!r->quit) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(fileno(rl_instream), &fds);
        struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        int n = select(fileno(rl_instream) + 1, &fds, NULL, NULL, timeout_ms < 0 ? NULL : &tv);
        if (n < 0 && errno == EINTR)
            return interrupted || got_sigint;
        if (n <= 0)
            break;
        rl_callback_read_char();
        timeout_ms = 0; /* then whatever else is already typed, without waiting */
    }
    return interrupted;
}

void ui_repl_terminal_print(ui_repl_t *r, const char *line, const ui_dbg_stop_t *st)
{
    /* Take the prompt and the half-typed line away, print, and put them back. */
    char *saved = rl_copy_text(0, rl_end);
    int point = rl_point;
    rl_save_prompt();
    rl_replace_line("", 0);
    rl_redisplay();
    if (line)
        fprintf(r->out, "%s\n", line);
    if (st)
        ui_repl_print_stop(r, st);
    fflush(r->out);
    rl_restore_prompt();
    rl_replace_line(saved ? saved : "", 0);
    rl_point = point;
    free(saved);
    rl_forced_update_display();
}

void ui_repl_terminal_close(ui_repl_t *r)
{
    (void)r;
    rl_callback_handler_remove();
    sigaction(SIGINT, &old_sigint, NULL);
    if (hist && write_history(hist) == 0)
        history_truncate_file(hist, HISTORY_LINES);
    ui_repl_matches_free(&matches);
    session = NULL;
}

int ui_repl_terminal(ui_repl_t *r)
{
    ui_repl_terminal_open(r);
    while (!r->quit)
        ui_repl_terminal_poll(r, -1);
    ui_repl_terminal_close(r);
    return 0;
}
