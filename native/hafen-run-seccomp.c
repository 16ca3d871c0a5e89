/*
 * hafen-run's seccomp filter: the classic BPF program hafen compiled from the container's profile
 * (src/seccomp/compile.ts), read from a file descriptor (--seccomp-fd N: raw struct sock_filter
 * bytes up to EOF) while the options are parsed, and installed on the command just before exec.
 */
#include "hafen-run.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HR_BPF_MAXINSNS 4096

int hr_read_seccomp_fd(int fd, struct hr_opts *o, char *err, size_t errlen) {
  size_t cap = HR_BPF_MAXINSNS * sizeof(struct sock_filter);
  unsigned char *buf = malloc(cap + 1);
  size_t n = 0;
  if (!buf) return hr_errmsg(err, errlen, "seccomp filter: out of memory"), -1;
  for (;;) {
    ssize_t r = read(fd, buf + n, cap + 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      hr_errmsg(err, errlen, "seccomp filter: read fd %d: %s", fd, strerror(errno));
      free(buf);
      return -1;
    }
    if (r == 0) break;
    n += (size_t)r;
    if (n > cap) break;
  }
  close(fd);
  if (n == 0 || n > cap || n % sizeof(struct sock_filter)) {
    hr_errmsg(err, errlen, "seccomp filter: %zu bytes on fd %d is not a program of 1 to %d instructions", n, fd, HR_BPF_MAXINSNS);
    free(buf);
    return -1;
  }
  o->seccomp = buf;
  o->seccomp_len = n;
  return 0;
}

int hr_install_seccomp(const struct hr_opts *o, char *err, size_t errlen) {
  if (!o->seccomp) return 0;
  struct sock_fprog prog = {
      .len = (unsigned short)(o->seccomp_len / sizeof(struct sock_filter)),
      .filter = (struct sock_filter *)o->seccomp,
  };
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
    return hr_errmsg(err, errlen, "install seccomp filter: %s", strerror(errno)), -1;
  return 0;
}

int hr_confine_init(const struct hr_opts *o, char *err, size_t errlen) {
  if (o->privileged) return 0;
  for (int c = 0; c < 64; c++)
    if (c != CAP_KILL && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      return hr_errmsg(err, errlen, "init: drop capability %d: %s", c, strerror(errno)), -1;
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {{1U << CAP_KILL, 1U << CAP_KILL, 0}, {0, 0, 0}};
  if (syscall(SYS_capset, &hdr, data) < 0) return hr_errmsg(err, errlen, "init: capset: %s", strerror(errno)), -1;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return hr_errmsg(err, errlen, "init: no_new_privs: %s", strerror(errno)), -1;
  return hr_install_seccomp(o, err, errlen);
}
