/* tockd: start-up, the main loop and shutdown. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/config.h"
#include "daemon/clock.h"
#include "daemon/cmd_socket.h"
#include "daemon/daemon.h"
#include "daemon/harden.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/metrics.h"
#include "daemon/ntp_server.h"
#include "daemon/nts_client.h"
#include "daemon/nts_server.h"
#include "daemon/pidfile.h"
#include "daemon/statlog.h"
#include "daemon/resolver.h"

#ifndef TOCK_SYSCONFDIR
#define TOCK_SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG TOCK_SYSCONFDIR "/tock/tock.conf"

struct options {
    const char *config_path;
    const char *quickstart_dir; /* non-NULL: the embedded quick-start configuration */
    int foreground;             /* 0 daemon, 1 -n (syslog), 2 -d (stderr) */
    int debug;
    bool no_clock_control;
    bool check_only;    /* -Q */
    bool print_config;  /* -p */
    bool no_root_check; /* -U */
    int log_level;
    const char *user;
    const char *clock_spec; /* --clock system|none|sim:OFFSET:PPM */
    const char *log_file;   /* -l */
    int seccomp_level;      /* -F */
    int sched_priority;     /* -P, -1 = the sched_priority directive */
    bool lock_memory;       /* -m */
};

static void usage(FILE *out)
{
    fprintf(out, "Usage: tockd [OPTION]...\n"
                 "NTP server and client (chrony.conf compatible).\n\n"
                 "  -f FILE       configuration file (default " DEFAULT_CONFIG ")\n"
                 "  -d            stay in the foreground and log to stderr (-d -d: debug)\n"
                 "  -n            stay in the foreground and log to syslog\n"
                 "  -l FILE       log to FILE instead of syslog or stderr\n"
                 "  -x            never adjust the system clock\n"
                 "  -Q            check the configuration, report every bad line, and exit\n"
                 "                (0 valid, 1 invalid); sends no packet, resolves no name.\n"
                 "                Unlike chronyd -Q this is not a one-shot offset query.\n"
                 "  -p            print the parsed configuration (includes expanded) and exit\n"
                 "  -L LEVEL      minimum log level: -1 debug, 0 info, 1 warning, 2 error\n"
                 "  -l FILE       log to FILE (appended) instead of syslog or stderr\n"
                 "  -u USER       user to run as after start-up (default: the user directive,\n"
                 "                else " TOCK_DEFAULT_USER ")\n"
                 "  -U            start without root, with capabilities from outside\n"
                 "                (systemd AmbientCapabilities=, a container)\n"
                 "  -F LEVEL      seccomp filter: 1 on (default), 0 off, -1 a forbidden\n"
                 "                system call raises SIGSYS and is logged (debugging)\n"
                 "  -P PRIORITY   SCHED_FIFO priority 1..99 (as sched_priority; 0 off)\n"
                 "  -m            lock the daemon's memory (as lock_all)\n"
                 "  --clock DRIVER\n"
                 "                clock driver: system (default), none (as -x), or\n"
                 "                sim:OFFSET:PPM, a simulated clock over CLOCK_MONOTONIC that\n"
                 "                starts OFFSET seconds ahead and runs PPM fast (tests)\n"
                 "  --quickstart[=DIR]\n"
                 "                use the embedded quick-start configuration: serve the local\n"
                 "                clock as stratum 10 on 127.0.0.1 and ::1 port 11123, command\n"
                 "                socket and pidfile in DIR (default ./run)\n"
                 "  -v, --version print the version and exit\n"
                 "  -h, --help    this help\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"quickstart", optional_argument, NULL, 'q'},
        {"clock", required_argument, NULL, 'C'},
        {"version", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    memset(o, 0, sizeof(*o));
    o->log_level = 0;
    o->seccomp_level = SANDBOX_LEVEL_DEFAULT;
    o->sched_priority = -1;
    while ((c = getopt_long(argc, argv, "f:dnxQpL:l:u:UF:P:mvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            o->config_path = optarg;
            break;
        case 'd':
            if (o->foreground == 2)
                o->debug = 1;
            o->foreground = 2;
            break;
        case 'n':
            if (o->foreground < 1)
                o->foreground = 1;
            break;
        case 'x':
            o->no_clock_control = true;
            break;
        case 'Q':
            o->check_only = true;
            break;
        case 'p':
            o->print_config = true;
            break;
        case 'L': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < -1 || v > 3) {
                fprintf(stderr, "tockd: invalid log level %s (-1..3)\n", optarg);
                return -1;
            }
            o->log_level = (int)v;
            break;
        }
        case 'l':
            o->log_file = optarg;
            break;
        case 'u':
            o->user = optarg;
            break;
        case 'U':
            o->no_root_check = true;
            break;
        case 'F': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || !*optarg || !sandbox_level_valid((int)v) || v != (int)v) {
                fprintf(stderr, "tockd: invalid seccomp level %s (1 on, 0 off, -1 SIGSYS)\n",
                        optarg);
                return -1;
            }
            o->seccomp_level = (int)v;
            break;
        }
        case 'P': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || !*optarg || v < 0 || v > 99) {
                fprintf(stderr, "tockd: invalid scheduler priority %s (1..99, 0 off)\n", optarg);
                return -1;
            }
            o->sched_priority = (int)v;
            break;
        }
        case 'm':
            o->lock_memory = true;
            break;
        case 'q':
            o->quickstart_dir = optarg ? optarg : "./run";
            break;
        case 'C':
            o->clock_spec = optarg;
            break;
        case 'v':
            printf("tockd %s\n", TOCK_VERSION);
            exit(0);
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr,
                "tockd: unexpected argument '%s' (configuration directives go in the file "
                "given with -f)\n",
                argv[optind]);
        return -1;
    }
    if (o->quickstart_dir && o->config_path) {
        fprintf(stderr, "tockd: --quickstart and -f exclude each other\n");
        return -1;
    }
    return 0;
}

/* The embedded quick-start configuration (make run): no root, no internet. */
static char *quickstart_text(const char *dir)
{
    static const char fmt[] =
        "# tock quick-start configuration (embedded in tockd; see `tockd --quickstart -p`)\n"
        "# Serve this machine's clock, as chronyd's `local stratum 10`, to this machine only.\n"
        "port 11123\n"
        "bindaddress 127.0.0.1\n"
        "bindaddress ::1\n"
        "allow 127.0.0.1\n"
        "allow ::1\n"
        "local stratum 10\n"
        "# No UDP command port: tockctl talks to the Unix socket below.\n"
        "cmdport 0\n"
        "bindcmdaddress %s/tockd.sock\n"
        "pidfile %s/tockd.pid\n";
    size_t len = sizeof(fmt) + 2 * strlen(dir);
    char *text = malloc(len);
    if (text)
        snprintf(text, len, fmt, dir, dir);
    return text;
}

/* Creates the quick-start directory (0770) and returns its absolute path. */
static char *prepare_quickstart_dir(const char *dir, bool create)
{
    char resolved[PATH_MAX];
    if (create && mkdir(dir, 0770) < 0 && errno != EEXIST) {
        fprintf(stderr, "tockd: cannot create %s: %s\n", dir, strerror(errno));
        return NULL;
    }
    if (!realpath(dir, resolved)) {
        if (create) {
            fprintf(stderr, "tockd: %s: %s\n", dir, strerror(errno));
            return NULL;
        }
        /* -p / -Q: show the path as given, nothing is created. */
        return strdup(dir);
    }
    return strdup(resolved);
}

static const char *config_name(const struct options *o)
{
    return o->quickstart_dir ? "<quickstart>" : (o->config_path ? o->config_path : DEFAULT_CONFIG);
}

/* n_errors/n_warnings: the counts for -Q's summary line. */
static int load_config(const struct options *o, struct tock_config *conf, int *n_errors,
                       int *n_warnings)
{
    struct conf_diags diags = {0};
    int rc;

    memset(conf, 0, sizeof(*conf)); /* conf_free() must work even if loading never starts */
    if (o->quickstart_dir) {
        bool create = !o->check_only && !o->print_config;
        char *dir = prepare_quickstart_dir(o->quickstart_dir, create);
        if (!dir)
            return -1;
        char *text = quickstart_text(dir);
        free(dir);
        if (!text)
            return -1;
        rc = conf_load_string(text, "<quickstart>", conf, &diags);
        free(text);
    } else {
        rc = conf_load_file(o->config_path ? o->config_path : DEFAULT_CONFIG, conf, &diags);
    }
    conf_diags_print(&diags, stderr);
    *n_errors = diags.n_errors;
    *n_warnings = diags.n_warnings;
    conf_diags_free(&diags);
    return rc;
}

/* Forks into the background. The parent waits on a pipe until the child reports that
 * start-up finished, so a failure is seen in the exit status of the command that started
 * tockd (systemd Type=forking, init scripts). Returns the write end for the child. */
static int daemonize(void)
{
    int pipefd[2];
    if (pipe(pipefd) < 0) {
        perror("tockd: pipe");
        exit(1);
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("tockd: fork");
        exit(1);
    }
    if (pid > 0) {
        char status = 1;
        close(pipefd[1]);
        if (read(pipefd[0], &status, 1) != 1)
            status = 1;
        _exit(status);
    }
    close(pipefd[0]);
    setsid();
    pid = fork();
    if (pid < 0)
        _exit(1);
    if (pid > 0)
        _exit(0);
    if (chdir("/") < 0)
        _exit(1);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
    return pipefd[1];
}

static void report_startup(int fd, char status)
{
    if (fd < 0)
        return;
    if (write(fd, &status, 1) != 1) {
        /* The parent is gone; nothing to tell. */
    }
    close(fd);
}

/* -x -> none; --clock sim:OFFSET:PPM -> sim; otherwise the system clock. */
static struct clock_driver *make_clock_driver(const struct options *o,
                                              const struct tock_config *conf)
{
    const char *spec = o->clock_spec;
    struct clock_driver *drv = NULL;
    if (o->no_clock_control && spec && strcmp(spec, "none") != 0) {
        log_err("-x and --clock %s exclude each other", spec);
        return NULL;
    }
    if (o->no_clock_control || (spec && strcmp(spec, "none") == 0)) {
        drv = clock_none_new();
    } else if (spec && strncmp(spec, "sim:", 4) == 0) {
        double offset, ppm;
        char tail;
        if (sscanf(spec + 4, "%lf:%lf%c", &offset, &ppm, &tail) != 2 || fabs(offset) > 1e9 ||
            fabs(ppm) > 1e5) {
            log_err("--clock %s: expected sim:OFFSET:PPM (e.g. sim:0.5:30)", spec);
            return NULL;
        }
        drv = clock_sim_new(offset, ppm);
        if (drv)
            log_info("simulated clock: %+.6f s, %+.3f ppm; the system clock is not touched", offset,
                     ppm);
    } else if (!spec || strcmp(spec, "system") == 0) {
        drv = clock_system_new(conf->rtcsync);
    } else {
        log_err("--clock %s: unknown driver (system, none, sim:OFFSET:PPM)", spec);
        return NULL;
    }
    if (!drv)
        log_err("out of memory");
    return drv;
}

void tockd_cyclelogs(struct tockd *d)
{
    if (log_reopen_file() != 0)
        log_err("cannot reopen the log file");
    tockd_statlog_cycle(d);
    log_info("log files reopened");
}

/* SIGHUP: reopen logs and reload the NTS-KE certificates (certbot's deploy hook). */
static void on_hangup(void *ctx)
{
    tockd_cyclelogs(ctx);
    tockd_nts_reload_certs(ctx);
}

/* The helper processes' first step (resolver_new calls it in the child). */
static void enter_resolver_helper(void *ctx)
{
    harden_enter_helper(ctx, SANDBOX_RESOLVER);
}

/* tockd -Q: the configuration (its summary line unchanged), then the files it names, for
 * the daemon's user and the shipped unit, with a summary line of their own: a file problem
 * is the machine's, not the configuration's, and does not change the exit status. */
static int check_config(const struct options *o, struct tock_config *conf, int load_rc,
                        int n_errors, int n_warnings)
{
    fprintf(stderr, "%s: %d error%s, %d warning%s\n", config_name(o), n_errors,
            n_errors == 1 ? "" : "s", n_warnings, n_warnings == 1 ? "" : "s");
    if (load_rc == 0) {
        int n = harden_check_config_files(conf, o->user);
        if (n > 0)
            fprintf(stderr, "%s: %d file warning%s (tockd's user, the shipped tockd.service)\n",
                    config_name(o), n, n == 1 ? "" : "s");
    }
    conf_free(conf);
    return load_rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct options opts;
    struct tock_config conf;
    struct tockd d;
    struct harden harden;
    int pid_fd = -1;
    int startup_fd = -1;
    int rc = 1;
    int n_errors = 0, n_warnings = 0;

    if (parse_options(argc, argv, &opts) < 0)
        return 1;
    int load_rc = load_config(&opts, &conf, &n_errors, &n_warnings);
    if (opts.check_only)
        return check_config(&opts, &conf, load_rc, n_errors, n_warnings);
    if (load_rc < 0) {
        fprintf(stderr, "tockd: configuration has errors; not starting\n");
        conf_free(&conf);
        return 1;
    }
    if (opts.print_config) {
        conf_print(&conf, stdout);
        conf_free(&conf);
        return 0;
    }
    if (geteuid() != 0 && !opts.no_clock_control && !opts.no_root_check) {
        fprintf(stderr, "tockd: must be started as root to control the clock (use -x to run "
                        "without clock control, or -U with capabilities from outside)\n");
        conf_free(&conf);
        return 1;
    }

    memset(&d, 0, sizeof(d));
    memset(&harden, 0, sizeof(harden));
    harden.notify.fd = -1;
    d.conf = &conf;
    d.harden = &harden;
    d.foreground = opts.foreground != 0;
    d.foreground_single_process = opts.foreground == 2;
    d.no_clock_control = opts.no_clock_control;
    int level = opts.debug ? LOG_DEBUG
                           : (int[]){LOG_INFO, LOG_WARNING, LOG_ERR,
                                     LOG_CRIT}[opts.log_level < 0 ? 0 : opts.log_level];
    if (opts.log_level < 0)
        level = LOG_DEBUG;
    log_init(opts.foreground == 2 ? LOG_TARGET_STDERR : LOG_TARGET_SYSLOG, level);
    if (opts.log_file && log_open_file(opts.log_file) != 0) {
        fprintf(stderr, "tockd: cannot open log file %s: %s\n", opts.log_file, strerror(errno));
        conf_free(&conf);
        return 1;
    }

    /* Start-up in chronyd's order (doc/security.md): user and capabilities decided,
     * directories, pidfile, helper processes, sockets bound as root, scheduling and memory
     * locking, the privilege drop, the rest as the daemon's user, the Unix command socket,
     * the seccomp filter. */
    struct harden_opts hopts = {
        .user = opts.user,
        .seccomp_level = opts.seccomp_level,
        .no_root_check = opts.no_root_check,
        .clock_control =
            !opts.no_clock_control && (!opts.clock_spec || strcmp(opts.clock_spec, "system") == 0),
        .single_process = opts.foreground == 2,
        .sched_priority = opts.sched_priority,
        .lock_memory = opts.lock_memory,
        .notify = opts.foreground != 0,
    };
    if (harden_prepare(&harden, &hopts, &conf) < 0)
        goto out;
    if (!opts.foreground)
        startup_fd = daemonize();
    if (harden_create_dirs(&harden, &conf) < 0)
        goto out;
    if (conf.pidfile) {
        char err[256];
        pid_fd = pidfile_acquire(conf.pidfile, err, sizeof(err));
        if (pid_fd < 0) {
            log_err("%s", err);
            goto out;
        }
        harden_close_in_helpers(&harden, pid_fd);
    }
    loop_install_signal_handlers();
    d.loop = loop_new();
    d.clock = make_clock_driver(&opts, &conf);
    if (!d.loop || !d.clock)
        goto out;
    d.precision = clock_measure_precision(d.clock, conf.clockprecision, &d.precision_s);
    log_info("tockd %s starting (clock driver %s, precision 2^%d s)", TOCK_VERSION, d.clock->name,
             d.precision);
    if (conf.n_sources > 0 && !d.foreground_single_process) {
        d.resolver = resolver_new(d.loop, true, enter_resolver_helper, &harden);
        if (!d.resolver)
            goto out;
    }
    if (tockd_access_init(&d) < 0)
        goto out;
    if (tockd_nts_server_start(&d) < 0)
        goto out;
    if (ntp_server_start(&d) < 0)
        goto out;
    if (tockd_cmd_start(&d) < 0)
        goto out;
    harden_sched_and_lock(&harden);
    if (harden_drop(&harden) < 0)
        goto out;
    harden_check_files(&harden, &conf);
    tockd_statlog_start(&d); /* before the engine: its first event is a tracking line */
    if (tockd_sync_init(&d) < 0)
        goto out;
    if (tockd_nts_client_init(&d) < 0)
        goto out;
    if (tockd_sources_start(&d) < 0)
        goto out;
    if (tockd_cmd_start_unix(&d) < 0)
        goto out;
    if (tockd_metrics_start(&d) < 0)
        goto out;
    if (harden_lock_down(&harden) < 0)
        goto out;

    report_startup(startup_fd, 0);
    startup_fd = -1;
    harden_ready(&harden, d.loop);
    loop_run(d.loop, on_hangup, &d);
    tockd_dump(&d); /* with dumpdir: the measurements, as chronyd saves them at exit */
    log_info("tockd exiting");
    rc = 0;
out:
    report_startup(startup_fd, 1);
    harden_stopping(&harden);
    tockd_metrics_stop(&d);
    tockd_cmd_stop(&d);
    tockd_sources_stop(&d);
    tockd_nts_client_free(&d);
    resolver_free(d.resolver);
    d.resolver = NULL;
    ntp_server_stop(&d);
    tockd_nts_server_stop(&d);
    tockd_sync_shutdown(&d);
    tockd_statlog_stop(&d);
    tockd_access_free(&d);
    if (d.clock)
        d.clock->destroy(d.clock);
    loop_free(d.loop);
    pidfile_release(pid_fd, conf.pidfile);
    conf_free(&conf);
    return rc;
}
