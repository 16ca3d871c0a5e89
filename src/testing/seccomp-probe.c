/*
 * seccomp-probe NAME...: makes each named syscall with arguments that fail harmlessly or succeed,
 * and prints `NAME=ok` or `NAME=ERRNONAME`, one line each. The arguments are chosen so that an
 * unconfined container gets an answer other than EPERM (EFAULT, EINVAL, ENOKEY, ok), so EPERM can
 * only come from a seccomp filter. Built statically at test time (musl-gcc -static).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *errname(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case ENOSYS: return "ENOSYS";
    case EACCES: return "EACCES";
    case EEXIST: return "EEXIST";
    case EBADF: return "EBADF";
    case ENOENT: return "ENOENT";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
#ifdef ENOKEY
    case ENOKEY: return "ENOKEY";
#endif
    default: return "EOTHER";
  }
}

static long call(const char *name) {
  if (!strcmp(name, "keyctl")) return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0);
  if (!strcmp(name, "add_key")) return syscall(SYS_add_key, "user", "hafen-probe", "x", 1, -2 /* process keyring */);
  if (!strcmp(name, "request_key")) return syscall(SYS_request_key, "user", "hafen-probe-none", NULL, 0);
  if (!strcmp(name, "bpf")) return syscall(SYS_bpf, 1000, NULL, 0);
  if (!strcmp(name, "perf_event_open")) return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
  if (!strcmp(name, "userfaultfd")) return syscall(SYS_userfaultfd, ~0);
  if (!strcmp(name, "mount")) return syscall(SYS_mount, (char *)1, (char *)1, (char *)1, 0, NULL);
  if (!strcmp(name, "unshare-user")) return syscall(SYS_unshare, CLONE_NEWUSER);
  if (!strcmp(name, "mkdir")) return syscall(SYS_mkdirat, AT_FDCWD, "/tmp/seccomp-probe-dir", 0755);
  if (!strcmp(name, "getpid")) return syscall(SYS_getpid);
  /* Argument filters: clone's namespace flags (masked compare), socket families, personality values. */
  if (!strcmp(name, "clone-user") || !strcmp(name, "clone-plain")) {
    long flags = SIGCHLD | (name[6] == 'u' ? CLONE_NEWUSER : 0);
    long pid = syscall(SYS_clone, flags, 0, 0, 0, 0);
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid((pid_t)pid, NULL, 0);
    return pid < 0 ? -1 : 0;
  }
  if (!strcmp(name, "socket-vsock")) return syscall(SYS_socket, 40 /* AF_VSOCK */, SOCK_STREAM, 0);
  if (!strcmp(name, "socket-unix")) return syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
  if (!strcmp(name, "personality-query")) return syscall(SYS_personality, 0xffffffffUL);
  if (!strcmp(name, "personality-norandom")) return syscall(SYS_personality, 0x0040000UL /* ADDR_NO_RANDOMIZE */);
  errno = EINVAL;
  return -2;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    errno = 0;
    long r = call(argv[i]);
    if (r == -2) {
      fprintf(stderr, "seccomp-probe: unknown probe %s\n", argv[i]);
      return 2;
    }
    printf("%s=%s\n", argv[i], r < 0 ? errname(errno) : "ok");
  }
  return 0;
}
