/* Unit tests for reading files: include (glob, nesting, loops), confdir (order, first
 * directory wins, missing directories), sourcedir (*.sources, source lines only), the
 * no_includes option, and the two tutorial examples of examples/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf_internal.h"
#include "conf/config.h"

static char tmpdir[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/tock-conf-test-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes TEXT to tmpdir/NAME (creating subdirectories one level deep); returns the path. */
static char *put(const char *name, const char *text)
{
    char *path = NULL;
    assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    mkdir(path, 0700);
    *slash = '/';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static char *path_of(const char *name)
{
    char *path = NULL;
    assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
    return path;
}

/* Loads a file and returns all diags printed, with tmpdir replaced by "T". */
static char *load_file_diags(const char *path, struct tock_config *keep, int *rc)
{
    struct tock_config c;
    struct conf_diags d;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    int r = conf_load_file(path, &c, &d);
    if (rc)
        *rc = r;
    conf_diags_print(&d, f);
    fclose(f);
    if (keep)
        *keep = c;
    else
        conf_free(&c);
    conf_diags_free(&d);
    /* Replace every occurrence of tmpdir by T. */
    size_t tl = strlen(tmpdir);
    char *out = malloc(strlen(buf) + 1), *o = out;
    assert_non_null(out);
    for (const char *s = buf; *s;) {
        if (strncmp(s, tmpdir, tl) == 0) {
            *o++ = 'T';
            s += tl;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    free(buf);
    return out;
}

static void expect_file(const char *path, const char *expected)
{
    char *got = load_file_diags(path, NULL, NULL);
    if (strcmp(got, expected) != 0)
        fail_msg("expected:\n%s\ngot:\n%s", expected, got);
    free(got);
}

static void include_glob_and_locations(void **state)
{
    (void)state;
    free(put("inc/b.conf", "cmdport 3232\nbogus\n"));
    free(put("inc/a.conf", "port 1123\n"));
    free(put("inc/c.txt", "port 9\n"));
    char *main_text = NULL;
    assert_true(asprintf(&main_text, "include %s/inc/*.conf\nport 1124\n", tmpdir) > 0);
    char *main = put("main.conf", main_text);
    struct tock_config c;
    char *got = load_file_diags(main, &c, NULL);
    /* a.conf before b.conf (glob order); c.txt not matched; messages name the included file;
     * the override names both files. */
    assert_string_equal(got, "T/inc/b.conf:2: error: invalid directive bogus\n"
                             "T/main.conf:2: warning: port at T/main.conf:2 overrides "
                             "T/inc/a.conf:1\n");
    assert_int_equal(c.port, 1124);
    assert_int_equal(c.cmdport, 3232);
    assert_int_equal(c.files.n, 3);
    conf_free(&c);
    free(got);
    free(main_text);
    free(main);
}

static void include_errors(void **state)
{
    (void)state;
    char *text = NULL;
    assert_true(asprintf(&text,
                         "include %s/none*.conf\ninclude\ninclude %s\ninclude %s/missing.conf\n",
                         tmpdir, tmpdir, tmpdir) > 0);
    char *main = put("main.conf", text);
    /* As chrony: a wildcard that matches nothing is not an error (tock warns); a named file
     * that does not exist is. */
    expect_file(main, "T/main.conf:1: warning: include: no file matches T/none*.conf (ignored, as "
                      "chrony does)\n"
                      "T/main.conf:2: error: include: missing argument (syntax: include PATTERN)\n"
                      "T/main.conf:3: error: include: cannot read T: Is a directory\n"
                      "T/main.conf:4: error: include: cannot read T/missing.conf: No such file or "
                      "directory\n");
    free(text);
    free(main);
}

static void include_nesting_and_loops(void **state)
{
    (void)state;
    /* n0 includes n1 ... n9 includes n10: the main file plus 10 levels of nesting is fine. */
    for (int i = 0; i <= 10; i++) {
        char name[32], *text = NULL;
        snprintf(name, sizeof(name), "n%d.conf", i);
        if (i < 10)
            assert_true(asprintf(&text, "include %s/n%d.conf\n", tmpdir, i + 1) > 0);
        else
            text = strdup("port 4242\n");
        free(put(name, text));
        free(text);
    }
    struct tock_config c;
    int rc;
    char *n0 = path_of("n0.conf");
    char *got = load_file_diags(n0, &c, &rc);
    assert_string_equal(got, "");
    assert_int_equal(rc, 0);
    assert_int_equal(c.port, 4242);
    conf_free(&c);
    free(got);
    /* One more level is refused. */
    char *top = NULL;
    assert_true(asprintf(&top, "include %s\n", n0) > 0);
    char *m = put("m.conf", top);
    expect_file(m, "T/n9.conf:1: error: include: T/n10.conf: nested too deeply (max 10 levels)\n");
    free(top);
    free(m);
    free(n0);
    /* A loop is refused at the line that closes it. */
    char *a = NULL, *b = NULL;
    assert_true(asprintf(&a, "port 1\ninclude %s/loop-b.conf\n", tmpdir) > 0);
    assert_true(asprintf(&b, "include %s/loop-a.conf\ncmdport 2\n", tmpdir) > 0);
    free(put("loop-b.conf", b));
    char *pa = put("loop-a.conf", a);
    expect_file(pa, "T/loop-b.conf:1: error: include: include loop: T/loop-a.conf is already "
                    "being read\n");
    free(a);
    free(b);
    free(pa);
    /* A file including itself. */
    char *self = NULL;
    assert_true(asprintf(&self, "include %s/self.conf\n", tmpdir) > 0);
    char *ps = put("self.conf", self);
    expect_file(ps, "T/self.conf:1: error: include: include loop: T/self.conf is already being "
                    "read\n");
    free(self);
    free(ps);
}

static void confdir_order_and_shadowing(void **state)
{
    (void)state;
    free(put("d1/20-b.conf", "cmdport 1\n"));
    free(put("d1/10-a.conf", "port 1\n"));
    free(put("d2/10-a.conf", "port 2\n")); /* hidden by d1/10-a.conf */
    free(put("d2/15-x.conf", "port 3\n"));
    free(put("d2/.hidden.conf", "port 4\n"));
    free(put("d2/notes.txt", "port 5\n"));
    char *text = NULL;
    assert_true(asprintf(&text, "confdir %s/d1 %s/missing %s/d2\n", tmpdir, tmpdir, tmpdir) > 0);
    char *main = put("main.conf", text);
    struct tock_config c;
    char *got = load_file_diags(main, &c, NULL);
    /* Order by file name across directories: 10-a (d1), 15-x (d2), 20-b (d1). */
    assert_string_equal(got, "T/d2/15-x.conf:1: warning: port at T/d2/15-x.conf:1 overrides "
                             "T/d1/10-a.conf:1\n");
    assert_int_equal(c.port, 3);
    assert_int_equal(c.cmdport, 1);
    assert_int_equal(c.files.n, 4);
    conf_free(&c);
    free(got);
    free(text);
    free(main);
    char *many = put("many.conf", "confdir a b c d e f g h i j k\nconfdir\n");
    expect_file(many, "T/many.conf:1: error: confdir: too many directories (max 10)\n"
                      "T/many.conf:2: error: confdir: missing argument (syntax: confdir "
                      "DIRECTORY...)\n");
    free(many);
}

static void sourcedir_files(void **state)
{
    (void)state;
    free(put("s1/dhcp.sources", "server 192.0.2.1 iburst\npool pool.example\n"));
    free(put("s1/bad.sources", "server 192.0.2.2\nallow 10.0.0.0/8\npeer 192.0.2.3\n"
                               "server 192.0.2.6 ibrust\n"));
    free(put("s1/partial.sources", "server 192.0.2.4\nserver 192.0.2.5"));
    free(put("s1/ignored.conf", "server 192.0.2.9\n"));
    free(put("s2/dhcp.sources", "server 192.0.2.7\n")); /* hidden by s1/dhcp.sources */
    char *text = NULL;
    assert_true(asprintf(&text, "sourcedir %s/s1 %s/s2\nserver 192.0.2.10\n", tmpdir, tmpdir) > 0);
    char *main = put("main.conf", text);
    struct tock_config c;
    int rc;
    char *got = load_file_diags(main, &c, &rc);
    /* chrony skips the bad lines of *.sources files: warnings, not errors. */
    assert_string_equal(
        got, ""
             "T/s1/bad.sources:2: warning: allow: not allowed in a sourcedir file (only server, "
             "pool and peer lines) (line ignored, as chrony does in sourcedir files)\n"
             "T/s1/bad.sources:3: warning: peer: not supported by tock; fix: use server on both "
             "hosts (client/server mode is safer than symmetric mode) (line ignored, as chrony "
             "does in sourcedir files)\n"
             "T/s1/bad.sources:4: warning: server: unknown option 'ibrust'; did you mean iburst? "
             "(line ignored, as chrony does in sourcedir files)\n"
             "T/s1/partial.sources:2: warning: last line has no newline; ignored (sourcedir files "
             "need complete lines)\n"
             "");
    assert_int_equal(rc, 0);
    assert_int_equal(c.n_sources, 5);
    assert_true(c.sources[0].from_sourcedir);
    assert_string_equal(c.sources[0].host, "192.0.2.2");
    assert_false(c.sources[4].from_sourcedir);
    /* The line as written, for "reload sources". */
    assert_int_equal(c.sourcedirs.n, 1);
    char *line = NULL;
    assert_true(asprintf(&line, "%s/s1 %s/s2", tmpdir, tmpdir) > 0);
    assert_string_equal(c.sourcedirs.items[0], line);
    free(line);

    /* Reload after the DHCP file changed: only the directory sources, read again. */
    free(put("s1/dhcp.sources", "server 192.0.2.8\n"));
    struct tock_config r;
    struct conf_diags d;
    assert_int_equal(conf_load_sourcedirs(&c, &r, &d), 0);
    assert_int_equal(r.n_sources, 3);
    assert_string_equal(r.sources[0].host, "192.0.2.2");
    assert_string_equal(r.sources[1].host, "192.0.2.8");
    assert_string_equal(r.sources[2].host, "192.0.2.4");
    assert_true(r.sources[1].from_sourcedir);
    assert_int_equal(d.n_errors, 0);
    assert_int_equal(d.n_warnings, 4);
    conf_free(&r);
    conf_diags_free(&d);

    conf_free(&c);
    free(got);
    free(text);
    free(main);
}

static void no_includes_option(void **state)
{
    (void)state;
    static const char text[] = "include /etc/*.conf\nconfdir /etc\nsourcedir /etc\nport 7\n";
    struct conf_load_opts opts = {.no_includes = true};
    struct tock_config c;
    struct conf_diags d;
    int rc = conf_load_buffer(text, sizeof(text) - 1, "s.conf", &opts, &c, &d);
    assert_int_equal(rc, -1);
    assert_int_equal(d.n_errors, 3);
    assert_string_equal(d.items[0].message, "include: file inclusion is disabled here");
    assert_string_equal(d.items[1].message, "confdir: file inclusion is disabled here");
    assert_string_equal(d.items[2].message, "sourcedir: file inclusion is disabled here");
    assert_int_equal(c.files.n, 1);
    assert_int_equal(c.sourcedirs.n, 0);
    assert_int_equal(c.port, 7);
    conf_free(&c);
    conf_diags_free(&d);
}

/* ---- the tutorial examples ---- */

/* A file of the repository, from this file's path as compiled (tests run from the root). */
static char *repo_file(const char *name)
{
    char *path = NULL;
    const char *src = __FILE__;
    const char *cut = strstr(src, "tests/unit/");
    assert_non_null(cut);
    assert_true(asprintf(&path, "%.*s%s", (int)(cut - src), src, name) > 0);
    return path;
}

static char *example(const char *name)
{
    char *rel = NULL;
    assert_true(asprintf(&rel, "examples/%s", name) > 0);
    char *path = repo_file(rel);
    free(rel);
    return path;
}

static bool has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
        bool start = p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        bool end = !(isalnum((unsigned char)p[n]) || p[n] == '_');
        if (start && end)
            return true;
    }
    return false;
}

/* man/tock.conf.5 documents every directive of the table. */
/* The man page's text (static buffer: one page at a time). */
static const char *read_man_page(const char *path)
{
    static char text[1 << 17];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    return text;
}

static void man_page_lists_every_directive(void **state)
{
    (void)state;
    char *path = repo_file("man/tock.conf.5");
    const char *text = read_man_page(path);
    for (int i = 0; i < conf_n_directives; i++) {
        if (!has_word(text, conf_directives[i].name))
            fail_msg("man/tock.conf.5 does not document %s", conf_directives[i].name);
    }
    free(path);
}

/* The words of the line after ".B LABEL" in the man page's status section. */
static bool status_list_has(const char *text, const char *label, const char *name)
{
    const char *sec = strstr(text, ".SS Status of each directive in this build");
    char marker[64];
    snprintf(marker, sizeof(marker), "\n.B %s\n", label);
    const char *at = sec ? strstr(sec, marker) : NULL;
    if (!at)
        return false;
    at += strlen(marker);
    const char *end = strchr(at, '\n');
    size_t nlen = strlen(name);
    for (const char *p = at; p && p < end; p = strstr(p + 1, name)) {
        p = strstr(p, name);
        if (!p || p >= end)
            return false;
        bool start_ok = p == at || p[-1] == ' ';
        bool end_ok = p[nlen] == ',' || p[nlen] == '.';
        if (start_ok && end_ok)
            return true;
    }
    return false;
}

static void man_page_status_matches_table(void **state)
{
    (void)state;
    char *path = repo_file("man/tock.conf.5");
    const char *text = read_man_page(path);
    for (int i = 0; i < conf_n_directives; i++) {
        const char *name = conf_directives[i].name;
        bool active = conf_directives[i].support == CONF_SUPPORT_ACTIVE;
        bool planned = conf_directives[i].support == CONF_SUPPORT_PLANNED;
        if (status_list_has(text, "active", name) != active)
            fail_msg("man/tock.conf.5: %s %s be listed as active", name,
                     active ? "must" : "must not");
        if (status_list_has(text, "planned", name) != planned)
            fail_msg("man/tock.conf.5: %s %s be listed as planned", name,
                     planned ? "must" : "must not");
    }
    free(path);
}

/* The diags of one level of a file, printed as conf_diags_print does. */
static char *file_level(const char *path, enum conf_diag_level level, int *rc, int *n_errors)
{
    struct tock_config c;
    struct conf_diags d;
    char *buf = NULL, line[4096];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    *rc = conf_load_file(path, &c, &d);
    *n_errors = d.n_errors;
    for (int i = 0; i < d.n; i++) {
        if (d.items[i].level == level)
            fprintf(f, "%s\n", conf_diag_format(&d.items[i], line, sizeof(line)));
    }
    fclose(f);
    conf_free(&c);
    conf_diags_free(&d);
    return buf;
}

static void tutorial_config_errors(void **state)
{
    (void)state;
    char *path = example("tutorial-chrony.conf");
    const char *P = path;
    int rc, n_errors;
    char *got = file_level(path, CONF_DIAG_ERROR, &rc, &n_errors);
    char *expected = NULL;
    assert_true(
        asprintf(
            &expected,
            "%s:18: error: several directives on one line; put one per line: \"server "
            "time.cloudflare.com iburst\", \"server time.google.com iburst\"\n"
            "%s:22: error: several directives on one line; put one per line: \"port 0\", \"cmdport "
            "323\", \"bindcmdaddress 127.0.0.1\", \"bindcmdaddress ::1\"\n"
            "%s:26: error: several directives on one line; put one per line: \"allow "
            "192.168.1.0/24\", \"allow 10.0.0.0/8\", \"allow 172.16.0.0/12\"\n"
            "%s:30: error: several directives on one line; put one per line: \"ratelimit interval "
            "1 burst 16\", \"ratelimit ntp interval 1 burst 8\"\n"
            "%s:30: error: ratelimit: unknown option 'ntp'; fix: remove 'ntp': ratelimit interval "
            "1 burst 8\n"
            "%s:34: error: several directives on one line; put one per line: \"log tracking "
            "measurements statistics\", \"logdir /var/log/chrony\"\n"
            "%s:38: error: several directives on one line; put one per line: \"driftfile "
            "/var/lib/chrony/chrony.drift\", \"keyfile /etc/chrony/chrony.keys\"\n"
            "%s:42: error: several directives on one line; put one per line: \"makestep 1.0 3\", "
            "\"rtcsync\"\n"
            "%s:69: error: several directives on one line; put one per line: \"ratelimit interval "
            "2 burst 16\", \"ratelimit ntp interval 1 burst 8\"\n"
            "%s:69: error: ratelimit: unknown option 'ntp'; fix: remove 'ntp': ratelimit interval "
            "1 burst 8\n"
            "%s:90: error: invalid directive schedrr; fix: use sched_priority 1 (SCHED_FIFO "
            "1-99)\n"
            "%s:92: error: noclientlog: rate limiting cannot be enabled with noclientlog: "
            "ratelimit at %s:69; fix: drop noclientlog (rate limiting needs the client log)\n"
            "%s:96: error: invalid directive minpoll; fix: minpoll is an option of server/pool: "
            "server HOST minpoll 4 maxpoll 10\n",
            P, P, P, P, P, P, P, P, P, P, P, P, P, P) > 0);
    if (strcmp(got, expected) != 0)
        fail_msg("expected:\n%s\ngot:\n%s", expected, got);
    assert_int_equal(rc, -1);
    assert_int_equal(n_errors, 13);
    free(got);
    free(expected);

    /* The ineffective lines are warnings. */
    got = file_level(path, CONF_DIAG_WARNING, &rc, &n_errors);
    expected = NULL;
    assert_true(
        asprintf(&expected,
                 "%s:26: warning: allow has no effect: port 0 at %s:22 disables the NTP server\n"
                 "%s:26: warning: allow has no effect: port 0 at %s:22 disables the NTP server\n"
                 "%s:26: warning: allow has no effect: port 0 at %s:22 disables the NTP server\n"
                 "%s:59: warning: allow has no effect: port 0 at %s:22 disables the NTP server\n"
                 "%s:60: warning: allow has no effect: port 0 at %s:22 disables the NTP server\n"
                 "%s:61: warning: allow has no effect: port 0 at %s:22 disables the NTP server\n"
                 "%s:65: warning: deny all at %s:65 denies everyone: it wipes the allow rules at "
                 "%s:26, %s:59, %s:60, %s:61 (drop the line: the default is already deny)\n"
                 "%s:69: warning: ratelimit at %s:69 overrides %s:30\n"
                 "%s:78: warning: ntsservercert has no effect: port 0 at %s:22 disables the NTP "
                 "server\n"
                 "%s:85: warning: server: time.cloudflare.com is already configured at %s:18; "
                 "this line is ignored; fix: merge the options into one line: server "
                 "time.cloudflare.com iburst nts\n",
                 P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P) > 0);
    if (strcmp(got, expected) != 0)
        fail_msg("expected:\n%s\ngot:\n%s", expected, got);
    free(got);
    free(expected);
    free(path);
}

static void corrected_tutorial_is_clean(void **state)
{
    (void)state;
    char *path = example("tock-tutorial.conf");
    int rc, n_errors;
    char *errors = file_level(path, CONF_DIAG_ERROR, &rc, &n_errors);
    char *warnings = file_level(path, CONF_DIAG_WARNING, &rc, &n_errors);
    assert_string_equal(errors, "");
    assert_string_equal(warnings, "");
    assert_int_equal(rc, 0);
    assert_int_equal(n_errors, 0);
    free(errors);
    free(warnings);

    struct tock_config c;
    struct conf_diags d;
    assert_int_equal(conf_load_file(path, &c, &d), 0);
    assert_int_equal(c.port, 123);
    assert_int_equal(c.n_sources, 6);
    assert_true(c.sources[4].nts && c.sources[4].iburst);
    assert_int_equal(c.ntp_acl.n_rules, 3);
    assert_true(c.ratelimit.enabled);
    assert_int_equal(c.ratelimit.interval, 1);
    assert_int_equal(c.ratelimit.burst, 16);
    assert_false(c.noclientlog);
    assert_int_equal(c.sched_priority, 1);
    assert_true(c.lock_all);
    assert_int_equal(c.n_nts_certkeys, 1);
    conf_free(&c);
    conf_diags_free(&d);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(include_glob_and_locations, setup, teardown),
        cmocka_unit_test_setup_teardown(include_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(include_nesting_and_loops, setup, teardown),
        cmocka_unit_test_setup_teardown(confdir_order_and_shadowing, setup, teardown),
        cmocka_unit_test_setup_teardown(sourcedir_files, setup, teardown),
        cmocka_unit_test(no_includes_option),
        cmocka_unit_test(tutorial_config_errors),
        cmocka_unit_test(corrected_tutorial_is_clean),
        cmocka_unit_test(man_page_lists_every_directive),
        cmocka_unit_test(man_page_status_matches_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
