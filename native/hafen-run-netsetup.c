/*
 * hafen-run: wiring a container's network namespace (--net-setup LINE...). The caller would spawn
 * `nsenter --net=/proc/PID/ns/net ip -batch -` itself, but a spawn from a large process (Node's
 * supervisor) blocks it for milliseconds per container; a fork of this small one does not. The
 * child enters the namespace of the container's init, runs `ip -batch -` with the lines on its
 * stdin; its stderr comes back as the error. The lines name nothing secret (interfaces, addresses).
 */
#include "hafen-run.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int hr_net_setup(const struct hr_opts *o, pid_t pid, char *err, size_t errlen) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
  int ns = open(path, O_RDONLY | O_CLOEXEC);
  if (ns < 0) return hr_errmsg(err, errlen, "open %s: %s", path, strerror(errno)), -1;
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) < 0) return close(ns), hr_errmsg(err, errlen, "pipe: %s", strerror(errno)), -1;
  if (pipe2(out, O_CLOEXEC) < 0) {
    close(ns), close(in[0]), close(in[1]);
    return hr_errmsg(err, errlen, "pipe: %s", strerror(errno)), -1;
  }
  pid_t child = fork();
  if (child < 0) {
    close(ns), close(in[0]), close(in[1]), close(out[0]), close(out[1]);
    return hr_errmsg(err, errlen, "fork: %s", strerror(errno)), -1;
  }
  if (child == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL); /* the outer process blocks its signals for signalfd */
    if (setns(ns, CLONE_NEWNET) < 0) {
      dprintf(out[1], "setns %s: %s", path, strerror(errno));
      _exit(125);
    }
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    char *argv[] = {"ip", "-batch", "-", NULL};
    execvp("ip", argv);
    dprintf(STDERR_FILENO, "exec ip: %s", strerror(errno));
    _exit(127);
  }
  close(ns), close(in[0]), close(out[1]);
  int ok = 0;
  for (int i = 0; i < o->nnetsetup && ok == 0; i++) {
    if (hr_write_all(in[1], o->netsetup[i], strlen(o->netsetup[i])) < 0 || hr_write_all(in[1], "\n", 1) < 0) ok = -1;
  }
  close(in[1]);
  char said[768];
  size_t len = 0;
  for (;;) {
    ssize_t n = read(out[0], said + len, sizeof said - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += (size_t)n;
    if (len == sizeof said - 1) break;
  }
  said[len] = '\0';
  while (len > 0 && (said[len - 1] == '\n' || said[len - 1] == ' ')) said[--len] = '\0';
  close(out[0]);
  int st;
  while (waitpid(child, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && ok == 0) return 0;
  return hr_errmsg(err, errlen, "ip failed: %s", len ? said : "no reason given"), -1;
}
