/* seccomp allow-lists for tockd's processes (see sandbox.h for the profiles and levels).
 *
 * The lists were made from what the code calls (the shell modules in src/daemon/, glibc's
 * wrappers for them and for getaddrinfo/syslog, OpenSSL and Nettle) and proven by the
 * integration suite, which runs every daemon with the filter on (-F 1 is the default, and
 * TOCK_TEST_USER runs the suite with the privilege drop as well). A call missing here shows
 * up as a daemon killed by SIGSYS; -F -1 names its number in the log. */
#include "daemon/sandbox.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/net_tstamp.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

/* Socket option numbers of both time_t ABIs (glibc picks one by _TIME_BITS). */
#ifndef SO_TIMESTAMP_OLD
#define SO_TIMESTAMP_OLD 29
#endif
#ifndef SO_TIMESTAMPNS_OLD
#define SO_TIMESTAMPNS_OLD 35
#endif
#ifndef SO_TIMESTAMPING_OLD
#define SO_TIMESTAMPING_OLD 37
#endif
#ifndef SO_TIMESTAMP_NEW
#define SO_TIMESTAMP_NEW 63
#endif
#ifndef SO_TIMESTAMPNS_NEW
#define SO_TIMESTAMPNS_NEW 64
#endif
#ifndef SO_TIMESTAMPING_NEW
#define SO_TIMESTAMPING_NEW 65
#endif

#if defined(__SANITIZE_ADDRESS__)
#define TOCK_SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TOCK_SANITIZER_BUILD 1
#endif
#endif

/* Every process: memory, signals, time reads, its own identity, I/O on descriptors it
 * already holds, waiting. */
static const int base_calls[] = {
    SCMP_SYS(brk),           SCMP_SYS(mmap),           SCMP_SYS(munmap),
    SCMP_SYS(mremap),        SCMP_SYS(mprotect),       SCMP_SYS(madvise),
    SCMP_SYS(exit),          SCMP_SYS(exit_group),     SCMP_SYS(restart_syscall),
    SCMP_SYS(rt_sigaction),  SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack),   SCMP_SYS(futex),          SCMP_SYS(getrandom),
    SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),   SCMP_SYS(time),
    SCMP_SYS(getpid),        SCMP_SYS(gettid),         SCMP_SYS(getppid),
    SCMP_SYS(getuid),        SCMP_SYS(geteuid),        SCMP_SYS(getgid),
    SCMP_SYS(getegid),       SCMP_SYS(close),          SCMP_SYS(read),
    SCMP_SYS(readv),         SCMP_SYS(write),          SCMP_SYS(writev),
    SCMP_SYS(pread64),       SCMP_SYS(lseek),          SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),    SCMP_SYS(statx),          SCMP_SYS(poll),
    SCMP_SYS(ppoll),         SCMP_SYS(select),         SCMP_SYS(pselect6),
};

/* The main process, beyond the base. */
static const int main_calls[] = {
    /* Files: configuration (reload sources), keyfile (rekey), driftfile, logs, leap table,
     * the pidfile and socket removed at exit. */
    SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(pwrite64), SCMP_SYS(stat), SCMP_SYS(lstat),
    SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(readlink),
    SCMP_SYS(readlinkat), SCMP_SYS(getdents64), SCMP_SYS(rename), SCMP_SYS(renameat),
    SCMP_SYS(renameat2), SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
    SCMP_SYS(ftruncate), SCMP_SYS(fchmod), /* ntskeys and cookie files are written 0600 */
    SCMP_SYS(umask), SCMP_SYS(getcwd), SCMP_SYS(uname),
    /* The clock: what the system driver does (simulation rule 7). */
    SCMP_SYS(clock_adjtime), SCMP_SYS(adjtimex), SCMP_SYS(clock_settime), SCMP_SYS(settimeofday),
    /* Sockets (socket() itself is checked by family below). */
    SCMP_SYS(bind), SCMP_SYS(connect), SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(getsockname),
    SCMP_SYS(getpeername), SCMP_SYS(getsockopt), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
    SCMP_SYS(sendmmsg), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(recvmmsg),
    SCMP_SYS(shutdown),
    /* Reaping the resolver helper at exit (kill() is checked below). */
    SCMP_SYS(wait4), SCMP_SYS(waitid),
    /* Replacing a crashed NTS-KE helper: the new child lowers its capabilities and stacks
     * its own filter (fork itself, socketpair and prctl are checked below). */
    SCMP_SYS(capget), SCMP_SYS(capset),
    SCMP_SYS(set_robust_list),           /* glibc, in the child of fork() */
    SCMP_SYS(rseq), SCMP_SYS(getrlimit), /* sysconf(_SC_OPEN_MAX) in the child (prlimit64 below) */
    SCMP_SYS(pipe2), /* the child exports its filter through a pipe to load it */
};

/* The resolver helper: getaddrinfo() with glibc's NSS (files, dns, and modules such as
 * resolve or mdns that talk to a local daemon over a Unix socket). */
static const int resolver_calls[] = {
    SCMP_SYS(open),       SCMP_SYS(openat),     SCMP_SYS(stat),        SCMP_SYS(lstat),
    SCMP_SYS(access),     SCMP_SYS(faccessat),  SCMP_SYS(faccessat2),  SCMP_SYS(readlink),
    SCMP_SYS(getdents64), SCMP_SYS(uname),      SCMP_SYS(fcntl),       SCMP_SYS(ioctl),
    SCMP_SYS(bind),       SCMP_SYS(connect),    SCMP_SYS(getsockname), SCMP_SYS(getpeername),
    SCMP_SYS(getsockopt), SCMP_SYS(setsockopt), SCMP_SYS(sendto),      SCMP_SYS(sendmsg),
    SCMP_SYS(sendmmsg),   SCMP_SYS(recvfrom),   SCMP_SYS(recvmsg),     SCMP_SYS(recvmmsg),
    SCMP_SYS(shutdown),
};

/* The NTS-KE helpers: TLS over sockets handed to them (SCM_RIGHTS over recvmsg). */
static const int ntske_calls[] = {
    SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(getsockopt), SCMP_SYS(sendto),
    SCMP_SYS(sendmsg),     SCMP_SYS(recvfrom),    SCMP_SYS(recvmsg),    SCMP_SYS(shutdown),
};

/* glibc's fork(): clone with exactly these flags (no shared memory, no thread). */
#define FORK_CLONE_FLAGS (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD)

/* Calls that must kill the resolver even though its default is EPERM: they could reach
 * outside the helper (other processes, the clock, credentials, the file system tree). */
static const int never_calls[] = {
    SCMP_SYS(execve),
    SCMP_SYS(execveat),
    SCMP_SYS(fork),
    SCMP_SYS(vfork),
    SCMP_SYS(clone),
    SCMP_SYS(clone3),
    SCMP_SYS(ptrace),
    SCMP_SYS(process_vm_readv),
    SCMP_SYS(process_vm_writev),
    SCMP_SYS(kill),
    SCMP_SYS(clock_adjtime),
    SCMP_SYS(adjtimex),
    SCMP_SYS(clock_settime),
    SCMP_SYS(settimeofday),
    SCMP_SYS(setuid),
    SCMP_SYS(setgid),
    SCMP_SYS(setreuid),
    SCMP_SYS(setregid),
    SCMP_SYS(setresuid),
    SCMP_SYS(setresgid),
    SCMP_SYS(setgroups),
    SCMP_SYS(capset),
    SCMP_SYS(prctl),
    SCMP_SYS(unshare),
    SCMP_SYS(setns),
    SCMP_SYS(mount),
    SCMP_SYS(umount2),
    SCMP_SYS(chroot),
    SCMP_SYS(pivot_root),
    SCMP_SYS(bpf),
    SCMP_SYS(perf_event_open),
    SCMP_SYS(init_module),
    SCMP_SYS(finit_module),
    SCMP_SYS(kexec_load),
    SCMP_SYS(reboot),
    SCMP_SYS(unlink),
    SCMP_SYS(unlinkat),
    SCMP_SYS(rename),
    SCMP_SYS(renameat),
    SCMP_SYS(renameat2),
    SCMP_SYS(chmod),
    SCMP_SYS(fchmod),
    SCMP_SYS(fchmodat),
    SCMP_SYS(chown),
    SCMP_SYS(fchown),
    SCMP_SYS(fchownat),
    SCMP_SYS(lchown),
    SCMP_SYS(mknod),
    SCMP_SYS(mknodat),
    SCMP_SYS(symlink),
    SCMP_SYS(symlinkat),
    SCMP_SYS(link),
    SCMP_SYS(linkat),
};

#ifdef TOCK_SANITIZER_BUILD
/* Sanitizer builds only (never a release build): LeakSanitizer's scan at exit runs in a
 * tracer task that it clones and that ptraces the daemon; ASan's reports read
 * /proc/self/maps. */
static const int sanitizer_calls[] = {
    SCMP_SYS(clone),
    SCMP_SYS(clone3),
    SCMP_SYS(ptrace),
    SCMP_SYS(wait4),
    SCMP_SYS(waitid),
    SCMP_SYS(prctl),
    SCMP_SYS(sched_yield),
    SCMP_SYS(getdents64),
    SCMP_SYS(getdents),
    SCMP_SYS(open),
    SCMP_SYS(openat),
    SCMP_SYS(readlink),
    SCMP_SYS(readlinkat),
    SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(kill),
    SCMP_SYS(tgkill),
    SCMP_SYS(mincore),
    SCMP_SYS(getrlimit),
    SCMP_SYS(prlimit64),
    SCMP_SYS(pipe),
    SCMP_SYS(pipe2),
    SCMP_SYS(dup),
    SCMP_SYS(dup2),
    SCMP_SYS(dup3),
    SCMP_SYS(sched_getaffinity),
    SCMP_SYS(unlink),
};
#endif

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Room for the largest program (the main profile is about 300 instructions; the kernel
 * takes at most 4096). */
#define SANDBOX_MAX_INSNS 4096

bool sandbox_level_valid(int level)
{
    return level >= SANDBOX_LEVEL_MIN && level <= SANDBOX_LEVEL_MAX;
}

const char *sandbox_profile_name(enum sandbox_profile profile)
{
    switch (profile) {
    case SANDBOX_MAIN:
        return "main";
    case SANDBOX_RESOLVER:
        return "resolver";
    case SANDBOX_NTSKE:
        return "ntske";
    }
    return "?";
}

/* Negative levels: say which call it was, then die of SIGSYS as level 1 would. Only
 * async-signal-safe work here (the call may have trapped inside malloc). */
static void on_sigsys(int sig, siginfo_t *info, void *uctx)
{
    char msg[160];
    char num[16];
    int n = info->si_syscall;
    int i = (int)sizeof(num);
    (void)uctx;
    unsigned u = n < 0 ? 0u - (unsigned)n : (unsigned)n;
    do {
        num[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u && i > 1);
    if (n < 0)
        num[--i] = '-';
    size_t len = 0;
    const char *parts[] = {"tockd: seccomp: system call ", NULL,
                           " is not in the filter (-F); its name: scmp_sys_resolver ", NULL, "\n"};
    for (size_t p = 0; p < COUNT(parts); p++) {
        const char *s = parts[p];
        size_t l = s ? strlen(s) : sizeof(num) - (size_t)i;
        if (!s)
            s = num + i;
        if (len + l >= sizeof(msg))
            break;
        memcpy(msg + len, s, l);
        len += l;
    }
    if (write(STDERR_FILENO, msg, len) < 0) {
        /* nothing else to try */
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static int add_list(scmp_filter_ctx ctx, uint32_t action, const int *calls, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = seccomp_rule_add(ctx, action, calls[i], 0);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int allow_if(scmp_filter_ctx ctx, int call, unsigned arg, const unsigned long *values,
                    size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, call, 1,
                                  SCMP_CMP(arg, SCMP_CMP_EQ, (scmp_datum_t)values[i]));
        if (rc < 0)
            return rc;
    }
    return 0;
}

struct sockopt {
    int level;
    int name;
};

static const struct sockopt main_sockopts[] = {
    {SOL_SOCKET, SO_REUSEADDR},        {SOL_SOCKET, SO_REUSEPORT},
    {SOL_SOCKET, SO_BROADCAST},        {SOL_SOCKET, SO_RCVBUF},
    {SOL_SOCKET, SO_SNDBUF},           {SOL_SOCKET, SO_BINDTODEVICE},
    {SOL_SOCKET, SO_SELECT_ERR_QUEUE}, {SOL_SOCKET, SO_TIMESTAMP_OLD},
    {SOL_SOCKET, SO_TIMESTAMPNS_OLD},  {SOL_SOCKET, SO_TIMESTAMPING_OLD},
    {SOL_SOCKET, SO_TIMESTAMP_NEW},    {SOL_SOCKET, SO_TIMESTAMPNS_NEW},
    {SOL_SOCKET, SO_TIMESTAMPING_NEW}, {IPPROTO_IP, IP_PKTINFO},
    {IPPROTO_IP, IP_FREEBIND},         {IPPROTO_IP, IP_TOS},
    {IPPROTO_IP, IP_RECVERR},          {IPPROTO_IP, IP_MTU_DISCOVER},
    {IPPROTO_IPV6, IPV6_V6ONLY},       {IPPROTO_IPV6, IPV6_RECVPKTINFO},
    {IPPROTO_IPV6, IPV6_TCLASS},       {IPPROTO_IPV6, IPV6_RECVERR},
    {IPPROTO_IPV6, IPV6_MTU_DISCOVER}, {IPPROTO_TCP, TCP_NODELAY},
};

static int add_main_arg_rules(scmp_filter_ctx ctx)
{
    /* AF_NETLINK: glibc's getaddrinfo and if_nametoindex in the single-process mode. */
    static const unsigned long families[] = {AF_INET, AF_INET6, AF_UNIX, AF_NETLINK};
    static const unsigned long fcntls[] = {F_GETFD, F_SETFD, F_GETFL, F_SETFL};
    static const unsigned long ioctls[] = {FIONREAD, TCGETS, TIOCGWINSZ};
    int rc = allow_if(ctx, SCMP_SYS(socket), 0, families, COUNT(families));
    if (rc == 0)
        rc = allow_if(ctx, SCMP_SYS(fcntl), 1, fcntls, COUNT(fcntls));
    if (rc == 0)
        rc = allow_if(ctx, SCMP_SYS(ioctl), 1, ioctls, COUNT(ioctls));
    for (size_t i = 0; rc == 0 && i < COUNT(main_sockopts); i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
                              SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)main_sockopts[i].level),
                              SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)main_sockopts[i].name));
    /* The only signal tockd sends to another process: SIGTERM to its helpers at exit. */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
                              SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)SIGTERM));
    /* A crashed NTS-KE helper is replaced: fork (a process, never a thread), its channel,
     * and in the child no_new_privs and the helper's own filter on top of this one. */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)FORK_CLONE_FLAGS));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)AF_UNIX));
    /* Reading a limit only (no new value): sysconf(_SC_OPEN_MAX) in a new helper. */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1,
                              SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)0));
    static const unsigned long prctls[] = {PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_SET_DUMPABLE,
                                           PR_GET_DUMPABLE, PR_CAPBSET_READ};
    if (rc == 0)
        rc = allow_if(ctx, SCMP_SYS(prctl), 0, prctls, COUNT(prctls));
    return rc;
}

static int add_ntske_arg_rules(scmp_filter_ctx ctx)
{
    static const unsigned long fcntls[] = {F_GETFD, F_SETFD, F_GETFL, F_SETFL};
    int rc = allow_if(ctx, SCMP_SYS(fcntl), 1, fcntls, COUNT(fcntls));
    /* TCP_NODELAY on each accepted connection: a TLS flight goes out at once (delayed ACK
     * would otherwise stall the NTS-KE exchange by 40 ms). */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
                              SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)IPPROTO_TCP),
                              SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)TCP_NODELAY));
    /* Files only for reading (OpenSSL may load its configuration lazily). */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
                              SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE, O_RDONLY));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, O_ACCMODE, O_RDONLY));
    return rc;
}

/* KILL is the action for the dangerous calls; with a negative level it is also the default
 * (TRAP), and libseccomp refuses a rule that repeats the default. */
static int add_resolver_rules(scmp_filter_ctx ctx, uint32_t kill, uint32_t deflt)
{
    static const unsigned long families[] = {AF_INET, AF_INET6, AF_UNIX, AF_NETLINK};
    int rc = add_list(ctx, SCMP_ACT_ALLOW, resolver_calls, COUNT(resolver_calls));
    if (rc == 0)
        rc = allow_if(ctx, SCMP_SYS(socket), 0, families, COUNT(families));
    if (kill == deflt)
        return rc;
    if (rc == 0)
        rc = add_list(ctx, kill, never_calls, COUNT(never_calls));
    /* Raw packet sockets are no resolver's business: loud, not just EPERM. */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, kill, SCMP_SYS(socket), 1,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)AF_PACKET));
    return rc;
}

static int build(scmp_filter_ctx ctx, enum sandbox_profile profile, uint32_t kill, uint32_t deflt)
{
    int rc = add_list(ctx, SCMP_ACT_ALLOW, base_calls, COUNT(base_calls));
    /* raise() and abort() signal this process only. */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
    if (rc < 0)
        return rc;
    switch (profile) {
    case SANDBOX_MAIN:
        rc = add_list(ctx, SCMP_ACT_ALLOW, main_calls, COUNT(main_calls));
        if (rc == 0)
            rc = add_main_arg_rules(ctx);
        break;
    case SANDBOX_RESOLVER:
        rc = add_resolver_rules(ctx, kill, deflt);
        break;
    case SANDBOX_NTSKE:
        rc = add_list(ctx, SCMP_ACT_ALLOW, ntske_calls, COUNT(ntske_calls));
        if (rc == 0)
            rc = add_ntske_arg_rules(ctx);
        break;
    }
#ifdef TOCK_SANITIZER_BUILD
    /* Rules for a call that already has argument rules would conflict with an
     * unconditional one in libseccomp only for the same action; ALLOW on both is fine. */
    if (rc == 0 && profile != SANDBOX_RESOLVER)
        rc = add_list(ctx, SCMP_ACT_ALLOW, sanitizer_calls, COUNT(sanitizer_calls));
#endif
    return rc;
}

/* The filter as BPF, through a pipe (libseccomp 2.5 exports to a descriptor only). Returns
 * the program's length in bytes, or -1. */
static ssize_t export_bpf(scmp_filter_ctx ctx, struct sock_filter *prog, size_t size)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    /* A filter this size is a few KiB: it fits in the pipe, no reader needed meanwhile. */
    int rc = seccomp_export_bpf(ctx, p[1]);
    close(p[1]);
    ssize_t len = 0;
    while (rc == 0 && (size_t)len < size) {
        ssize_t n = read(p[0], (char *)prog + len, size - (size_t)len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += n;
    }
    char extra;
    if (rc == 0 && read(p[0], &extra, 1) > 0)
        rc = -1; /* larger than the buffer */
    close(p[0]);
    return rc == 0 && len > 0 && len % sizeof(struct sock_filter) == 0 ? len : -1;
}

int sandbox_install(enum sandbox_profile profile, int level, char *err, size_t errlen)
{
    static struct sock_filter prog[SANDBOX_MAX_INSNS];
    if (!sandbox_level_valid(level)) {
        snprintf(err, errlen, "seccomp level %d: expected %d..%d", level, SANDBOX_LEVEL_MIN,
                 SANDBOX_LEVEL_MAX);
        return -1;
    }
    if (level == 0)
        return 0;
    /* Also what lets an unprivileged process load a filter; tockd never executes anything,
     * so it costs nothing. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
        return -1;
    }
    uint32_t kill = level > 0 ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_TRAP;
    uint32_t deflt = kill;
    if (profile == SANDBOX_RESOLVER && level > 0)
        deflt = SCMP_ACT_ERRNO(EPERM);
    if (level < 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = on_sigsys;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGSYS, &sa, NULL);
    }
    /* libseccomp only builds the program. Its own probing and loading go through raw
     * syscall(SYS_seccomp), which the clock-and-network simulator cannot run (simulation
     * rule 1): the API level is set instead of probed (3: KILL_PROCESS, kernel 4.14), and
     * the program is loaded with prctl(PR_SET_SECCOMP). */
    seccomp_api_set(3);
    scmp_filter_ctx ctx = seccomp_init(deflt);
    if (!ctx) {
        snprintf(err, errlen, "seccomp_init failed");
        return -1;
    }
    int rc = build(ctx, profile, kill, deflt);
    ssize_t len = rc == 0 ? export_bpf(ctx, prog, sizeof(prog)) : -1;
    seccomp_release(ctx);
    if (rc < 0 || len < 0) {
        snprintf(err, errlen, "cannot build the %s seccomp filter: %s (use -F 0 to run without)",
                 sandbox_profile_name(profile), rc < 0 ? strerror(-rc) : "export failed");
        return -1;
    }
    struct sock_fprog fprog = {.len = (unsigned short)(len / (ssize_t)sizeof(prog[0])),
                               .filter = prog};
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0) {
        snprintf(err, errlen, "cannot load the %s seccomp filter: %s (use -F 0 to run without)",
                 sandbox_profile_name(profile), strerror(errno));
        return -1;
    }
    return 0;
}
