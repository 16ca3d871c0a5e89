/*
 * hafen-run: per-container process limits. rlimits (--ulimit) are set in the command's process
 * before exec; sysctls (--sysctl) are written by init into /proc/sys once its own network and IPC
 * namespaces exist and before the host's /proc is left behind (the kernel resolves /proc/sys/net
 * and the IPC sysctls by the writer's namespaces); oom_score_adj (--oom-score-adj) is set on init,
 * and the command inherits it. Every failure names what failed and why.
 */
#include "hafen-run.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const struct {
  const char *name;
  int resource;
} rlimit_names[] = {
    {"as", RLIMIT_AS},         {"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},     {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO}, {"rttime", RLIMIT_RTTIME},   {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

/* "-1" is unlimited; otherwise a non-negative decimal. */
static int limit_value(const char *s, unsigned long long *out) {
  if (!strcmp(s, "-1")) {
    *out = RLIM_INFINITY;
    return 0;
  }
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || !*s || *end || *s == '-') return -1;
  *out = v;
  return 0;
}

/* Parses NAME=SOFT:HARD in place; -1 when malformed or the name is unknown. */
int hr_parse_rlimit(char *spec, struct hr_rlimit *out) {
  char *eq = strchr(spec, '=');
  if (!eq) return -1;
  *eq = 0;
  char *colon = strchr(eq + 1, ':');
  if (!colon) return -1;
  *colon = 0;
  out->name = spec;
  out->resource = -1;
  for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
    if (!strcmp(spec, rlimit_names[i].name)) out->resource = rlimit_names[i].resource;
  if (out->resource < 0 || limit_value(eq + 1, &out->soft) < 0 || limit_value(colon + 1, &out->hard) < 0) return -1;
  return out->soft > out->hard ? -1 : 0;
}

/* Parses KEY=VALUE in place; the key must be a plain dotted name (it becomes a path under /proc/sys). */
int hr_parse_sysctl(char *spec, struct hr_sysctl *out) {
  char *eq = strchr(spec, '=');
  if (!eq || eq == spec) return -1;
  *eq = 0;
  for (const char *c = spec; *c; c++)
    if (*c == '/' || (c[0] == '.' && (c[1] == '.' || c[1] == 0)) || spec[0] == '.') return -1;
  out->key = spec;
  out->value = eq + 1;
  return 0;
}

static void limit_text(unsigned long long v, char *buf, size_t len) {
  if (v == RLIM_INFINITY) snprintf(buf, len, "unlimited");
  else snprintf(buf, len, "%llu", v);
}

/* Sets every --ulimit; EPERM (raising past what this host allows) says so with the host's hard limit. */
int hr_apply_rlimits(const struct hr_opts *o, char *err, size_t errlen) {
  for (int i = 0; i < o->nrlimits; i++) {
    const struct hr_rlimit *r = &o->rlimits[i];
    struct rlimit want = {(rlim_t)r->soft, (rlim_t)r->hard};
    if (setrlimit(r->resource, &want) == 0) continue;
    int e = errno;
    char soft[32], hard[32], have[32] = "?";
    struct rlimit cur;
    limit_text(r->soft, soft, sizeof soft);
    limit_text(r->hard, hard, sizeof hard);
    if (getrlimit(r->resource, &cur) == 0) limit_text(cur.rlim_max, have, sizeof have);
    if (e == EPERM)
      hr_errmsg(err, errlen, "ulimit %s=%s:%s: this host does not let the hard limit rise above %s (setrlimit: %s)", r->name, soft,
                hard, have, strerror(e));
    else
      hr_errmsg(err, errlen, "ulimit %s=%s:%s: setrlimit: %s", r->name, soft, hard, strerror(e));
    return -1;
  }
  return 0;
}

/*
 * Writes each --sysctl to /proc/sys/KEY (dots become slashes). Only into namespaces of the
 * container's own: a net.* key needs a new network namespace, any other a new IPC namespace.
 */
int hr_write_sysctls(const struct hr_opts *o, char *err, size_t errlen) {
  for (int i = 0; i < o->nsysctls; i++) {
    int net = !strncmp(o->sysctls[i].key, "net.", 4);
    if (net ? o->net != HR_NET_NEW : o->ipc != HR_NS_NEW) {
      hr_errmsg(err, errlen, "sysctl %s: the container shares its %s namespace, so the sysctl would change another's",
                o->sysctls[i].key, net ? "network" : "IPC");
      return -1;
    }
    char path[512];
    int n = snprintf(path, sizeof path, "/proc/sys/%s", o->sysctls[i].key);
    if (n < 0 || (size_t)n >= sizeof path) {
      hr_errmsg(err, errlen, "sysctl %s: name too long", o->sysctls[i].key);
      return -1;
    }
    for (char *c = path + 10; *c; c++)
      if (*c == '.') *c = '/';
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    const char *v = o->sysctls[i].value;
    if (fd < 0 || write(fd, v, strlen(v)) != (ssize_t)strlen(v)) {
      hr_errmsg(err, errlen, "sysctl %s=%s: %s %s", o->sysctls[i].key, v, fd < 0 ? "open" : "write", strerror(errno));
      if (fd >= 0) close(fd);
      return -1;
    }
    close(fd);
  }
  return 0;
}

/* Sets this process's oom_score_adj (children inherit it). */
int hr_write_oom_score_adj(const struct hr_opts *o, char *err, size_t errlen) {
  if (!o->has_oom_score_adj) return 0;
  char buf[16];
  int n = snprintf(buf, sizeof buf, "%d", o->oom_score_adj);
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, buf, (size_t)n) != n) {
    if (errno == EACCES)
      hr_errmsg(err, errlen, "oom_score_adj %d: lowering it needs CAP_SYS_RESOURCE, which this host does not give (%s)",
                o->oom_score_adj, strerror(errno));
    else
      hr_errmsg(err, errlen, "oom_score_adj %d: %s", o->oom_score_adj, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  close(fd);
  return 0;
}

/* Joins the namespace at `path` (of kind `type`, CLONE_NEW*). */
int hr_join_ns(const char *path, int type, const char *what, char *err, size_t errlen) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, type) < 0) {
    hr_errmsg(err, errlen, "join %s namespace %s: %s", what, path, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  close(fd);
  return 0;
}
