/*
 * hafen-run: the container's filesystem, set up by its init inside the new mount namespace:
 * the rootfs (overlay or plain directory), host read-only dirs, /proc, /dev, /sys, binds, tmpfs,
 * masked and read-only paths, then pivot_root. Every target inside the rootfs is resolved with
 * openat2(RESOLVE_IN_ROOT) component by component, or the same walk by hand where the kernel has
 * no openat2 (hafen-run-resolve.c) (absolute symlinks are rooted at the rootfs, `..` stops at it) and mounted through the resulting fd with the new mount API, so a symlink in
 * the rootfs can never redirect a mount to the host (CVE-2021-30465).
 */
#include "hafen-run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include "hafen-run-mountapi.h"
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FAIL(...)                                                    \
  do {                                                               \
    int e_ = errno;                                                  \
    char m_[400];                                                    \
    snprintf(m_, sizeof m_, __VA_ARGS__);                            \
    hr_errmsg(err, errlen, "%s: %s", m_, strerror(e_));              \
    errno = e_;                                                      \
    return -1;                                                       \
  } while (0)

/* Paths Docker masks (bind /dev/null on files, an empty read-only tmpfs on directories). */
static const char *const masked_paths[] = {
    "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
    "/sys/firmware", "/sys/devices/virtual/powercap", NULL,
};

/* Paths Docker makes read-only. */
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

/* Host device nodes bound into the container's /dev. */
static const char *const devices[] = {"null", "zero", "full", "random", "urandom", "tty", NULL};

/* Folders of the host's /dev a privileged container does not get: it has its own pts, shm, mqueue, fd. */
static const char *const own_dev_dirs[] = {"pts", "shm", "mqueue", "fd", ".lxc", ".lxd-mounts", ".udev", NULL};

/* openat2(RESOLVE_IN_ROOT), or the same walk by hand where the kernel lacks it (hafen-run-resolve.c). */
static int in_root(int rootfd, const char *path) { return hr_resolve_in_root(rootfd, path); }

/*
 * An O_PATH fd for `path` inside the root `rootfd`, creating missing components (directories;
 * the last one a directory or an empty file per `create`). A dangling symlink met on the way is
 * followed inside the root and its target created, as runc's securejoin does.
 */
int hr_open_in_root(int rootfd, const char *path, int create, mode_t mode, char *err, size_t errlen) {
  char cur[PATH_MAX];
  if (snprintf(cur, sizeof cur, "%s", path) >= (int)sizeof cur) {
    errno = ENAMETOOLONG;
    FAIL("%s", path);
  }
  for (int hops = 0; hops < 40; hops++) {
    int fd = in_root(rootfd, cur);
    if (fd >= 0) return fd;
    if (errno != ENOENT || create == HR_CREATE_NONE) FAIL("resolve %s in the rootfs", path);

    /* Walk from the root, creating the first missing component, or re-aim at a symlink's target. */
    char prefix[PATH_MAX] = "";
    size_t plen = 0;
    int parent = in_root(rootfd, "");
    if (parent < 0) FAIL("open the rootfs");
    const char *p = cur;
    int restart = 0;
    while (*p && !restart) {
      while (*p == '/') p++;
      if (!*p) break;
      const char *end = strchr(p, '/');
      size_t clen = end ? (size_t)(end - p) : strlen(p);
      char comp[NAME_MAX + 1];
      if (clen > NAME_MAX) {
        close(parent);
        errno = ENAMETOOLONG;
        FAIL("%s", path);
      }
      memcpy(comp, p, clen);
      comp[clen] = 0;
      const char *rest = p + clen;
      while (*rest == '/') rest++;
      int last = *rest == 0;
      snprintf(prefix + plen, sizeof prefix - plen, "/%s", comp);
      size_t before = plen;
      plen = strlen(prefix);

      fd = in_root(rootfd, prefix);
      if (fd < 0 && errno == ENOENT) {
        int r;
        if (!last || create == HR_CREATE_DIR) {
          r = mkdirat(parent, comp, last ? mode : 0755);
        } else {
          r = openat(parent, comp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
          if (r >= 0) r = close(r);
        }
        if (r < 0 && errno == EEXIST) {
          /* A dangling symlink: continue with its target, resolved inside the root. */
          char link[PATH_MAX];
          ssize_t n = readlinkat(parent, comp, link, sizeof link - 1);
          if (n < 0) {
            close(parent);
            FAIL("create %s in the rootfs", prefix);
          }
          link[n] = 0;
          char next[PATH_MAX];
          prefix[before] = 0;
          int w = link[0] == '/' ? snprintf(next, sizeof next, "%s/%s", link, rest)
                                 : snprintf(next, sizeof next, "%s/%s/%s", prefix, link, rest);
          if (w >= (int)sizeof next) {
            close(parent);
            errno = ENAMETOOLONG;
            FAIL("%s", path);
          }
          memcpy(cur, next, (size_t)w + 1);
          restart = 1;
          break;
        }
        if (r < 0) {
          close(parent);
          FAIL("create %s in the rootfs", prefix);
        }
        fd = in_root(rootfd, prefix);
      }
      if (fd < 0) {
        close(parent);
        FAIL("resolve %s in the rootfs", prefix);
      }
      close(parent);
      parent = fd;
      p = rest;
    }
    if (!restart) return parent;
    close(parent);
  }
  errno = ELOOP;
  FAIL("resolve %s in the rootfs", path);
}

/* mkdir -p on the host (the overlay target). */
int hr_mkdir_all(const char *path, char *err, size_t errlen) {
  char buf[PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
    errno = ENAMETOOLONG;
    FAIL("%s", path);
  }
  for (char *s = buf + 1;; s++) {
    if (*s == '/' || *s == 0) {
      char c = *s;
      *s = 0;
      if (mkdir(buf, 0755) < 0 && errno != EEXIST) FAIL("mkdir %s", buf);
      *s = c;
      if (!c) break;
    }
  }
  return 0;
}

/* The messages a filesystem context left for us (overlayfs explains its refusals there). */
static void fs_context_log(int fsfd, char *out, size_t outlen) {
  out[0] = 0;
  char line[512];
  ssize_t n;
  size_t used = 0;
  while ((n = read(fsfd, line, sizeof line - 1)) > 0) {
    line[n] = 0;
    used += (size_t)snprintf(out + used, outlen - used, "%s%s", used ? "; " : " (", line);
    if (used >= outlen) break;
  }
  if (used && used < outlen - 1) strcat(out, ")");
}

/*
 * Creates a filesystem of `fstype` with the comma-separated `opts` (k=v or flags) and mounts it on
 * `dstfd` with the mount `attrs`. Returns the new mount's root fd (O_PATH) or -1.
 */
static int fs_mount(const char *fstype, const char *opts, unsigned attrs, int dstfd, const char *what,
                    char *err, size_t errlen) {
  int fsfd = hr_legacy_mounts() ? -1 : fsopen(fstype, FSOPEN_CLOEXEC);
  if (fsfd < 0 && (hr_legacy_mounts() || hr_legacy_mounts_since(errno))) {
    int m = hr_legacy_fs_mount(fstype, opts, attrs, dstfd);
    if (m < 0) FAIL("mount %s on %s", fstype, what);
    return m;
  }
  if (fsfd < 0) FAIL("mount %s on %s", fstype, what);
  fsconfig(fsfd, FSCONFIG_SET_STRING, "source", fstype, 0);
  char buf[512];
  snprintf(buf, sizeof buf, "%s", opts ? opts : "");
  for (char *save = NULL, *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(o, '=');
    int r;
    if (eq) {
      *eq = 0;
      r = fsconfig(fsfd, FSCONFIG_SET_STRING, o, eq + 1, 0);
    } else {
      r = fsconfig(fsfd, FSCONFIG_SET_FLAG, o, NULL, 0);
    }
    if (r < 0) {
      int e = errno;
      close(fsfd);
      errno = e;
      FAIL("mount %s on %s: option %s", fstype, what, o);
    }
  }
  int mfd = -1;
  char log[300];
  if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0) mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
  if (mfd < 0) {
    int e = errno;
    fs_context_log(fsfd, log, sizeof log);
    close(fsfd);
    errno = e;
    FAIL("mount %s on %s%s", fstype, what, log);
  }
  close(fsfd);
  if (move_mount(mfd, "", dstfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    int e = errno;
    close(mfd);
    errno = e;
    FAIL("mount %s on %s", fstype, what);
  }
  return mfd;
}

/* Binds `src` (relative to `srcdir`, or srcdir itself when "") onto `dstfd`, read-only if asked. */
static int bind_at(int srcdir, const char *src, int recursive, int ro, int dstfd, const char *what, char *err,
                   size_t errlen) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0) | (*src ? 0 : AT_EMPTY_PATH);
  int tree = hr_legacy_mounts() ? -1 : open_tree(srcdir, src, flags);
  if (ro && tree >= 0) {
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    if (mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0) {
      int e = errno;
      close(tree);
      errno = e;
      if (!hr_legacy_mounts_since(e)) FAIL("make %s read-only", what);
      tree = -1; /* open_tree without mount_setattr (Linux 5.2 to 5.11): mount(2) from here on */
    }
  }
  if (tree < 0 && (hr_legacy_mounts() || hr_legacy_mounts_since(errno))) {
    int m = hr_legacy_bind(srcdir, src, recursive, ro, dstfd);
    if (m < 0) FAIL("bind %s on %s%s", *src ? src : "itself", what, ro ? " read-only" : "");
    return m;
  }
  if (tree < 0) FAIL("bind %s on %s", *src ? src : "itself", what);
  if (move_mount(tree, "", dstfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    int e = errno;
    close(tree);
    errno = e;
    FAIL("bind %s on %s", *src ? src : "itself", what);
  }
  return tree;
}

/* The kernel leaves this marker to refuse a remount after a crash; the caller said the upper is throwaway. */
static void drop_volatile_marker(const char *work) {
  char marker[4096];
  snprintf(marker, sizeof marker, "%s/work/incompat/volatile/dirty", work);
  unlink(marker);
  *strrchr(marker, '/') = 0;
  rmdir(marker);
}

/* overlay with lowerdir+ (one layer per call, no length limit); the joined form on older kernels. */
static int mount_overlay(const struct hr_opts *o, char *err, size_t errlen) {
  if (hr_mkdir_all(o->target, err, errlen) < 0) return -1;
  int fsfd = hr_legacy_mounts() ? -1 : fsopen("overlay", FSOPEN_CLOEXEC);
  if (fsfd < 0 && (hr_legacy_mounts() || hr_legacy_mounts_since(errno))) {
    if (o->volatile_upper) drop_volatile_marker(o->work);
    int m = hr_legacy_overlay(o->lowers, o->nlowers, o->upper, o->work, o->volatile_upper, o->target);
    if (m < 0) FAIL("mount overlay on %s", o->target);
    return m;
  }
  if (fsfd < 0) FAIL("mount overlay on %s", o->target);
  fsconfig(fsfd, FSCONFIG_SET_STRING, "source", "overlay", 0);
  int ok = 1;
  /* Names: paths past fsconfig's 255 bytes go as /proc/self/fd/N (hafen-run-paths.c), closed at the end. */
  int pathfds[2] = {-1, -1};
  char short_path[2][64], short_lower[64];
  for (int i = 0; i < o->nlowers && ok; i++) {
    int lfd;
    const char *lower = hr_fsconfig_path(o->lowers[i], short_lower, sizeof short_lower, &lfd);
    if (fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", lower, 0) < 0) ok = 0;
    if (lfd >= 0) close(lfd); /* lowerdir+ opens the layer at once */
  }
  if (!ok) {
    char joined[8192];
    size_t n = 0;
    for (int i = 0; i < o->nlowers; i++) {
      if (i && n < sizeof joined) joined[n++] = ':';
      for (const char *c = o->lowers[i]; *c && n + 2 < sizeof joined; c++) {
        if (*c == ':' || *c == ',' || *c == '\\') joined[n++] = '\\';
        joined[n++] = *c;
      }
    }
    joined[n < sizeof joined ? n : sizeof joined - 1] = 0;
    if (fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir", joined, 0) < 0) {
      char log[300];
      int e = errno;
      fs_context_log(fsfd, log, sizeof log);
      close(fsfd);
      errno = e;
      FAIL("mount overlay on %s: lowerdir%s", o->target, log);
    }
  }
  if (o->volatile_upper) {
    drop_volatile_marker(o->work);
    if (fsconfig(fsfd, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0) {
      int e = errno;
      close(fsfd);
      errno = e;
      FAIL("mount overlay on %s: volatile", o->target);
    }
  }
  int mfd = -1;
  const char *upper = hr_fsconfig_path(o->upper, short_path[0], sizeof short_path[0], &pathfds[0]);
  const char *work = hr_fsconfig_path(o->work, short_path[1], sizeof short_path[1], &pathfds[1]);
  if (fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", upper, 0) == 0 &&
      fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", work, 0) == 0 &&
      fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
    mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
  for (int i = 0; i < 2; i++)
    if (pathfds[i] >= 0) close(pathfds[i]);
  if (mfd < 0) {
    char log[300];
    int e = errno;
    fs_context_log(fsfd, log, sizeof log);
    close(fsfd);
    errno = e;
    FAIL("mount overlay on %s%s", o->target, log);
  }
  close(fsfd);
  if (move_mount(mfd, "", AT_FDCWD, o->target, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
    int e = errno;
    close(mfd);
    errno = e;
    FAIL("mount overlay on %s", o->target);
  }
  return mfd;
}

/* A plain directory rootfs, bound onto itself so that it is a mount point for pivot_root. */
static int mount_plain_rootfs(const char *dir, char *err, size_t errlen) {
  int tree = hr_legacy_mounts() ? -1 : open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree < 0 && (hr_legacy_mounts() || hr_legacy_mounts_since(errno))) {
    tree = hr_legacy_self_bind(dir);
    if (tree < 0) FAIL("bind rootfs %s", dir);
    return tree;
  }
  if (tree < 0) FAIL("open rootfs %s", dir);
  if (move_mount(tree, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
    int e = errno;
    close(tree);
    errno = e;
    FAIL("bind rootfs %s", dir);
  }
  return tree;
}

/* A host directory at the same path, read-only; a host symlink is recreated as a symlink. */
static int host_ro(int rootfd, const char *dir, char *err, size_t errlen) {
  struct stat st;
  if (lstat(dir, &st) < 0) FAIL("host directory %s", dir);
  if (S_ISLNK(st.st_mode)) {
    char link[PATH_MAX], parent[PATH_MAX];
    ssize_t n = readlink(dir, link, sizeof link - 1);
    if (n < 0) FAIL("readlink %s", dir);
    link[n] = 0;
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    const char *base = slash ? slash + 1 : parent;
    if (slash) *slash = 0;
    int pfd = hr_open_in_root(rootfd, parent, HR_CREATE_DIR, 0755, err, errlen);
    if (pfd < 0) return -1;
    int r = symlinkat(link, pfd, base);
    if (r < 0 && errno == EEXIST) {
      struct stat in;
      if (fstatat(pfd, base, &in, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(in.st_mode)) r = 0;
      else {
        /* The image has a real directory there: bind what the host link points to. */
        close(pfd);
        char real[PATH_MAX];
        if (!realpath(dir, real)) FAIL("resolve host %s", dir);
        int fd = hr_open_in_root(rootfd, dir, HR_CREATE_DIR, 0755, err, errlen);
        if (fd < 0) return -1;
        int t = bind_at(AT_FDCWD, real, 1, 1, fd, dir, err, errlen);
        close(fd);
        if (t < 0) return -1;
        close(t);
        return 0;
      }
    }
    close(pfd);
    if (r < 0) FAIL("symlink %s -> %s in the rootfs", dir, link);
    return 0;
  }
  int fd = hr_open_in_root(rootfd, dir, S_ISDIR(st.st_mode) ? HR_CREATE_DIR : HR_CREATE_FILE, 0755, err, errlen);
  if (fd < 0) return -1;
  int t = bind_at(AT_FDCWD, dir, 1, 1, fd, dir, err, errlen);
  close(fd);
  if (t < 0) return -1;
  close(t);
  return 0;
}

static int listed(const char *const *list, const char *name) {
  for (; *list; list++)
    if (!strcmp(*list, name)) return 1;
  return 0;
}

/*
 * Privileged: makes every device node (char, block) below the host folder `host` in the container's
 * folder `dst`, with the same numbers, mode and owner, as Docker does; subfolders are made alike.
 * Names the container has already (null, tty, ptmx, …) are kept. Nodes that vanish meanwhile are skipped.
 */
static int copy_host_devices(const char *host, int dst, int depth, char *err, size_t errlen) {
  DIR *d = opendir(host);
  if (!d) FAIL("read %s", host);
  int rc = 0;
  struct dirent *e;
  while (rc == 0 && (e = readdir(d))) {
    const char *name = e->d_name;
    if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", host, name) >= (int)sizeof path) continue;
    struct stat st;
    if (lstat(path, &st) < 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if ((depth == 0 && listed(own_dev_dirs, name)) || depth >= 8) continue;
      if (mkdirat(dst, name, st.st_mode & 07777) < 0 && errno != EEXIST) {
        hr_errmsg(err, errlen, "make /dev/%s: %s", path + 5, strerror(errno));
        rc = -1;
        break;
      }
      int sub = openat(dst, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) continue; /* a symlink or file of ours is there already: keep it */
      rc = copy_host_devices(path, sub, depth + 1, err, errlen);
      close(sub);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0) {
        if (errno == EEXIST) continue;
        hr_errmsg(err, errlen, "make device /dev/%s: %s", path + 5, strerror(errno));
        rc = -1;
        break;
      }
      /* mknod applies the umask; the owner and mode are the host's. */
      if (fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 || fchmodat(dst, name, st.st_mode & 07777, 0) < 0) {
        hr_errmsg(err, errlen, "set owner and mode of /dev/%s: %s", path + 5, strerror(errno));
        rc = -1;
      }
    }
  }
  closedir(d);
  return rc;
}

/* A minimal /dev: tmpfs, host device nodes bound in, devpts, shm, mqueue and the usual links; privileged: every host device. */
static int setup_dev(int rootfd, int privileged, long long shm_size, char *err, size_t errlen) {
  int fd = hr_open_in_root(rootfd, "/dev", HR_CREATE_DIR, 0755, err, errlen);
  if (fd < 0) return -1;
  int dev = fs_mount("tmpfs", "mode=755,size=65536k", MOUNT_ATTR_NOSUID | MOUNT_ATTR_STRICTATIME, fd, "/dev", err,
                     errlen);
  close(fd);
  if (dev < 0) return -1;
  int rc = -1;
  for (const char *const *d = devices; *d; d++) {
    char host[64];
    snprintf(host, sizeof host, "/dev/%s", *d);
    if (access(host, F_OK) < 0) continue;
    int f = openat(dev, *d, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
    if (f < 0) goto fail_errno;
    close(f);
    int t = openat(dev, *d, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (t < 0) goto fail_errno;
    int m = bind_at(AT_FDCWD, host, 0, 0, t, host, err, errlen);
    close(t);
    if (m < 0) goto out;
    close(m);
  }
  char shm_opts[64] = "mode=1777,size=65536k"; /* 64 MiB, as in Docker */
  if (shm_size > 0) snprintf(shm_opts, sizeof shm_opts, "mode=1777,size=%lld", shm_size);
  const struct {
    const char *name, *fstype, *opts;
    unsigned attrs;
    int optional;
  } subs[] = {
      {"pts", "devpts", "newinstance,ptmxmode=0666,mode=0620,gid=5", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0},
      {"shm", "tmpfs", shm_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0},
      {"mqueue", "mqueue", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 1},
  };
  for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
    if (mkdirat(dev, subs[i].name, 0755) < 0) goto fail_errno;
    int t = openat(dev, subs[i].name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (t < 0) goto fail_errno;
    char what[32];
    snprintf(what, sizeof what, "/dev/%s", subs[i].name);
    int m = fs_mount(subs[i].fstype, subs[i].opts, subs[i].attrs, t, what, err, errlen);
    /* A user namespace mapping only its owner's id (rootless without subordinate ids) has no gid 5
     * (tty): devpts refuses the option, so the ptys belong to the opener's group, as podman does. */
    if (m < 0 && !strcmp(subs[i].fstype, "devpts"))
      m = fs_mount("devpts", "newinstance,ptmxmode=0666,mode=0620", subs[i].attrs, t, what, err, errlen);
    close(t);
    if (m < 0 && !subs[i].optional) goto out;
    if (m >= 0) close(m);
  }
  static const char *const links[][2] = {
      {"pts/ptmx", "ptmx"}, {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
      {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
  };
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
    if (symlinkat(links[i][0], dev, links[i][1]) < 0) goto fail_errno;
  }
  if (privileged && copy_host_devices("/dev", dev, 0, err, errlen) < 0) goto out;
  rc = 0;
  goto out;
fail_errno:
  hr_errmsg(err, errlen, "set up /dev: %s", strerror(errno));
out:
  close(dev);
  return rc;
}

/* Empties the masked paths and makes the read-only ones read-only, where they exist. */
static int mask_paths(int rootfd, char *err, size_t errlen) {
  for (const char *const *p = masked_paths; *p; p++) {
    int fd = hr_open_in_root(rootfd, *p, HR_CREATE_NONE, 0, err, errlen);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      return -1;
    }
    struct stat st;
    int m = fstat(fd, &st) < 0 ? -1
            : S_ISDIR(st.st_mode)
                ? fs_mount("tmpfs", "size=0,mode=755", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                                             MOUNT_ATTR_NOEXEC, fd, *p, err, errlen)
                : bind_at(AT_FDCWD, "/dev/null", 0, 0, fd, *p, err, errlen);
    close(fd);
    if (m < 0) return -1;
    close(m);
  }
  for (const char *const *p = readonly_paths; *p; p++) {
    int fd = hr_open_in_root(rootfd, *p, HR_CREATE_NONE, 0, err, errlen);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      return -1;
    }
    int m = bind_at(fd, "", 1, 1, fd, *p, err, errlen);
    close(fd);
    if (m < 0) return -1;
    close(m);
  }
  return 0;
}

/* A bind mount from the host into the rootfs; the target is created with the source's kind. */
static int bind_volume(int rootfd, const struct hr_bind *b, char *err, size_t errlen) {
  struct stat src, dst;
  if (stat(b->src, &src) < 0) FAIL("bind source %s", b->src);
  int dir = S_ISDIR(src.st_mode);
  int fd = hr_open_in_root(rootfd, b->dst, dir ? HR_CREATE_DIR : HR_CREATE_FILE, dir ? 0755 : 0644, err, errlen);
  if (fd < 0) return -1;
  if (fstat(fd, &dst) < 0 || !S_ISDIR(dst.st_mode) != !dir) {
    close(fd);
    errno = dir ? ENOTDIR : EISDIR;
    FAIL("bind %s on %s", b->src, b->dst);
  }
  int m = bind_at(AT_FDCWD, b->src, 1, b->ro, fd, b->dst, err, errlen);
  close(fd);
  if (m < 0) return -1;
  close(m);
  return 0;
}

/* A tmpfs: nosuid,nodev, mode 1777 unless told; `ro`, `noexec` in the options are mount flags. */
static int mount_tmpfs(int rootfd, const struct hr_tmpfs *t, char *err, size_t errlen) {
  unsigned attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  char opts[512] = "", in[512];
  snprintf(in, sizeof in, "%s", t->opts ? t->opts : "");
  int has_mode = 0;
  for (char *save = NULL, *o = strtok_r(in, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
    if (!strcmp(o, "ro")) attrs |= MOUNT_ATTR_RDONLY;
    else if (!strcmp(o, "noexec")) attrs |= MOUNT_ATTR_NOEXEC;
    else if (!strcmp(o, "rw") || !strcmp(o, "exec")) continue;
    else {
      if (!strncmp(o, "mode=", 5)) has_mode = 1;
      size_t n = strlen(opts);
      snprintf(opts + n, sizeof opts - n, "%s%s", n ? "," : "", o);
    }
  }
  if (!has_mode) {
    size_t n = strlen(opts);
    snprintf(opts + n, sizeof opts - n, "%smode=1777", n ? "," : "");
  }
  int fd = hr_open_in_root(rootfd, t->dst, HR_CREATE_DIR, 0755, err, errlen);
  if (fd < 0) return -1;
  int m = fs_mount("tmpfs", opts, attrs, fd, t->dst, err, errlen);
  close(fd);
  if (m < 0) return -1;
  close(m);
  return 0;
}

/* Makes the container's root mount read-only (not the mounts on it: volumes, /dev, /proc, tmpfs). */
int hr_readonly_root(char *err, size_t errlen) {
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
  int r = hr_legacy_mounts() ? -1 : mount_setattr(AT_FDCWD, "/", 0, &attr, sizeof attr);
  if (r < 0 && (hr_legacy_mounts() || hr_legacy_mounts_since(errno))) r = hr_legacy_readonly_root();
  if (r < 0) FAIL("make the root filesystem read-only");
  return 0;
}

/* Everything the container sees of the filesystem, then pivot_root into it. */
int hr_setup_rootfs(const struct hr_opts *o, char *err, size_t errlen) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) FAIL("make / rprivate");
  int root = o->rootfs ? mount_plain_rootfs(o->rootfs, err, errlen) : mount_overlay(o, err, errlen);
  if (root < 0) return -1;
  HR_T("rootfs mounted");
  for (int i = 0; i < o->nhostro; i++)
    if (host_ro(root, o->hostro[i], err, errlen) < 0) return -1;

  int fd = hr_open_in_root(root, "/proc", HR_CREATE_DIR, 0555, err, errlen);
  if (fd < 0) return -1;
  int m = fs_mount("proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, fd, "/proc", err, errlen);
  close(fd);
  if (m < 0) return -1;
  close(m);

  HR_T("proc");
  if (setup_dev(root, o->privileged, o->shm_size, err, errlen) < 0) return -1;
  HR_T("dev");

  fd = hr_open_in_root(root, "/sys", HR_CREATE_DIR, 0555, err, errlen);
  if (fd < 0) return -1;
  /* A new network namespace gets its own sysfs; the host's is bound. Privileged: writable. */
  m = o->net == HR_NET_HOST
          ? bind_at(AT_FDCWD, "/sys", 1, !o->privileged, fd, "/sys", err, errlen)
          : fs_mount("sysfs", NULL, (o->privileged ? 0 : MOUNT_ATTR_RDONLY) | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                     fd, "/sys", err, errlen);
  close(fd);
  if (m < 0) return -1;
  close(m);

  for (int i = 0; i < o->nbinds; i++)
    if (bind_volume(root, &o->binds[i], err, errlen) < 0) return -1;
  for (int i = 0; i < o->ntmpfs; i++)
    if (mount_tmpfs(root, &o->tmpfs[i], err, errlen) < 0) return -1;
  HR_T("sys, binds, tmpfs");
  if (!o->privileged && mask_paths(root, err, errlen) < 0) return -1;
  HR_T("masks");

  /* pivot_root(".", ".") stacks the old root on the new one; detaching it leaves only the rootfs. */
  if (fchdir(root) < 0) FAIL("chdir into the rootfs");
  if (syscall(SYS_pivot_root, ".", ".") < 0) FAIL("pivot_root");
  if (umount2(".", MNT_DETACH) < 0) FAIL("detach the old root");
  if (chdir("/") < 0) FAIL("chdir /");
  close(root);
  HR_T("pivoted");
  return 0;
}
