/*
 * hafen-run: processes. The container's init (PID 1: sets up the namespaces' contents, forks the
 * command, forwards signals, reaps zombies, exits with the command's status), the command's last
 * steps before exec (capabilities, user, no_new_privs, PATH lookup), and `hafen-run exec`.
 */
#include "hafen-run.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const char *const cap_names[] = {
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
    "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
    "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
    "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
};

/* The number of a capability named CAP_X or X (any case), or -1. */
int hr_cap_from_name(const char *name) {
  if (!strncasecmp(name, "CAP_", 4)) name += 4;
  for (size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++)
    if (!strcasecmp(name, cap_names[i])) return (int)i;
  return -1;
}

/* Exit code for a wait status: the code, or 128+signal. */
int hr_status_code(int st) {
  return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : HR_EXIT_SETUP;
}

static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

static void noop(int sig) { (void)sig; }

/* Blocks the forwarded signals and SIGCHLD (with handlers, so PID 1 does not drop them). */
static void block_signals(sigset_t *set) {
  sigemptyset(set);
  sigaddset(set, SIGCHLD);
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaddset(set, forwarded[i]);
  struct sigaction sa = {.sa_handler = noop};
  sigemptyset(&sa.sa_mask);
  for (int s = 1; s < NSIG; s++)
    if (sigismember(set, s) == 1) sigaction(s, &sa, NULL);
  sigprocmask(SIG_BLOCK, set, NULL);
}

/* Reports a failure before exec on errfd as "CODE message" and exits with CODE. */
static void __attribute__((noreturn, format(printf, 3, 4))) exec_fail(int errfd, int code, const char *fmt, ...) {
  char buf[600];
  int n = snprintf(buf, sizeof buf, "%d ", code);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
  va_end(ap);
  hr_write_all(errfd, buf, strlen(buf));
  _exit(code);
}

static const char *env_path(char *const *env) {
  for (; env && *env; env++)
    if (!strncmp(*env, "PATH=", 5)) return *env + 5;
  return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

/* getdents64's record (the C library declares none that musl and glibc share). */
struct hr_dirent64 {
  uint64_t ino;
  int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[];
};

/*
 * Every fd past stdio closed at exec. close_range came with Linux 5.9; before it (Ubuntu 20.04's
 * 5.4), each fd listed in /proc/self/fd is marked by hand: no fd of the launcher may reach the
 * command. No malloc here (opendir): this runs in a child sharing init's memory.
 * HAFEN_RUN_WITHOUT=close_range forces the by-hand way (tests).
 */
static void cloexec_past_stdio(void) {
  if (!hr_without("close_range") && syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    for (int fd = 3; fd < 65536; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
    return;
  }
  char buf[4096] __attribute__((aligned(8)));
  long n;
  while ((n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
    for (long off = 0; off < n;) {
      struct hr_dirent64 *e = (struct hr_dirent64 *)(buf + off);
      int fd = atoi(e->name);
      if (e->name[0] != '.' && fd > 2 && fd != dir) fcntl(fd, F_SETFD, FD_CLOEXEC);
      off += e->reclen;
    }
  }
  close(dir);
}

/* In the command's process: drop to the user and capabilities asked for, then exec. */
void hr_exec_command(const struct hr_opts *o, int errfd) {
  sigset_t all;
  sigfillset(&all);
  for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
  sigprocmask(SIG_UNBLOCK, &all, NULL);

  const char *cwd = o->cwd ? o->cwd : "/";
  if (chdir(cwd) < 0) exec_fail(errfd, HR_EXIT_SETUP, "chdir \"%s\": %s", cwd, strerror(errno));

  for (int c = 0; c < 64; c++) {
    if (o->caps & (1ULL << c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      exec_fail(errfd, HR_EXIT_SETUP, "drop capability %d: %s", c, strerror(errno));
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  {
    /* rlimits and oom_score_adj while CAP_SYS_RESOURCE is still held (raising or lowering them needs it). */
    char err[512];
    if (hr_apply_rlimits(o, err, sizeof err) < 0 || hr_write_oom_score_adj(o, err, sizeof err) < 0)
      exec_fail(errfd, HR_EXIT_SETUP, "%s", err);
  }
  int nnp = !o->privileged && !o->allow_new_privs;
  {
    /* Without no_new_privs only CAP_SYS_ADMIN may install a filter: do it while we hold it (as runc). */
    char err[512];
    if (!nnp && hr_install_seccomp(o, err, sizeof err) < 0) exec_fail(errfd, HR_EXIT_SETUP, "%s", err);
  }
  /* In a user namespace that maps only its owner's ids (rootless without subordinate ids) the kernel
   * denies setgroups for good: the command keeps the groups it was started with (shown as the
   * overflow gid inside), as podman does there. Anywhere else a refusal is an error. */
  if (setgroups((size_t)o->ngroups, o->groups) < 0 && !(errno == EPERM && hr_setgroups_denied()))
    exec_fail(errfd, HR_EXIT_SETUP, "setgroups: %s", strerror(errno));
  if (setresgid(o->gid, o->gid, o->gid) < 0) exec_fail(errfd, HR_EXIT_SETUP, "setgid %u: %s", o->gid, strerror(errno));
  if (setresuid(o->uid, o->uid, o->uid) < 0) exec_fail(errfd, HR_EXIT_SETUP, "setuid %u: %s", o->uid, strerror(errno));
  /* root keeps the set in effective and permitted; any other user ends with none, as in Docker. */
  uint64_t keep = o->uid == 0 ? o->caps : 0;
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  if (o->privileged) {
    /* "Every capability" is every one this process holds: a host (or outer container) may lack some. */
    struct __user_cap_data_struct own[2];
    if (syscall(SYS_capget, &hdr, own) < 0) exec_fail(errfd, HR_EXIT_SETUP, "capget: %s", strerror(errno));
    keep &= (uint64_t)own[0].permitted | (uint64_t)own[1].permitted << 32;
  }
  struct __user_cap_data_struct data[2] = {
      {(uint32_t)keep, (uint32_t)keep, 0},
      {(uint32_t)(keep >> 32), (uint32_t)(keep >> 32), 0},
  };
  if (syscall(SYS_capset, &hdr, data) < 0) exec_fail(errfd, HR_EXIT_SETUP, "capset: %s", strerror(errno));
  if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    exec_fail(errfd, HR_EXIT_SETUP, "no_new_privs: %s", strerror(errno));
  cloexec_past_stdio();
  {
    /* Last before exec: from here on the filter judges every call, execve included. */
    char err[512];
    if (nnp && hr_install_seccomp(o, err, sizeof err) < 0) exec_fail(errfd, HR_EXIT_SETUP, "%s", err);
  }

  const char *cmd = o->argv[0];
  int err = ENOENT;
  if (strchr(cmd, '/')) {
    execve(cmd, o->argv, o->env);
    err = errno;
  } else {
    const char *p = env_path(o->env);
    int seen_eacces = 0;
    while (p) {
      const char *colon = strchr(p, ':');
      size_t len = colon ? (size_t)(colon - p) : strlen(p);
      char full[4096];
      snprintf(full, sizeof full, "%.*s%s%s", (int)len, p, len ? "/" : "", cmd);
      execve(full, o->argv, o->env);
      if (errno == EACCES) seen_eacces = 1;
      else if (errno != ENOENT && errno != ENOTDIR) {
        err = errno;
        break;
      }
      p = colon ? colon + 1 : NULL;
    }
    if (err == ENOENT && seen_eacces) err = EACCES;
  }
  exec_fail(errfd, err == ENOENT || err == ENOTDIR ? HR_EXIT_NOTFOUND : HR_EXIT_NOEXEC, "exec \"%s\": %s", cmd,
            strerror(err));
}

/* What the command's process needs between clone and exec. */
struct command {
  const struct hr_opts *o;
  int errfd, errrd;   /* exec error report pipe (write end, read end) */
  const char *slave;  /* pty slave to make the controlling terminal, or NULL */
  int outw, errw;     /* log pipes, or -1 */
  int inr;            /* stdin kept open (a pipe init holds the other end of), or -1 for /dev/null */
  int pdeath;         /* die with the parent (exec mode: the parent is outside the pid namespace) */
};

static int command_main(void *arg) {
  const struct command *c = arg;
  close(c->errrd);
  if (c->pdeath) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (c->slave) {
    setsid();
    int s = open(c->slave, O_RDWR);
    if (s < 0 || ioctl(s, TIOCSCTTY, 0) < 0) exec_fail(c->errfd, HR_EXIT_SETUP, "open %s: %s", c->slave, strerror(errno));
    dup2(s, 0), dup2(s, 1), dup2(s, 2);
    if (s > 2) close(s);
  } else if (c->outw >= 0) {
    int null = c->inr >= 0 ? c->inr : open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) dup2(null, 0);
    dup2(c->outw, 1);
    dup2(c->errw, 2);
  } else if (c->inr >= 0) {
    dup2(c->inr, 0); /* an attached stdin without a log (logging: none) */
  }
  hr_exec_command(c->o, c->errfd);
}

/*
 * Starts the command the way posix_spawn does: a child sharing our memory (no page-table copy),
 * on its own stack, while we wait until it has exec'd or failed. Much faster than fork here.
 */
static pid_t spawn_command(struct command *c) {
  static char stack[128 * 1024] __attribute__((aligned(16)));
  return clone(command_main, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, c);
}

/* Brings the loopback interface of a new network namespace up. */
static int lo_up(char *err, size_t errlen) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = {0};
  strcpy(ifr.ifr_name, "lo");
  if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) goto fail;
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) goto fail;
  close(s);
  return 0;
fail:
  hr_errmsg(err, errlen, "bring lo up: %s", strerror(errno));
  if (s >= 0) close(s);
  return -1;
}

/* Reads the exec error report of a just-forked command: "" when it exec'd. */
static void read_exec_error(int fd, char *msg, size_t len, int *code) {
  size_t n = 0;
  ssize_t r;
  while (n < len - 1 && ((r = read(fd, msg + n, len - 1 - n)) > 0 || (r < 0 && errno == EINTR)))
    if (r > 0) n += (size_t)r;
  msg[n] = 0;
  *code = 0;
  if (n) {
    char *sp = strchr(msg, ' ');
    *code = atoi(msg);
    if (sp) memmove(msg, sp + 1, strlen(sp + 1) + 1);
  }
}

/* Init's setup failure: tell the outer process and leave (the namespaces die with us). */
static void __attribute__((noreturn)) init_fail(int chan, const char *msg) {
  hr_sendmsg(chan, MSG_SETUP_ERROR, msg, -1);
  _exit(HR_EXIT_SETUP);
}

/* The container's PID 1. `outw`/`errw` are the log pipes (-1: stdio inherited). */
int hr_container_init(const struct hr_opts *o, int chan, int outw, int errw) {
  char err[512];
  HR_T("init");
  prctl(PR_SET_NAME, "hafen-setup", 0, 0, 0); /* "hafen-init" once the command runs (exec checks that) */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  setsid();
  if (hr_join_cgroups(o, err, sizeof err) < 0) init_fail(chan, err);
  if (unshare(CLONE_NEWCGROUP) < 0) {
    hr_errmsg(err, sizeof err, "new cgroup namespace: %s", strerror(errno));
    init_fail(chan, err);
  }
  if (hr_write_oom_score_adj(o, err, sizeof err) < 0) init_fail(chan, err);
  if (o->ipc == HR_NS_JOIN && hr_join_ns(o->ipcpath, CLONE_NEWIPC, "ipc", err, sizeof err) < 0) init_fail(chan, err);
  if (o->net == HR_NET_JOIN) {
    int fd = open(o->netpath, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
      hr_errmsg(err, sizeof err, "join network namespace %s: %s", o->netpath, strerror(errno));
      init_fail(chan, err);
    }
    close(fd);
  } else if (o->net == HR_NET_NEW && lo_up(err, sizeof err) < 0) {
    init_fail(chan, err);
  }
  /* The host's /proc is still here, and /proc/sys answers for our own network and IPC namespaces. */
  if (hr_write_sysctls(o, err, sizeof err) < 0) init_fail(chan, err);
  HR_T("cgroups, net");
  if (hr_setup_rootfs(o, err, sizeof err) < 0) init_fail(chan, err);
  if (o->hostname && o->uts == HR_NS_NEW && sethostname(o->hostname, strlen(o->hostname)) < 0) {
    hr_errmsg(err, sizeof err, "sethostname: %s", strerror(errno));
    init_fail(chan, err);
  }
  if (o->domainname && setdomainname(o->domainname, strlen(o->domainname)) < 0) {
    hr_errmsg(err, sizeof err, "setdomainname: %s", strerror(errno));
    init_fail(chan, err);
  }
  if (o->cwd && hr_mkdir_all(o->cwd, err, sizeof err) < 0) init_fail(chan, err);
  if (o->readonly_root && hr_readonly_root(err, sizeof err) < 0) init_fail(chan, err);

  int master = -1;
  char slave[64] = "";
  if (o->tty) {
    master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || unlockpt(master) < 0 || ptsname_r(master, slave, sizeof slave) != 0) {
      hr_errmsg(err, sizeof err, "allocate a pty: %s", strerror(errno));
      init_fail(chan, err);
    }
    hr_sendmsg(chan, MSG_PTY, NULL, master);
  }

  /* Wait for the go (EOF: the launch was abandoned); it may carry a caller's stdin (an attached run). */
  char go = 0;
  ssize_t n;
  int attached_in = -1;
  char gocbuf[CMSG_SPACE(sizeof(int))];
  struct iovec goiov = {&go, 1};
  struct msghdr gomh = {.msg_iov = &goiov, .msg_iovlen = 1, .msg_control = gocbuf, .msg_controllen = sizeof gocbuf};
  while ((n = recvmsg(chan, &gomh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n <= 0 || go != MSG_GO) _exit(HR_EXIT_SETUP);
  struct cmsghdr *goc = CMSG_FIRSTHDR(&gomh);
  if (goc && goc->cmsg_type == SCM_RIGHTS) memcpy(&attached_in, CMSG_DATA(goc), sizeof(int));

  sigset_t set;
  block_signals(&set);
  int ep[2];
  if (pipe2(ep, O_CLOEXEC) < 0) {
    hr_errmsg(err, sizeof err, "pipe: %s", strerror(errno));
    init_fail(chan, err);
  }
  prctl(PR_SET_NAME, "hafen-init", 0, 0, 0); /* set up: exec may enter now */
  /* stdin_open: a pipe whose write end init keeps and never writes, so the command's stdin stays open. */
  int in[2] = {-1, -1};
  if (attached_in < 0 && o->stdin_open && !o->tty && outw >= 0 && pipe2(in, O_CLOEXEC) < 0) {
    hr_errmsg(err, sizeof err, "pipe: %s", strerror(errno));
    init_fail(chan, err);
  }
  struct command cmd = {.o = o, .errfd = ep[1], .errrd = ep[0], .slave = o->tty ? slave : NULL, .outw = outw,
                        .errw = errw, .inr = attached_in >= 0 ? attached_in : in[0]};
  pid_t child = spawn_command(&cmd);
  if (child < 0) {
    hr_errmsg(err, sizeof err, "fork: %s", strerror(errno));
    init_fail(chan, err);
  }
  close(ep[1]);
  if (outw >= 0) close(outw), close(errw);
  if (in[0] >= 0) close(in[0]);
  if (attached_in >= 0) close(attached_in);
  if (master >= 0) close(master);
  char msg[600];
  int code;
  read_exec_error(ep[0], msg, sizeof msg, &code);
  close(ep[0]);
  HR_T("command exec'd");
  if (!code && hr_confine_init(o, msg, sizeof msg) < 0) {
    /* Fail closed: an unconfined, privileged init inside a confined container is not kept. */
    kill(child, SIGKILL);
    code = HR_EXIT_SETUP;
  }
  if (code) hr_sendmsg(chan, MSG_EXEC_ERROR, msg, -1);
  else hr_sendmsg(chan, MSG_STARTED, NULL, -1);
  /* The command has its own memory now: what ps shows of init need not name host paths. */
  memset(hr_args_start, 0, hr_args_len);
  snprintf(hr_args_start, hr_args_len, "hafen-init");

  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&set, &si);
    if (sig < 0 && errno == EINTR) continue;
    if (sig < 0) _exit(HR_EXIT_SETUP); /* refused (a seccomp profile without it): end rather than spin */
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
      if (p != child) continue;
      HR_T("command reaped");
      char num[16];
      snprintf(num, sizeof num, "%d", st);
      hr_sendmsg(chan, MSG_STATUS, num, -1);
      _exit(hr_status_code(st));
    }
  }
}

/* `hafen-run exec`: join a running container's namespaces and cgroups, run a command, pass its status on. */
int hr_exec_main(const struct hr_opts *o) {
  static const struct {
    const char *name;
    int type;
  } nss[] = {{"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET},
             {"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS}};
  int fds[6];
  char path[64], err[512];
  /* Pin the process first: its namespaces are trusted only if it is still that container's init. */
  int pidfd = (int)syscall(SYS_pidfd_open, o->target_pid, 0);
  if (pidfd < 0) {
    fprintf(stderr, "hafen-run: container init %d: %s\n", o->target_pid, strerror(errno));
    return HR_EXIT_SETUP;
  }
  for (int i = 0; i < 6; i++) {
    snprintf(path, sizeof path, "/proc/%d/ns/%s", o->target_pid, nss[i].name);
    if ((fds[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
      fprintf(stderr, "hafen-run: open %s: %s\n", path, strerror(errno));
      return HR_EXIT_SETUP;
    }
  }
  snprintf(path, sizeof path, "/proc/%d/root", o->target_pid);
  int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) {
    fprintf(stderr, "hafen-run: open %s: %s\n", path, strerror(errno));
    return HR_EXIT_SETUP;
  }
  char comm[32] = "";
  snprintf(path, sizeof path, "/proc/%d/comm", o->target_pid);
  int cfd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t cn = cfd >= 0 ? read(cfd, comm, sizeof comm - 1) : -1;
  if (cfd >= 0) close(cfd);
  if (cn < 0 || strcmp(comm, "hafen-init\n") != 0 || syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) {
    fprintf(stderr, "hafen-run: process %d is not a running container's init\n", o->target_pid);
    return HR_EXIT_SETUP;
  }
  close(pidfd);
  if (hr_join_cgroups(o, err, sizeof err) < 0) {
    fprintf(stderr, "hafen-run: %s\n", err);
    return HR_EXIT_SETUP;
  }
  /* Nothing inside may inspect or ptrace us (or the command, sharing our memory) before exec. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* setns(CLONE_NEWNS) refuses (EINVAL) a process that shares its cwd and root with another thread:
   * qemu-user, which runs the arm64 launcher in CI, keeps a helper thread. Our own copy of them
   * changes nothing natively (single-threaded, it is ours already). */
  if (unshare(CLONE_FS) < 0) {
    fprintf(stderr, "hafen-run: unshare the filesystem attributes: %s\n", strerror(errno));
    return HR_EXIT_SETUP;
  }
  for (int i = 0; i < 6; i++) {
    if (setns(fds[i], nss[i].type) < 0) {
      fprintf(stderr, "hafen-run: join %s namespace of %d: %s\n", nss[i].name, o->target_pid, strerror(errno));
      return HR_EXIT_SETUP;
    }
    close(fds[i]);
  }
  if (fchdir(root) < 0 || chroot(".") < 0) {
    fprintf(stderr, "hafen-run: enter the root of %d: %s\n", o->target_pid, strerror(errno));
    return HR_EXIT_SETUP;
  }
  close(root);

  /* With --tty: a pty of the container's devpts instance, relayed to our stdin/stdout. */
  int master = -1;
  char slave[64] = "";
  if (o->tty) {
    master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || unlockpt(master) < 0 || ptsname_r(master, slave, sizeof slave) != 0) {
      fprintf(stderr, "hafen-run: allocate a pty: %s\n", strerror(errno));
      return HR_EXIT_SETUP;
    }
  }
  sigset_t set;
  block_signals(&set);
  int sigfd = signalfd(-1, &set, SFD_CLOEXEC);
  int ep[2];
  if (sigfd < 0 || pipe2(ep, O_CLOEXEC) < 0) return HR_EXIT_SETUP;
  struct command cmd = {.o = o, .errfd = ep[1], .errrd = ep[0], .slave = o->tty ? slave : NULL, .outw = -1, .errw = -1,
                        .inr = -1, .pdeath = 1};
  pid_t child = spawn_command(&cmd);
  if (child < 0) {
    fprintf(stderr, "hafen-run: fork: %s\n", strerror(errno));
    return HR_EXIT_SETUP;
  }
  close(ep[1]);
  char msg[600];
  int code;
  read_exec_error(ep[0], msg, sizeof msg, &code);
  close(ep[0]);
  if (code) fprintf(stderr, "hafen-run: %s\n", msg);

  struct termios saved;
  int raw = 0, stdin_open = 1, done = 0, st = 0;
  if (master >= 0) {
    struct winsize ws;
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
    if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
      struct termios r = saved;
      cfmakeraw(&r);
      raw = tcsetattr(STDIN_FILENO, TCSANOW, &r) == 0;
    }
  }
  /* Until the command is reaped and, with a pty, its output drained. */
  while (!done || master >= 0) {
    struct pollfd pf[3] = {{sigfd, POLLIN, 0}, {master, POLLIN, 0}, {stdin_open && master >= 0 ? 0 : -1, POLLIN, 0}};
    if (poll(pf, 3, done ? 100 : -1) <= 0) {
      if (done) break;
      continue;
    }
    if (pf[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sigfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGCHLD) {
          if (!done && waitpid(child, &st, WNOHANG) == child) done = 1;
        } else if (si.ssi_signo == SIGWINCH && master >= 0) {
          struct winsize ws;
          if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
        } else {
          kill(child, (int)si.ssi_signo);
        }
      }
    }
    if (master >= 0 && (pf[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      char buf[16384];
      ssize_t n = read(master, buf, sizeof buf);
      if (n > 0) hr_write_all(STDOUT_FILENO, buf, (size_t)n);
      else if (n == 0 || errno != EINTR) close(master), master = -1;
    }
    if (master >= 0 && (pf[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      char buf[4096];
      ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n > 0) hr_write_all(master, buf, (size_t)n);
      else if (n == 0 || errno != EINTR) stdin_open = 0;
    }
  }
  if (raw) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  return hr_status_code(st);
}
