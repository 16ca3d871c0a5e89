/*
 * The new mount API (fsopen, fsconfig, fsmount, move_mount, open_tree, mount_setattr) where the C
 * library lacks it. glibc 2.36 declares it in <sys/mount.h>; musl, which builds the static
 * launcher that runs on any distribution, does not, so its constants (the kernel's stable ABI,
 * <linux/mount.h>) and thin syscall(2) wrappers are given here. <linux/mount.h> itself is not
 * included: it redefines the MS_* flags <sys/mount.h> already has.
 */
#ifndef HAFEN_RUN_MOUNTAPI_H
#define HAFEN_RUN_MOUNTAPI_H

#ifndef __GLIBC__
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#define FSOPEN_CLOEXEC 0x00000001
#define FSCONFIG_SET_FLAG 0
#define FSCONFIG_SET_STRING 1
#define FSCONFIG_CMD_CREATE 6
#define FSMOUNT_CLOEXEC 0x00000001
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#define MOUNT_ATTR_STRICTATIME 0x00000020
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#define OPEN_TREE_CLONE 1
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

struct mount_attr {
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};

static inline int fsopen(const char *fs, unsigned int flags) { return (int)syscall(SYS_fsopen, fs, flags); }
static inline int fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux) {
  return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}
static inline int fsmount(int fd, unsigned int flags, unsigned int attrs) { return (int)syscall(SYS_fsmount, fd, flags, attrs); }
static inline int move_mount(int from_dfd, const char *from, int to_dfd, const char *to, unsigned int flags) {
  return (int)syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}
static inline int open_tree(int dfd, const char *path, unsigned int flags) { return (int)syscall(SYS_open_tree, dfd, path, flags); }
static inline int mount_setattr(int dfd, const char *path, unsigned int flags, struct mount_attr *attr, size_t size) {
  return (int)syscall(SYS_mount_setattr, dfd, path, flags, attr, size);
}
#endif

#endif
