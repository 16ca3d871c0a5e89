/*
 * hafen-run: the process launcher of hafen's embedded runtime. Node's process is multithreaded and
 * cannot enter new namespaces, so every container starts through this small program.
 *
 *   hafen-run run [options] -- CMD ARGS...
 *     rootfs     --rootfs-lower DIR (repeatable, top-most first) --rootfs-upper DIR --rootfs-work DIR
 *                --rootfs-target DIR (created if missing): an overlay mounted inside the container's
 *                mount namespace, so it disappears with the container; or --rootfs DIR (a plain
 *                directory, bound onto itself). --rootfs-readonly: the root mount is made read-only
 *                once everything is mounted and --cwd exists (mounts on it stay as they are).
 *     mounts     --bind SRC:DST[:ro|:rw]  (files or dirs; DST created in the rootfs, resolved inside it)
 *                --tmpfs DST[:size=BYTES,mode=OCTAL,noexec,ro]   (nosuid,nodev; mode 1777 by default)
 *                --host-ro DIR  (a host directory, read-only at the same path; a host symlink is
 *                recreated as a symlink). Paths must not contain ':'.
 *                Always: /proc, a tmpfs /dev (null zero full random urandom tty bound from the host,
 *                pts, shm, mqueue, ptmx fd stdin stdout stderr links), /sys read-only, Docker's masked
 *                and read-only paths; then pivot_root.
 *                --privileged (as `docker run --privileged`, together with every --cap): /dev also
 *                gets every device node of the host's /dev (subfolders too; not pts, shm, mqueue),
 *                /sys is writable, nothing is masked or read-only in /proc and /sys, and the
 *                command keeps the right to gain privileges (no no_new_privs; exec too).
 *     isolation  new mount, pid, uts, ipc and cgroup namespaces; --net new|host|/proc/PID/ns/net
 *                (new: empty, lo up; default new); --hostname NAME (not with --uts host); --domainname NAME;
 *                --ipc new|host|/proc/PID/ns/ipc, --pid new|host|/proc/PID/ns/pid (joined: init is not
 *                PID 1 there, the namespace's owner reaps orphans), --uts new|host;
 *                --sysctl KEY=VALUE (repeatable: written to /proc/sys by init in its own network (net.*)
 *                or IPC namespace, refused when that namespace is shared); --shm-size BYTES (/dev/shm,
 *                default 64 MiB)
 *     process    --cwd DIR (created if missing) --env K=V (repeatable; the whole environment)
 *                --user UID[:GID] --groups G1,G2 (numeric) --cap CAP_NAME (repeatable: the
 *                capabilities kept in bounding, effective, permitted; inheritable and ambient are
 *                cleared; a non-root user ends with none) ; no_new_privs unless --privileged or
 *                --allow-new-privileges; --ulimit NAME=SOFT:HARD (repeatable; -1 unlimited: set before
 *                exec, a refusal fails the start naming the limit); --oom-score-adj N (-1000..1000, on
 *                init and the command); otherwise rlimits untouched.
 *                --cgroup DIR (repeatable; v1 per-controller dirs and/or a v2 dir): the container's
 *                init writes itself into DIR/cgroup.procs (or tasks) first thing, before its cgroup
 *                namespace and its filesystem exist, so all of it is accounted; this outer process
 *                stays outside, so an OOM kill never hits the log relay or the status writer.
 *     --tty      the command gets a new pty of the container's /dev/pts; this process relays its own
 *                stdin/stdout to it (raw mode when stdin is a terminal) and passes window sizes on.
 *     --net-setup LINE  (repeatable; with --net new) an `ip -batch` line run by `ip` inside the new
 *                network namespace before the caller is told the pid (veths, addresses); a failure
 *                ends the container with exit 125 and ip's message.
 *     --sync-fd N  a socket to the caller. hafen-run writes `pid <host pid of the init>\n` as soon as
 *                the namespaces exist (the filesystem is still being set up; the caller may configure
 *                /proc/PID/ns/net meanwhile) and waits for `go\n` (EOF instead: the container is
 *                killed, nothing is left, exit 125). Then it writes `started\n` once the command was
 *                exec'd, or `error <message>\n` (a setup failure, or e.g. `exec "nodee": No such file
 *                or directory`), and at the end `exit exited CODE` or `exit signaled SIG`, plus ` oom`.
 *                Before `go` the caller may write `attach PATH`: the stdin, stdout and stderr a CLI's
 *                `hafen-run attach-serve PATH` sends (hafen-run-attach.c) become the container's: its
 *                stdin the command's (with --tty: relayed to the pty, the terminal raw, its size passed
 *                on, and again at each resize the helper tells), its output written there as well as
 *                to the log; the terminal is restored at the end.
 *                Without --sync-fd the command starts at once and errors go to stderr.
 *     --log FILE [--log-max BYTES]  stdout and stderr of the command go through pipes to this process,
 *                which appends `<RFC3339Nano UTC> <stdout|stderr> <line>` lines to FILE, rotating it
 *                to FILE.1 past BYTES; stdin is /dev/null, or with --stdin-open a pipe that
 *                stays open (never EOF). Without --log the command shares our stdio.
 *     --log-files N  files kept across rotations, the live one included (default 2): FILE.1 becomes
 *                FILE.2 and so on up to FILE.(N-1); with 1 the full file is dropped (Docker's max-file).
 *     --env-fd N the environment, read to EOF from fd N first thing (then N is closed): entries
 *                `K=V` each ending in a NUL byte, added to --env's. hafen passes the environment only
 *                this way, since a command line is readable by every user of the host (ps).
 *     --detach   setsid(), so the caller can die (even by SIGKILL) and the container lives on;
 *     --status-file FILE  written atomically at the end: `exited CODE` or `signaled SIG`, plus ` oom`
 *                when the kernel OOM-killed in one of the cgroups (memory.oom_control / memory.events).
 *     --seccomp-fd N  (run and exec) the command's seccomp filter: raw struct sock_filter bytes read
 *                from fd N up to EOF before anything else, installed as the command's last step
 *                before exec (after capabilities and no_new_privs; without no_new_privs, just before
 *                the capabilities are dropped, while CAP_SYS_ADMIN still allows it). Once the command
 *                runs, init itself keeps only CAP_KILL and takes the same filter (not with --privileged).
 *   PID 1 inside is hafen-run (a tiny init): it forks the command, forwards SIGTERM SIGINT SIGHUP
 *   SIGQUIT SIGUSR1 SIGUSR2 SIGWINCH to it, reaps every zombie and exits with the command's status,
 *   so the kernel ends the rest of the namespace. This outer process forwards the same signals
 *   inward and exits with the same status: CODE, or 128+SIG; 125 when the container could not be
 *   set up, 126 when the command cannot be executed, 127 when it is not found.
 *
 *   hafen-run exec --target PID [--user ..] [--groups ..] [--cwd ..] [--env ..] [--env-fd N] [--cap ..] [--cgroup ..] [--privileged]
 *                  -- CMD ARGS...
 *     joins the cgroups and the mnt, pid, net, uts, ipc and cgroup namespaces of the container whose
 *     init is PID, forks (so the pid namespace applies), drops to user and capabilities, execs;
 *     stdio inherited (--tty: a new pty of the container, relayed), signals forwarded, exits with the
 *     command's status. PID must be a set-up container init: init is named `hafen-setup` while it
 *     builds the container and `hafen-init` from the moment the command starts; anything else (a
 *     dead container's reused pid) is refused with 125.
 *
 *   Older kernels and qemu-user: where clone(2) refuses namespace flags (qemu-user) the namespaces
 *   are made by unshare(2) and fork; without openat2 mount targets are resolved inside the root by
 *   hand (hafen-run-resolve.c); without the new mount API mounts are made by mount(2)
 *   (hafen-run-legacy-mount.c); without close_range fds are marked close-on-exec by hand. Each
 *   confines as its counterpart does; HAFEN_RUN_WITHOUT=openat2,mount-api,close_range (the
 *   launcher's own environment) forces them for tests.
 */
#include "hafen-run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

void hr_die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("hafen-run: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(HR_EXIT_SETUP);
}

int hr_errmsg(char *buf, size_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, len, fmt, ap);
  va_end(ap);
  return n;
}

int hr_write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* One message on the init <-> outer channel, optionally passing an fd. */
int hr_sendmsg(int fd, char kind, const char *text, int passfd) {
  char buf[1024];
  size_t n = (size_t)snprintf(buf, sizeof buf, "%c%s", kind, text ? text : "");
  if (n >= sizeof buf) n = sizeof buf - 1;
  struct iovec iov = {buf, n};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
  char cbuf[CMSG_SPACE(sizeof(int))];
  if (passfd >= 0) {
    memset(cbuf, 0, sizeof cbuf);
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &passfd, sizeof(int));
  }
  return sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* Moves the calling process into each --cgroup directory ("0" means the writer itself). */
int hr_join_cgroups(const struct hr_opts *o, char *err, size_t errlen) {
  for (int i = 0; i < o->ncgroups; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/cgroup.procs", o->cgroups[i]);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      snprintf(path, sizeof path, "%s/tasks", o->cgroups[i]);
      fd = open(path, O_WRONLY | O_CLOEXEC);
    }
    if (fd < 0 || write(fd, "0", 1) != 1) {
      hr_errmsg(err, errlen, "join cgroup %s: %s", o->cgroups[i], strerror(errno));
      if (fd >= 0) close(fd);
      return -1;
    }
    close(fd);
  }
  return 0;
}

/* The kernel's OOM-kill count over the cgroups (v1 memory.oom_control, v2 memory.events). */
static long long oom_kills(const struct hr_opts *o) {
  long long total = 0;
  static const char *const files[] = {"memory.oom_control", "memory.events"};
  for (int i = 0; i < o->ncgroups; i++) {
    for (int f = 0; f < 2; f++) {
      char path[4096], line[256];
      snprintf(path, sizeof path, "%s/%s", o->cgroups[i], files[f]);
      FILE *fp = fopen(path, "re");
      if (!fp) continue;
      while (fgets(line, sizeof line, fp))
        if (!strncmp(line, "oom_kill ", 9)) total += atoll(line + 9);
      fclose(fp);
    }
  }
  return total;
}

static long long parse_num(const char *s, const char *what, int base) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, base);
  if (errno || !*s || *end || v < 0) hr_die("%s: not a number: %s", what, s);
  return v;
}

static void parse_args(int argc, char **argv, struct hr_opts *o) {
  size_t n = (size_t)argc + 1;
  memset(o, 0, sizeof *o);
  o->lowers = calloc(n, sizeof *o->lowers);
  o->binds = calloc(n, sizeof *o->binds);
  o->tmpfs = calloc(n, sizeof *o->tmpfs);
  o->hostro = calloc(n, sizeof *o->hostro);
  o->env = calloc(n, sizeof *o->env);
  o->groups = calloc(n, sizeof *o->groups);
  o->cgroups = calloc(n, sizeof *o->cgroups);
  o->rlimits = calloc(n, sizeof *o->rlimits);
  o->sysctls = calloc(n, sizeof *o->sysctls);
  o->netsetup = calloc(n, sizeof *o->netsetup);
  o->syncfd = -1;
  o->net = HR_NET_NEW;
  if (argc < 2 || (strcmp(argv[1], "run") && strcmp(argv[1], "exec")))
    hr_die("usage: hafen-run run|exec [options] -- CMD ARGS... (see the top of native/hafen-run.c)");
  o->exec_mode = !strcmp(argv[1], "exec");
  int i = 2;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--")) {
      i++;
      break;
    }
    if (!strcmp(a, "--detach")) { o->detach = 1; continue; }
    if (!strcmp(a, "--tty")) { o->tty = 1; continue; }
    if (!strcmp(a, "--rootfs-volatile")) { o->volatile_upper = 1; continue; }
    if (!strcmp(a, "--rootfs-readonly")) { o->readonly_root = 1; continue; }
    if (!strcmp(a, "--privileged")) { o->privileged = 1; continue; }
    if (!strcmp(a, "--allow-new-privileges")) { o->allow_new_privs = 1; continue; }
    if (!strcmp(a, "--stdin-open")) { o->stdin_open = 1; continue; }
    if (i + 1 >= argc) hr_die("%s needs a value", a);
    char *v = argv[++i];
    if (!strcmp(a, "--rootfs-lower")) o->lowers[o->nlowers++] = v;
    else if (!strcmp(a, "--rootfs-upper")) o->upper = v;
    else if (!strcmp(a, "--rootfs-work")) o->work = v;
    else if (!strcmp(a, "--rootfs-target")) o->target = v;
    else if (!strcmp(a, "--rootfs")) o->rootfs = v;
    else if (!strcmp(a, "--bind")) {
      struct hr_bind *b = &o->binds[o->nbinds++];
      size_t len = strlen(v);
      if (len > 3 && (!strcmp(v + len - 3, ":ro") || !strcmp(v + len - 3, ":rw"))) {
        b->ro = v[len - 2] == 'r' && v[len - 1] == 'o';
        v[len - 3] = 0;
      }
      char *colon = strchr(v, ':');
      if (!colon || colon == v || !colon[1]) hr_die("--bind SRC:DST[:ro], got %s", v);
      *colon = 0;
      b->src = v;
      b->dst = colon + 1;
    } else if (!strcmp(a, "--tmpfs")) {
      struct hr_tmpfs *t = &o->tmpfs[o->ntmpfs++];
      char *colon = strchr(v, ':');
      if (colon) *colon = 0;
      t->dst = v;
      t->opts = colon ? colon + 1 : NULL;
    } else if (!strcmp(a, "--host-ro")) o->hostro[o->nhostro++] = v;
    else if (!strcmp(a, "--net")) {
      if (!strcmp(v, "new")) o->net = HR_NET_NEW;
      else if (!strcmp(v, "host")) o->net = HR_NET_HOST;
      else if (v[0] == '/') o->net = HR_NET_JOIN, o->netpath = v;
      else hr_die("--net new|host|/proc/PID/ns/net, got %s", v);
    } else if (!strcmp(a, "--ipc") || !strcmp(a, "--pid")) {
      int ipc = a[2] == 'i';
      enum hr_ns *ns = ipc ? &o->ipc : &o->pid;
      if (!strcmp(v, "new")) *ns = HR_NS_NEW;
      else if (!strcmp(v, "host")) *ns = HR_NS_HOST;
      else if (v[0] == '/') *ns = HR_NS_JOIN, *(ipc ? &o->ipcpath : &o->pidpath) = v;
      else hr_die("%s new|host|/proc/PID/ns/%s, got %s", a, ipc ? "ipc" : "pid", v);
    } else if (!strcmp(a, "--uts")) {
      if (!strcmp(v, "new")) o->uts = HR_NS_NEW;
      else if (!strcmp(v, "host")) o->uts = HR_NS_HOST;
      else hr_die("--uts new|host, got %s", v);
    } else if (!strcmp(a, "--ulimit")) {
      if (hr_parse_rlimit(v, &o->rlimits[o->nrlimits++]) < 0) hr_die("--ulimit NAME=SOFT:HARD (a known rlimit name, numbers or -1, soft <= hard), got %s", v);
    } else if (!strcmp(a, "--sysctl")) {
      if (hr_parse_sysctl(v, &o->sysctls[o->nsysctls++]) < 0) hr_die("--sysctl KEY=VALUE (a dotted name), got %s", v);
    } else if (!strcmp(a, "--shm-size")) {
      o->shm_size = parse_num(v, "--shm-size", 10);
      if (o->shm_size <= 0) hr_die("--shm-size must be more than 0, got %s", v);
    } else if (!strcmp(a, "--oom-score-adj")) {
      char *end;
      errno = 0;
      long adj = strtol(v, &end, 10);
      if (errno || !*v || *end || adj < -1000 || adj > 1000) hr_die("--oom-score-adj -1000..1000, got %s", v);
      o->oom_score_adj = (int)adj;
      o->has_oom_score_adj = 1;
    } else if (!strcmp(a, "--hostname")) o->hostname = v;
    else if (!strcmp(a, "--domainname")) o->domainname = v;
    else if (!strcmp(a, "--cwd")) o->cwd = v;
    else if (!strcmp(a, "--env")) {
      if (!strchr(v, '=')) hr_die("--env K=V, got an entry without '='");
      o->env[o->nenv++] = v;
    } else if (!strcmp(a, "--user")) {
      char *colon = strchr(v, ':');
      if (colon) *colon = 0;
      o->uid = (uid_t)parse_num(v, "--user", 10);
      o->gid = colon ? (gid_t)parse_num(colon + 1, "--user", 10) : 0;
    } else if (!strcmp(a, "--groups")) {
      for (char *save = NULL, *g = strtok_r(v, ",", &save); g; g = strtok_r(NULL, ",", &save))
        o->groups[o->ngroups++] = (gid_t)parse_num(g, "--groups", 10);
    } else if (!strcmp(a, "--cap")) {
      int c = hr_cap_from_name(v);
      if (c < 0) hr_die("unknown capability %s", v);
      o->caps |= 1ULL << c;
    } else if (!strcmp(a, "--cgroup")) o->cgroups[o->ncgroups++] = v;
    else if (!strcmp(a, "--sync-fd")) o->syncfd = (int)parse_num(v, "--sync-fd", 10);
    else if (!strcmp(a, "--log")) o->log = v;
    else if (!strcmp(a, "--log-max")) o->logmax = parse_num(v, "--log-max", 10);
    else if (!strcmp(a, "--log-files")) o->logfiles = parse_num(v, "--log-files", 10);
    else if (!strcmp(a, "--status-file")) o->statusfile = v;
    else if (!strcmp(a, "--target")) o->target_pid = (pid_t)parse_num(v, "--target", 10);
    /* secrets: the environment through a pipe, read before anything else (hafen-run-envfd.c) */
    else if (!strcmp(a, "--env-fd")) {
      char err[256];
      if (hr_read_env_fd((int)parse_num(v, "--env-fd", 10), o, err, sizeof err) < 0) hr_die("%s", err);
    }
    else if (!strcmp(a, "--net-setup")) o->netsetup[o->nnetsetup++] = v;
    else if (!strcmp(a, "--seccomp-fd")) {
      char err[256];
      if (hr_read_seccomp_fd((int)parse_num(v, "--seccomp-fd", 10), o, err, sizeof err) < 0) hr_die("%s", err);
    }
    else hr_die("unknown option %s", a);
  }
  if (i >= argc) hr_die("no command given (options -- CMD ARGS...)");
  /* Paths inside the container are absolute, as in Docker. */
  if (o->cwd && o->cwd[0] != '/') hr_die("--cwd must be absolute: %s", o->cwd);
  for (int k = 0; k < o->nbinds; k++)
    if (o->binds[k].dst[0] != '/') hr_die("--bind target must be absolute: %s", o->binds[k].dst);
  for (int k = 0; k < o->ntmpfs; k++)
    if (o->tmpfs[k].dst[0] != '/') hr_die("--tmpfs target must be absolute: %s", o->tmpfs[k].dst);
  for (int k = 0; k < o->nhostro; k++)
    if (o->hostro[k][0] != '/') hr_die("--host-ro must be absolute: %s", o->hostro[k]);
  o->argv = argv + i;
  if (o->exec_mode) {
    if (o->target_pid <= 0) hr_die("exec needs --target PID");
    return;
  }
  if (!o->rootfs && !(o->nlowers && o->upper && o->work && o->target))
    hr_die("run needs --rootfs DIR, or --rootfs-lower, --rootfs-upper, --rootfs-work and --rootfs-target");
}

/* The outer process's view of one container run. */
struct outer {
  const struct hr_opts *o;
  pid_t init;
  int chan, sigfd, outr, errr, master, stdin_open;
  /* The caller's stdio: ours, or after `attach` the fds a CLI sent (hafen-run-attach.c); att: the
   * connection they came on (its 'W' bytes: the terminal was resized; EOF: the CLI's helper went). */
  int in, out, err, att, attached;
  int init_done, init_status, chan_open, have_status, cmd_status, go_sent, aborted, setup_failed;
  struct hr_log *log;
  long long last_read[2], rest_until[2]; /* per log stream, monotonic ms (see pump) */
  struct termios saved;
  int raw;
  char sync[512];
  size_t synclen;
};

static void sync_line(const struct outer *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sync_line(const struct outer *r, const char *fmt, ...) {
  if (r->o->syncfd < 0) return;
  char buf[1100];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) hr_write_all(r->o->syncfd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void report_error(const struct outer *r, const char *msg) {
  if (r->o->syncfd >= 0) sync_line(r, "error %s\n", msg);
  else fprintf(stderr, "hafen-run: %s\n", msg);
}

static void resize_pty(const struct outer *r) {
  struct winsize ws;
  if (r->master >= 0 && ioctl(r->in, TIOCGWINSZ, &ws) == 0) ioctl(r->master, TIOCSWINSZ, &ws);
}

/* With a pty: the caller's terminal (ours, or the attached one) in raw mode, its size passed on.
 * Called when the pty arrives and again when a terminal is attached (either may come first). */
static void setup_terminal(struct outer *r) {
  if (r->master < 0) return;
  if (!r->raw && isatty(r->in) && tcgetattr(r->in, &r->saved) == 0) {
    struct termios raw = r->saved;
    cfmakeraw(&raw);
    r->raw = tcsetattr(r->in, TCSANOW, &raw) == 0;
  }
  resize_pty(r);
}

static void on_chan(struct outer *r) {
  char buf[1100];
  char cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {buf, sizeof buf - 1};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  ssize_t n = recvmsg(r->chan, &mh, MSG_CMSG_CLOEXEC);
  /* init exited with our GO unread: the kernel reports ECONNRESET once, ahead of what init had sent
   * (its setup error); read again to get it. */
  if (n < 0 && errno == ECONNRESET) n = recvmsg(r->chan, &mh, MSG_CMSG_CLOEXEC);
  if (n < 0 && errno == EINTR) return;
  if (n <= 0) {
    r->chan_open = 0;
    return;
  }
  buf[n] = 0;
  switch (buf[0]) {
  case MSG_SETUP_ERROR: r->setup_failed = 1; /* fall through */
  case MSG_EXEC_ERROR: report_error(r, buf + 1); break;
  case MSG_STARTED: sync_line(r, "started\n"); break;
  case MSG_STATUS:
    r->have_status = 1;
    r->cmd_status = atoi(buf + 1);
    break;
  case MSG_PTY: {
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    if (!c || c->cmsg_type != SCM_RIGHTS) break;
    memcpy(&r->master, CMSG_DATA(c), sizeof(int));
    setup_terminal(r);
    break;
  }
  }
}

/* `attach PATH`: the CLI's stdio, from its helper at PATH, becomes ours: its stdin goes to the
 * command (the pty's input with --tty), the command's output to its stdout and stderr as well as to
 * the log. A failure ends the container before its command ran. */
static void on_attach(struct outer *r, const char *path) {
  char err[600];
  int fds[3], conn;
  if (hr_attach_connect(path, fds, &conn, err, sizeof err) < 0) {
    report_error(r, err);
    kill(r->init, SIGKILL);
    r->aborted = r->go_sent = 1;
    return;
  }
  r->in = fds[0], r->out = fds[1], r->err = fds[2], r->att = conn;
  r->attached = r->stdin_open = 1;
  setup_terminal(r);
}

/* Lines from the caller before the command runs: `attach PATH` (optional), then `go`. */
static void on_sync(struct outer *r) {
  ssize_t n = read(r->o->syncfd, r->sync + r->synclen, sizeof r->sync - 1 - r->synclen);
  if (n < 0 && errno == EINTR) return;
  if (n <= 0) {
    /* The caller went away before `go`: kill the container; its namespaces take everything along. */
    kill(r->init, SIGKILL);
    r->aborted = r->go_sent = 1;
    return;
  }
  r->synclen += (size_t)n;
  r->sync[r->synclen] = 0;
  char *line = r->sync, *nl;
  while (!r->go_sent && (nl = strchr(line, '\n'))) {
    *nl = 0;
    if (!strncmp(line, "attach ", 7) && !r->attached) {
      on_attach(r, line + 7);
    } else if (!strcmp(line, "go")) {
      /* Without a pty, the attached stdin is the command's own (init hands it over). */
      hr_sendmsg(r->chan, MSG_GO, NULL, r->attached && !r->o->tty ? r->in : -1);
      r->go_sent = 1;
    } else {
      kill(r->init, SIGKILL);
      r->aborted = r->go_sent = 1;
    }
    line = nl + 1;
  }
  r->synclen = strlen(line);
  memmove(r->sync, line, r->synclen + 1);
  if (!r->go_sent && r->synclen >= sizeof r->sync - 1) {
    kill(r->init, SIGKILL);
    r->aborted = r->go_sent = 1;
  }
}

static void on_signal(struct outer *r) {
  struct signalfd_siginfo si;
  if (read(r->sigfd, &si, sizeof si) != sizeof si) return;
  if (si.ssi_signo == SIGCHLD) {
    int st;
    if (!r->init_done && waitpid(r->init, &st, WNOHANG) == r->init) r->init_done = 1, r->init_status = st;
  } else if (si.ssi_signo == SIGWINCH && r->master >= 0) {
    resize_pty(r);
  } else {
    kill(r->init, (int)si.ssi_signo);
  }
}

/* A stream that floods the log is read at most once per LOG_PACE_MS (draining the pipe each time), so
 * the writer wakes a few hundred times a second, not once per line; the pipe (LOG_PIPE_BYTES) holds
 * what comes meanwhile, and a payload faster than that simply blocks on it, losing nothing. */
#define LOG_PACE_MS 5
#define LOG_PIPE_BYTES (1024 * 1024)
#define READ_BYTES (256 * 1024)

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads from fd into the log (stream 0/1) and/or to *to (-1: nowhere; set to -1 once a write there
 * fails); returns 0 at EOF (and closes fd). Log pipes are non-blocking and read until empty; a
 * stream read again within LOG_PACE_MS rests that long. */
static int pump(struct outer *r, int fd, int stream, int *to) {
  static char buf[READ_BYTES];
  int logged = r->log && stream >= 0;
  /* At most a pipe's worth per call: a payload that refills the pipe as fast as it is read must not
   * keep signals and the sync channel waiting. */
  for (int reads = 0; reads < LOG_PIPE_BYTES / READ_BYTES; reads++) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      if (logged) hr_log_flush(r->log, stream);
      close(fd);
      return 0;
    }
    if (*to >= 0 && hr_write_all(*to, buf, (size_t)n) < 0) *to = -1;
    if (!logged) return 1;
    hr_log_data(r->log, stream, buf, (size_t)n);
    if ((size_t)n < sizeof buf) break;
  }
  long long t = now_ms();
  r->rest_until[stream] = t - r->last_read[stream] < LOG_PACE_MS ? t + LOG_PACE_MS : 0;
  r->last_read[stream] = t;
  return 1;
}

/* Makes a log pipe's read end non-blocking and its buffer big enough for LOG_PACE_MS of a flood. */
static void log_pipe(int fds[2]) {
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  fcntl(fds[0], F_SETPIPE_SZ, LOG_PIPE_BYTES); /* best effort: a smaller pipe only slows a flood */
}

static void write_status_file(const char *path, const char *text) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  int ok = hr_write_all(fd, text, strlen(text)) == 0 && fsync(fd) == 0;
  close(fd);
  if (!ok || rename(tmp, path) < 0) unlink(tmp);
}

/*
 * Where clone(2) refuses namespace flags (qemu-user, which emulates another arch's launcher, runs
 * clone only as fork or thread): the same namespaces by unshare(2). The new PID namespace is
 * unshared here (it applies to our next child only, so this process stays where it is); the child
 * unshares the others itself and says so on a pipe, since the caller may open /proc/PID/ns/net as
 * soon as it learns the pid. Returns the child's pid (0 in the child), or -1 with errno.
 */
static pid_t fork_into_namespaces(unsigned long flags, int ready[2]) {
  unsigned long own = flags & (CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS);
  if ((flags & CLONE_NEWPID) && unshare(CLONE_NEWPID) < 0) return -1;
  if (pipe2(ready, O_CLOEXEC) < 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    close(ready[0]);
    if (unshare((int)own) < 0) hr_die("unshare: %s", strerror(errno));
    char ok = 1;
    if (write(ready[1], &ok, 1) != 1) _exit(125);
    close(ready[1]);
    ready[0] = ready[1] = -1;
    return 0;
  }
  close(ready[1]);
  ready[1] = -1;
  return pid;
}

/* Waits until the child of fork_into_namespaces is in its namespaces. */
static void await_namespaces(int fd) {
  char ok = 0;
  ssize_t n;
  do n = read(fd, &ok, 1);
  while (n < 0 && errno == EINTR);
  close(fd);
  if (n != 1) hr_die("the container's namespaces could not be made (unshare failed)");
}

static int run_main(const struct hr_opts *o) {
  HR_T("start");
  struct outer r = {.o = o, .outr = -1, .errr = -1, .master = -1, .chan_open = 1, .stdin_open = 1,
                    .in = STDIN_FILENO, .out = STDOUT_FILENO, .err = STDERR_FILENO, .att = -1};
  signal(SIGPIPE, SIG_IGN);
  if (o->detach) {
    setsid();
  } else {
    /* Attached: the container ends with the process that started us (init follows us the same way). */
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent) return HR_EXIT_SETUP;
  }
  int outp[2] = {-1, -1}, errp[2] = {-1, -1}, chan[2];
  if (o->log) {
    if (!(r.log = hr_log_open(o->log, o->logmax, o->logfiles))) hr_die("open log %s: %s", o->log, strerror(errno));
    if (!o->tty && (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)) hr_die("pipe: %s", strerror(errno));
    if (!o->tty) log_pipe(outp), log_pipe(errp);
  }
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chan) < 0) hr_die("socketpair: %s", strerror(errno));
  long long oom0 = oom_kills(o);

  sigset_t set;
  sigemptyset(&set);
  int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaddset(&set, sigs[i]);
  sigprocmask(SIG_BLOCK, &set, NULL);
  r.sigfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (r.sigfd < 0) hr_die("signalfd: %s", strerror(errno));

  unsigned long flags = CLONE_NEWNS | SIGCHLD;
  if (o->net == HR_NET_NEW) flags |= CLONE_NEWNET;
  if (o->pid == HR_NS_NEW) flags |= CLONE_NEWPID;
  if (o->ipc == HR_NS_NEW) flags |= CLONE_NEWIPC; /* a joined one is entered by init */
  if (o->uts == HR_NS_NEW) flags |= CLONE_NEWUTS;
  if (o->pid == HR_NS_JOIN) {
    /* Only children enter a joined PID namespace: init is cloned into it (not as its PID 1). */
    char err[512];
    if (hr_join_ns(o->pidpath, CLONE_NEWPID, "pid", err, sizeof err) < 0) hr_die("%s", err);
  }
  pid_t pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
  /* Why a second way: qemu-user (which runs the arm64 launcher's tests in CI) refuses namespace flags
   * in clone(2) with EINVAL. The fallback makes the same namespaces (the child is PID 1 of the new
   * PID namespace, with SIGCHLD as exit signal, so pdeath and status reporting are unchanged); a
   * kernel that takes clone(2) never reaches it. */
  int nsready[2] = {-1, -1};
  if (pid < 0 && errno == EINVAL) pid = fork_into_namespaces(flags, nsready);
  if (pid < 0) hr_die("clone: %s", strerror(errno));
  if (pid == 0) {
    close(chan[0]);
    close(r.sigfd);
    if (o->syncfd >= 0) close(o->syncfd);
    if (outp[0] >= 0) close(outp[0]), close(errp[0]);
    hr_log_close(r.log);
    hr_container_init(o, chan[1], outp[1], errp[1]);
  }
  if (nsready[0] >= 0) await_namespaces(nsready[0]);
  HR_T("cloned");
  r.init = pid;
  r.chan = chan[0];
  close(chan[1]);
  if (outp[1] >= 0) close(outp[1]), close(errp[1]);
  r.outr = outp[0];
  r.errr = errp[0];
  if (o->nnetsetup > 0) {
    /* Wired before the caller hears of the pid: one fork of this small process instead of two
     * spawns (nsenter, ip) of the caller's big one. A failure ends the container (its namespace
     * takes the veths along). */
    char err[1024];
    if (hr_net_setup(o, pid, err, sizeof err) < 0) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      hr_die("connecting it to its networks: %s", err);
    }
    HR_T("network set up");
  }
  sync_line(&r, "pid %d\n", pid);
  if (o->syncfd < 0) {
    hr_sendmsg(r.chan, MSG_GO, NULL, -1);
    r.go_sent = 1;
  }

  /* Until init is reaped, its messages are read and the output pipes and pty have reached EOF. */
  while (!r.init_done || r.chan_open || r.outr >= 0 || r.errr >= 0 || r.master >= 0) {
    struct pollfd pf[8];
    int np = 0, isig = -1, ichan = -1, isync = -1, iout = -1, ierr = -1, iin = -1, ipty = -1, iatt = -1;
#define WATCH(idx, fd_) (idx = np, pf[np].fd = (fd_), pf[np].events = POLLIN, pf[np++].revents = 0)
    WATCH(isig, r.sigfd);
    if (r.chan_open) WATCH(ichan, r.chan);
    if (!r.go_sent) WATCH(isync, o->syncfd);
    /* A resting log stream (see pump) is left out of the poll until its time is up. */
    long long t = now_ms(), wake = -1;
    int fds[3] = {r.outr, r.errr, r.master};
    for (int k = 0; k < 3; k++) {
      int s = k == 2 ? 0 : k;
      if (fds[k] < 0 || (k == 2 && !r.log) || r.rest_until[s] <= t) continue;
      if (wake < 0 || r.rest_until[s] < wake) wake = r.rest_until[s];
      fds[k] = -1;
    }
    if (fds[0] >= 0) WATCH(iout, r.outr);
    if (fds[1] >= 0) WATCH(ierr, r.errr);
    if (fds[2] >= 0) WATCH(ipty, r.master);
    if (r.master >= 0 && r.stdin_open) WATCH(iin, r.in);
    if (r.att >= 0) WATCH(iatt, r.att);
#undef WATCH
    int timeout = wake >= 0 ? (int)(wake - t) : r.init_done ? 1000 : -1;
    int n = poll(pf, (nfds_t)np, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 && wake >= 0) continue; /* a resting stream's turn */
    if (n <= 0) break; /* something outside the container holds a pipe: stop waiting for it */
    int rd = POLLIN | POLLHUP | POLLERR;
    if (pf[isig].revents & rd) on_signal(&r);
    if (ichan >= 0 && (pf[ichan].revents & rd)) on_chan(&r);
    if (isync >= 0 && (pf[isync].revents & rd)) on_sync(&r);
    /* Output goes to the log and, when attached, to the caller's stdout/stderr too. */
    int none = -1;
    if (iout >= 0 && (pf[iout].revents & rd) && !pump(&r, r.outr, 0, r.attached ? &r.out : &none)) r.outr = -1;
    if (ierr >= 0 && (pf[ierr].revents & rd) && !pump(&r, r.errr, 1, r.attached ? &r.err : &none)) r.errr = -1;
    if (ipty >= 0 && (pf[ipty].revents & rd) && !pump(&r, r.master, r.log ? 0 : -1, !r.log || r.attached ? &r.out : &none)) r.master = -1;
    if (iin >= 0 && r.master >= 0 && (pf[iin].revents & rd)) {
      char buf[4096];
      ssize_t k = read(r.in, buf, sizeof buf);
      if (k > 0) hr_write_all(r.master, buf, (size_t)k);
      else if (k == 0 || errno != EINTR) r.stdin_open = 0;
    }
    if (iatt >= 0 && (pf[iatt].revents & rd)) {
      char buf[64];
      ssize_t k = read(r.att, buf, sizeof buf);
      if (k > 0 && memchr(buf, 'W', (size_t)k)) resize_pty(&r);
      else if (k == 0 || (k < 0 && errno != EINTR)) close(r.att), r.att = -1;
    }
  }
  HR_T("init reaped");
  if (r.raw) tcsetattr(r.in, TCSANOW, &r.saved);
  /* Setup failed before the caller's `go`: it is about to send it (it has our pid). Take it (or its
   * EOF) before exiting, for a socket closed with unread data makes the caller's side fail and drop
   * the error line it has not read yet. */
  if (o->syncfd >= 0 && !r.go_sent) {
    struct pollfd p = {.fd = o->syncfd, .events = POLLIN};
    char b[64];
    if (poll(&p, 1, 500) > 0) (void)!read(o->syncfd, b, sizeof b);
  }

  int st;
  if (r.aborted) st = HR_EXIT_SETUP << 8;
  else if (r.have_status) st = r.cmd_status;
  else if (r.init_done && WIFSIGNALED(r.init_status)) st = r.init_status; /* init killed from outside */
  else st = HR_EXIT_SETUP << 8;
  char text[64];
  int oom = oom_kills(o) > oom0;
  snprintf(text, sizeof text, "%s %d%s\n", WIFSIGNALED(st) ? "signaled" : "exited",
           WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), oom ? " oom" : "");
  if (!r.aborted) {
    sync_line(&r, "exit %s", text);
    if (o->statusfile) write_status_file(o->statusfile, text);
  }
  hr_log_close(r.log);
  return hr_status_code(st);
}

char *hr_args_start;
size_t hr_args_len;

int main(int argc, char **argv) {
  struct hr_opts o;
  hr_args_start = argv[0];
  hr_args_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) + 1 - argv[0]);
  if (argc > 1 && !strncmp(argv[1], "userns-", 7)) return hr_userns_main(argc, argv); /* rootless (hafen-run-userns.c) */
  if (argc > 1 && !strcmp(argv[1], "attach-serve")) return hr_attach_serve_main(argc, argv); /* hafen-run-attach.c */
  parse_args(argc, argv, &o);
  return o.exec_mode ? hr_exec_main(&o) : run_main(&o);
}
