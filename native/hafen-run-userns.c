/*
 * hafen-run's two rootless modes (issue 17): the per-user namespace holder, and joining it.
 *
 *   hafen-run userns-holder --uid-map IN:OUT:COUNT... --gid-map IN:OUT:COUNT...
 *       Forks the holder: a process in a new user namespace (the maps given), with its own mount
 *       namespace (/ made private) and network namespace (lo up), that only waits (SIGTERM ends
 *       it). It is what keeps the user's namespaces alive between commands, like podman's pause
 *       process or RootlessKit's child. A map of one line whose outside id is the caller's own is
 *       written directly (no helper needed; setgroups denied, as the kernel then requires); any
 *       other map goes through the setuid newuidmap/newgidmap, run by this parent with the
 *       child's pid once the child has unshared. Prints `pid N` once the holder is ready; exit 0.
 *
 *   hafen-run userns-join PID -- CMD ARGS...
 *       Joins the user, mount and network namespaces of the holder PID (the caller must be the
 *       namespace's owner), becomes uid/gid 0 there, returns to the caller's working folder and
 *       execs CMD. Node cannot do this itself: setns into a user namespace needs a single thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>
#include "hafen-run.h"
#include "hafen-run-mountapi.h"

#define MAX_MAP 8

struct id_map {
  unsigned long in, out, count;
};

static int parse_map(const char *v, struct id_map *m) {
  char *end;
  m->in = strtoul(v, &end, 10);
  if (*end != ':') return -1;
  m->out = strtoul(end + 1, &end, 10);
  if (*end != ':') return -1;
  m->count = strtoul(end + 1, &end, 10);
  return *end || m->count == 0 ? -1 : 0;
}

static int read_byte(int fd) {
  char c;
  ssize_t n;
  do n = read(fd, &c, 1);
  while (n < 0 && errno == EINTR);
  return n == 1 ? c : -1;
}

static void write_file(const char *file, const char *text) {
  int fd = open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || hr_write_all(fd, text, strlen(text)) < 0) hr_die("writing %s: %s", file, strerror(errno));
  close(fd);
}

/* Maps ids of `pid` through the helper (newuidmap/newgidmap), or directly for the caller's own id alone. */
static void map_ids(pid_t pid, const char *helper, const char *file, const struct id_map *maps, int n, unsigned long own) {
  char path[64];
  if (n == 1 && maps[0].out == own && maps[0].count == 1) {
    char text[64];
    if (!strcmp(file, "gid_map")) {
      snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
      write_file(path, "deny");
    }
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    snprintf(text, sizeof text, "%lu %lu 1\n", maps[0].in, own);
    write_file(path, text);
    return;
  }
  char *argv[2 + 3 * MAX_MAP + 1];
  char nums[1 + 3 * MAX_MAP][24];
  int a = 0;
  argv[a++] = (char *)helper;
  snprintf(nums[0], sizeof nums[0], "%d", (int)pid);
  argv[a++] = nums[0];
  for (int i = 0; i < n; i++) {
    unsigned long v[3] = {maps[i].in, maps[i].out, maps[i].count};
    for (int k = 0; k < 3; k++) {
      snprintf(nums[1 + 3 * i + k], sizeof nums[0], "%lu", v[k]);
      argv[a++] = nums[1 + 3 * i + k];
    }
  }
  argv[a] = NULL;
  pid_t h = fork();
  if (h < 0) hr_die("fork: %s", strerror(errno));
  if (h == 0) {
    execvp(helper, argv);
    fprintf(stderr, "hafen-run: exec %s: %s\n", helper, strerror(errno));
    _exit(127);
  }
  int st;
  while (waitpid(h, &st, 0) < 0 && errno == EINTR) {}
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) hr_die("%s %d ... failed (see its message above)", helper, (int)pid);
}

static void loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) return;
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  ioctl(s, SIOCSIFFLAGS, &ifr);
  close(s);
}

/* The holder's own life: namespaces made, ids mapped by the parent, then it waits for SIGTERM. */
static void holder_child(int up, int down) {
  if (unshare(CLONE_NEWUSER) < 0) {
    dprintf(up, "Ecannot make a user namespace: %s", strerror(errno));
    _exit(1);
  }
  hr_write_all(up, "u", 1);
  if (read_byte(down) != 'm') _exit(1); /* the parent failed to map us; it says why */
  if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
    dprintf(up, "Ebecoming root in the user namespace: %s", strerror(errno));
    _exit(1);
  }
  setgroups(0, NULL); /* refused under a single-id map (setgroups denied): nothing to drop then */
  if (unshare(CLONE_NEWNS | CLONE_NEWNET) < 0) {
    dprintf(up, "Ecannot make mount and network namespaces in the user namespace: %s", strerror(errno));
    _exit(1);
  }
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
    dprintf(up, "Emaking / private: %s", strerror(errno));
    _exit(1);
  }
  /* /sys/class/net shows the network namespace of whoever mounted sysfs: a sysfs of our own, so
   * the bridges made here are seen there (ip and hafen read it); the host's cgroup mounts are
   * carried over onto it. */
  int cg = open_tree(AT_FDCWD, "/sys/fs/cgroup", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
    dprintf(up, "Emounting a sysfs of the user's network namespace: %s", strerror(errno));
    _exit(1);
  }
  if (cg >= 0 && move_mount(cg, "", AT_FDCWD, "/sys/fs/cgroup", MOVE_MOUNT_F_EMPTY_PATH) < 0) {
    dprintf(up, "Ecarrying the cgroup mounts over to the new sysfs: %s", strerror(errno));
    _exit(1);
  }
  loopback_up();
  prctl(PR_SET_NAME, "hafen-userns", 0, 0, 0);
  setsid();
  if (chdir("/") < 0) {}
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
  }
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  hr_write_all(up, "r", 1);
  close(up);
  close(down);
  for (;;) pause();
}

static int holder_main(int argc, char **argv) {
  struct id_map uids[MAX_MAP], gids[MAX_MAP];
  int nu = 0, ng = 0;
  for (int i = 2; i < argc; i++) {
    int isu = !strcmp(argv[i], "--uid-map"), isg = !strcmp(argv[i], "--gid-map");
    if ((!isu && !isg) || i + 1 >= argc) hr_die("usage: hafen-run userns-holder --uid-map IN:OUT:COUNT... --gid-map IN:OUT:COUNT...");
    struct id_map *m = isu ? &uids[nu] : &gids[ng];
    if ((isu ? nu : ng) >= MAX_MAP || parse_map(argv[++i], m) < 0) hr_die("bad id map %s (IN:OUT:COUNT, at most %d)", argv[i], MAX_MAP);
    if (isu) nu++;
    else ng++;
  }
  if (!nu || !ng) hr_die("userns-holder needs --uid-map and --gid-map");
  int up[2], down[2];
  if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0) hr_die("pipe: %s", strerror(errno));
  pid_t pid = fork();
  if (pid < 0) hr_die("fork: %s", strerror(errno));
  if (pid == 0) {
    close(up[0]);
    close(down[1]);
    holder_child(up[1], down[0]);
  }
  close(up[1]);
  close(down[0]);
  char buf[512];
  ssize_t n = read(up[0], buf, sizeof buf - 1);
  if (n <= 0 || buf[0] != 'u') {
    buf[n > 0 ? n : 0] = 0;
    hr_die("%s", n > 1 && buf[0] == 'E' ? buf + 1 : "the namespace holder ended before its user namespace existed");
  }
  map_ids(pid, "newuidmap", "uid_map", uids, nu, getuid());
  map_ids(pid, "newgidmap", "gid_map", gids, ng, getgid());
  hr_write_all(down[1], "m", 1);
  n = read(up[0], buf, sizeof buf - 1);
  if (n <= 0 || buf[0] != 'r') {
    buf[n > 0 ? n : 0] = 0;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    hr_die("%s", n > 1 && buf[0] == 'E' ? buf + 1 : "the namespace holder ended while it was set up");
  }
  printf("pid %d\n", (int)pid);
  return 0;
}

static int join_main(int argc, char **argv) {
  if (argc < 5 || strcmp(argv[3], "--")) hr_die("usage: hafen-run userns-join PID -- CMD ARGS...");
  const char *pid = argv[2];
  static const char *const kinds[] = {"user", "mnt", "net"};
  int fds[3];
  for (int i = 0; i < 3; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/ns/%s", pid, kinds[i]);
    fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) hr_die("opening %s: %s", path, strerror(errno));
  }
  char *cwd = getcwd(NULL, 0);
  for (int i = 0; i < 3; i++)
    if (setns(fds[i], 0) < 0) hr_die("joining the %s namespace of the holder %s: %s", kinds[i], pid, strerror(errno));
  if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) hr_die("becoming root in the user namespace: %s", strerror(errno));
  setgroups(0, NULL); /* refused under a single-id map: then there is nothing to drop */
  if (!cwd || chdir(cwd) < 0) {
    if (chdir("/") < 0) {}
  }
  execvp(argv[4], argv + 4);
  hr_die("exec %s: %s", argv[4], strerror(errno));
}

int hr_setgroups_denied(void) {
  char buf[16] = {0};
  int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 && !strncmp(buf, "deny", 4);
}

int hr_userns_main(int argc, char **argv) {
  if (!strcmp(argv[1], "userns-holder")) return holder_main(argc, argv);
  if (!strcmp(argv[1], "userns-join")) return join_main(argc, argv);
  hr_die("unknown mode %s (userns-holder, userns-join)", argv[1]);
}
