/*
 * hafen-run: the environment from a file descriptor (--env-fd N). The command line of every
 * process is readable by every user of the host (/proc/PID/cmdline, ps), so environment values,
 * which hold passwords and tokens, never go there: the caller writes `K=V\0K=V\0...` to a pipe
 * and closes it; this reads it to EOF before anything else happens, then closes the fd so that
 * nothing of it reaches the container. Messages name an entry by its number, never its content.
 */
#include "hafen-run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* More than the kernel lets execve take in all (6 MiB at most), so a runaway writer is stopped. */
#define HR_ENV_FD_MAX (16u << 20)

int hr_read_env_fd(int fd, struct hr_opts *o, char *err, size_t errlen) {
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  if (!buf) return hr_errmsg(err, errlen, "--env-fd: out of memory"), -1;
  for (;;) {
    if (len == cap) {
      if (cap >= HR_ENV_FD_MAX) {
        free(buf);
        return hr_errmsg(err, errlen, "--env-fd: more than %u bytes", HR_ENV_FD_MAX), -1;
      }
      cap *= 2;
      char *grown = realloc(buf, cap);
      if (!grown) {
        free(buf);
        return hr_errmsg(err, errlen, "--env-fd: out of memory"), -1;
      }
      buf = grown;
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      free(buf);
      return hr_errmsg(err, errlen, "--env-fd %d: %s", fd, strerror(e)), -1;
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  if (len > 0 && buf[len - 1] != '\0') {
    free(buf);
    return hr_errmsg(err, errlen, "--env-fd: the last entry does not end with a NUL byte"), -1;
  }
  int count = 0;
  for (size_t i = 0; i < len; i++) count += buf[i] == '\0';
  char **env = calloc((size_t)(o->nenv + count + 1), sizeof *env);
  if (!env) {
    free(buf);
    return hr_errmsg(err, errlen, "--env-fd: out of memory"), -1;
  }
  memcpy(env, o->env, (size_t)o->nenv * sizeof *env);
  int k = 0;
  for (char *p = buf; p < buf + len; p += strlen(p) + 1, k++) {
    char *eq = strchr(p, '=');
    if (!eq || eq == p) {
      free(env);
      free(buf);
      return hr_errmsg(err, errlen, "--env-fd: entry %d is not NAME=VALUE", k + 1), -1;
    }
    env[o->nenv + k] = p;
  }
  /* The old array (sized for --env options) is left as is: parse_args allocated it once. */
  o->env = env;
  o->nenv += count;
  return 0;
}
