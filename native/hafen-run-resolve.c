/*
 * hafen-run: resolving a path inside the container's root. openat2(RESOLVE_IN_ROOT) does it in the
 * kernel; where openat2 does not exist (kernels before 5.6, e.g. Ubuntu 20.04's 5.4, and qemu-user
 * up to 8.x, which runs the arm64 launcher in CI) the same walk is done here, one component at a
 * time with openat(O_PATH|O_NOFOLLOW), symlinks read and followed by hand:
 *   - an absolute symlink target starts again at the root, never at the host's /;
 *   - `..` is a step back on our own stack of directory fds, clamped at the root (never an openat
 *     of "..", so a directory moved meanwhile cannot lead out);
 *   - more than 40 symlinks is ELOOP (the kernel's MAXSYMLINKS), as is any symlink of procfs that
 *     is not a plain relative name (/proc/PID/fd/N, exe, cwd, root, ns/NAME: the "magic links" that
 *     RESOLVE_NO_MAGICLINKS refuses; /proc/self, /proc/mounts are relative and followed);
 *   - a trailing symlink is followed, a missing component is ENOENT, a non-directory in the middle
 *     ENOTDIR: the same answers as openat2 with the flags in_root gives it.
 * HAFEN_RUN_WITHOUT=openat2 (the launcher's own environment, never the container's) forces this
 * walk on a kernel that has openat2, so that tests compare both on the same inputs; it cannot
 * weaken anything, for the walk confines exactly as openat2 does.
 */
#include "hafen-run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HR_MAX_SYMLINKS 40
#define HR_MAX_DEPTH 256 /* directories deep; PATH_MAX allows at most 2048 */
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

int hr_without(const char *feature) {
  const char *list = getenv("HAFEN_RUN_WITHOUT");
  size_t n = strlen(feature);
  for (const char *p = list; p && *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && !strncmp(p, feature, n)) return 1;
    p = end ? end + 1 : NULL;
  }
  return 0;
}

/* A procfs symlink that is not a plain relative name: a magic link (see the top). */
static int magic_link(int fd, const char *target) {
  struct statfs sf;
  if (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC) return 0;
  return target[0] == '/' || strchr(target, ':') != NULL;
}

/* The walk by hand: O_PATH fd of `path` inside `rootfd`, or -1 with errno. */
static int walk_in_root(int rootfd, const char *path) {
  int stack[HR_MAX_DEPTH + 1];
  int depth = 0, links = 0, fd = -1, err = 0;
  char todo[PATH_MAX], link[PATH_MAX];
  if (snprintf(todo, sizeof todo, "%s", path) >= (int)sizeof todo) return errno = ENAMETOOLONG, -1;
  stack[0] = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (stack[0] < 0) return -1;
  char *p = todo;
  for (;;) {
    while (*p == '/') p++;
    if (!*p) break;
    char *end = strchrnul(p, '/');
    size_t clen = (size_t)(end - p);
    char comp[NAME_MAX + 1];
    if (clen > NAME_MAX) {
      err = ENAMETOOLONG;
      break;
    }
    memcpy(comp, p, clen);
    comp[clen] = 0;
    p = end;
    if (!strcmp(comp, ".")) continue;
    if (!strcmp(comp, "..")) {
      if (depth > 0) close(stack[depth--]);
      continue;
    }
    fd = openat(stack[depth], comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      err = errno;
      break;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
      err = errno;
      break;
    }
    if (S_ISLNK(st.st_mode)) {
      ssize_t n = readlinkat(fd, "", link, sizeof link - 1);
      if (n < 0) {
        err = errno;
        break;
      }
      link[n] = 0;
      if (++links > HR_MAX_SYMLINKS || magic_link(fd, link)) {
        err = ELOOP;
        break;
      }
      close(fd);
      fd = -1;
      /* What is left becomes TARGET/REST; an absolute target starts again at the root. */
      char rest[PATH_MAX];
      if (snprintf(rest, sizeof rest, "%s/%s", link, p) >= (int)sizeof rest) {
        err = ENAMETOOLONG;
        break;
      }
      memcpy(todo, rest, strlen(rest) + 1);
      p = todo;
      if (link[0] == '/')
        while (depth > 0) close(stack[depth--]);
      continue;
    }
    if (*p == '/' && !S_ISDIR(st.st_mode)) {
      /* more follows (or a trailing slash): only a directory has components */
      err = ENOTDIR;
      break;
    }
    if (depth == HR_MAX_DEPTH) {
      err = ENAMETOOLONG;
      break;
    }
    stack[++depth] = fd;
    fd = -1;
  }
  if (fd >= 0) close(fd);
  if (err) {
    while (depth >= 0) close(stack[depth--]);
    return errno = err, -1;
  }
  int out = stack[depth];
  while (depth > 0) close(stack[--depth]); /* the directories above it, the root's copy included */
  return out;
}

int hr_resolve_in_root(int rootfd, const char *path) {
  static int no_openat2 = -1;
  if (no_openat2 < 0) no_openat2 = hr_without("openat2");
  while (*path == '/') path++;
  if (!no_openat2) {
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS) return fd;
    no_openat2 = 1;
  }
  return walk_in_root(rootfd, path);
}
