/*
 * hafen-run: the container's mounts by mount(2) where the new mount API (fsopen, fsmount,
 * open_tree, move_mount: Linux 5.2; mount_setattr: 5.12) is missing: on older kernels, and under
 * qemu-user (7.2 implements none of it), which runs the arm64 launcher in CI. The targets are the
 * O_PATH fds hafen-run-fs.c resolved inside the root, named as /proc/self/fd/N: the kernel follows
 * that link to the very directory the fd holds, so a symlink put in the way meanwhile changes
 * nothing (runc's way before the new API). Read-only binds are remounted read-only one mount at a
 * time, the submounts too (what mount_setattr's AT_RECURSIVE does), keeping nosuid, nodev, noexec.
 * HAFEN_RUN_WITHOUT=mount-api forces this path on a kernel that has the new API (tests).
 */
#include "hafen-run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include "hafen-run-mountapi.h"
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static int legacy = -1;

int hr_legacy_mounts(void) {
  if (legacy < 0) legacy = hr_without("mount-api");
  return legacy;
}

int hr_legacy_mounts_since(int err) {
  if (err == ENOSYS) legacy = 1;
  return legacy == 1;
}

static void fd_path(int fd, char *buf, size_t len) { snprintf(buf, len, "/proc/self/fd/%d", fd); }

/* The path an fd's file has in our mount namespace (its mount points are found by this name). */
static int path_of(int fd, char *buf, size_t len) {
  char link[64];
  fd_path(fd, link, sizeof link);
  ssize_t n = readlink(link, buf, len - 1);
  if (n < 0) return -1;
  if ((size_t)n >= len - 1) return errno = ENAMETOOLONG, -1;
  buf[n] = 0;
  return 0;
}

static unsigned long ms_flags(unsigned attrs) {
  unsigned long f = 0;
  if (attrs & MOUNT_ATTR_RDONLY) f |= MS_RDONLY;
  if (attrs & MOUNT_ATTR_NOSUID) f |= MS_NOSUID;
  if (attrs & MOUNT_ATTR_NODEV) f |= MS_NODEV;
  if (attrs & MOUNT_ATTR_NOEXEC) f |= MS_NOEXEC;
  if (attrs & MOUNT_ATTR_STRICTATIME) f |= MS_STRICTATIME;
  return f;
}

/* Remounts the mount whose root `fd` is read-only, keeping its other per-mount flags. */
static int remount_ro_fd(int fd) {
  struct statvfs sv;
  if (fstatvfs(fd, &sv) < 0) return -1;
  unsigned long keep = 0;
  if (sv.f_flag & ST_NOSUID) keep |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) keep |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) keep |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) keep |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) keep |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) keep |= MS_RELATIME;
  char p[64];
  fd_path(fd, p, sizeof p);
  return mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL);
}

/* mountinfo's octal escapes (\040 for a space) undone in place. */
static void unescape(char *s) {
  char *w = s;
  for (char *r = s; *r; r++) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
      *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 3;
    } else {
      *w++ = *r;
    }
  }
  *w = 0;
}

/* Every mount below `top` (a path; not top itself) made read-only, as AT_RECURSIVE does. */
static int remount_ro_below(const char *top) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f) return -1;
  size_t tlen = strlen(top);
  char *line = NULL;
  size_t cap = 0;
  int rc = 0;
  while (rc == 0 && getline(&line, &cap, f) > 0) {
    /* id parent major:minor root MOUNTPOINT ... */
    char *save = NULL, *field = strtok_r(line, " ", &save);
    for (int i = 0; i < 4 && field; i++) field = strtok_r(NULL, " ", &save);
    if (!field) continue;
    unescape(field);
    if (strncmp(field, top, tlen) || field[tlen] != '/') continue;
    int fd = open(field, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue; /* covered by a later mount, or gone: nothing to make read-only there */
    rc = remount_ro_fd(fd);
    close(fd);
  }
  free(line);
  fclose(f);
  return rc;
}

int hr_legacy_bind(int srcdir, const char *src, int recursive, int ro, int dstfd) {
  char from[PATH_MAX], to[64], where[PATH_MAX];
  struct stat want, got;
  if (*src) snprintf(from, sizeof from, "%s", src);
  else fd_path(srcdir, from, sizeof from);
  if (srcdir != AT_FDCWD && *src && src[0] != '/') return errno = EINVAL, -1; /* not used that way */
  fd_path(dstfd, to, sizeof to);
  if (path_of(dstfd, where, sizeof where) < 0) return -1;
  if (mount(from, to, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL) < 0) return -1;
  if (ro) {
    /* The new mount, reached by its name; it must be what was bound, else something moved it. */
    if (stat(from, &want) < 0) return -1;
    int top = open(where, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (top < 0) return -1;
    if (fstat(top, &got) < 0 || got.st_dev != want.st_dev || got.st_ino != want.st_ino) {
      close(top);
      return errno = EXDEV, -1;
    }
    int r = remount_ro_fd(top);
    close(top);
    if (r < 0 || (recursive && remount_ro_below(where) < 0)) return -1;
  }
  return fcntl(dstfd, F_DUPFD_CLOEXEC, 0);
}

int hr_legacy_fs_mount(const char *fstype, const char *opts, unsigned attrs, int dstfd) {
  char to[64], where[PATH_MAX];
  struct stat under, got;
  fd_path(dstfd, to, sizeof to);
  if (path_of(dstfd, where, sizeof where) < 0 || fstat(dstfd, &under) < 0) return -1;
  /* Read-only as fsmount makes it: the mount, not the filesystem (so it matches the new API's). */
  if (mount(fstype, to, fstype, ms_flags(attrs & ~MOUNT_ATTR_RDONLY), opts && *opts ? opts : NULL) < 0) return -1;
  /* Its root, reached by name: a new filesystem, so another device than the directory under it. */
  int fd = open(where, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0 && (fstat(fd, &got) < 0 || got.st_dev == under.st_dev)) {
    close(fd);
    return errno = EXDEV, -1;
  }
  if (fd >= 0 && (attrs & MOUNT_ATTR_RDONLY) && remount_ro_fd(fd) < 0) {
    int e = errno;
    close(fd);
    return errno = e, -1;
  }
  return fd;
}

int hr_legacy_self_bind(const char *dir) {
  if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0) return -1;
  return open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* overlay's options for mount(2); a layer with fds[i] >= 0 is named /proc/self/fd/N. -1 (E2BIG) past a page. */
static int overlay_options(char *data, size_t len, const char *const *lowers, int nlowers, const int *fds,
                           const char *upper, const char *work, int volatile_upper) {
  size_t n = 0;
  char name[32];
  /* Paths go escaped (\ before : , and \) as overlayfs's option parser reads them. */
#define PUT(c) do { if (n + 1 >= len) return errno = E2BIG, -1; data[n++] = (c); } while (0)
#define PUTS(s, esc) do { for (const char *c_ = (s); *c_; c_++) { if ((esc) && strchr(":,\\", *c_)) PUT('\\'); PUT(*c_); } } while (0)
  PUTS("lowerdir=", 0);
  for (int i = 0; i < nlowers; i++) {
    if (i) PUT(':');
    if (fds && fds[i] >= 0) {
      fd_path(fds[i], name, sizeof name);
      PUTS(name, 0);
    } else {
      PUTS(lowers[i], 1);
    }
  }
  PUTS(",upperdir=", 0);
  PUTS(upper, 1);
  PUTS(",workdir=", 0);
  PUTS(work, 1);
  if (volatile_upper) PUTS(",volatile", 0);
#undef PUTS
#undef PUT
  data[n] = 0;
  return 0;
}

int hr_legacy_overlay(const char *const *lowers, int nlowers, const char *upper, const char *work, int volatile_upper,
                      const char *target) {
  char data[4096]; /* mount(2) copies one page of options */
  int r = overlay_options(data, sizeof data, lowers, nlowers, NULL, upper, work, volatile_upper);
  if (r < 0 && errno == E2BIG) {
    /* Too many layers or too long paths for a page: the layers by their fds' short names, which
     * overlayfs follows to the same folders (it opens them at mount time; the fds go after). */
    int *fds = calloc((size_t)nlowers, sizeof *fds);
    if (!fds) return -1;
    for (int i = 0; i < nlowers; i++) fds[i] = open(lowers[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
    r = overlay_options(data, sizeof data, lowers, nlowers, fds, upper, work, volatile_upper);
    if (r == 0) r = mount("overlay", target, "overlay", 0, data);
    int e = errno;
    for (int i = 0; i < nlowers; i++)
      if (fds[i] >= 0) close(fds[i]);
    free(fds);
    errno = e;
  } else if (r == 0) {
    r = mount("overlay", target, "overlay", 0, data);
  }
  if (r < 0) return -1;
  return open(target, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int hr_legacy_readonly_root(void) {
  int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  int r = remount_ro_fd(fd);
  close(fd);
  return r;
}
