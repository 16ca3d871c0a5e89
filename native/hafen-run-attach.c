/*
 * Attaching a caller's stdio to a container the supervisor starts (`stack run`): the CLI is not the
 * launcher's parent, so its stdin, stdout and stderr travel to the launcher as fds over a unix socket.
 *
 *   hafen-run attach-serve PATH
 *     run by the CLI with its own stdio (and a pipe as fd 3): listens on PATH (a fresh folder of the
 *     caller's, mode 0700), writes `ready\n` on fd 3, takes ONE connection, sends fds 0, 1 and 2 on it
 *     (SCM_RIGHTS), removes PATH and its folder (so a CLI killed meanwhile leaves neither), then stays: each SIGWINCH it gets (it is in the terminal's
 *     foreground process group, the launcher is not) goes on as the byte 'W'; it exits when the
 *     launcher closes the connection (the container ended), restoring the terminal's settings as
 *     they were, should the launcher have been killed before it could. SIGINT, SIGQUIT and SIGTSTP
 *     are ignored: they are the CLI's to handle.
 *
 * The launcher's side (`attach PATH` on its sync socket, before `go`) is hr_attach_connect.
 */
#include "hafen-run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define ATTACH_READY_FD 3
#define ATTACH_TIMEOUT_S 10

static int unix_address(const char *path, struct sockaddr_un *sa) {
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof sa->sun_path) return -1;
  strcpy(sa->sun_path, path);
  return 0;
}

int hr_attach_connect(const char *path, int fds[3], int *conn, char *err, size_t errlen) {
  struct sockaddr_un sa;
  if (unix_address(path, &sa) < 0) return hr_errmsg(err, errlen, "attach socket path too long: %s", path), -1;
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return hr_errmsg(err, errlen, "attach: socket: %s", strerror(errno)), -1;
  /* The CLI's helper answers at once; a stuck one must not hold the start forever. */
  struct timeval tv = {ATTACH_TIMEOUT_S, 0};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
    hr_errmsg(err, errlen, "attach: connect %s: %s", path, strerror(errno));
    close(s);
    return -1;
  }
  char byte;
  struct iovec iov = {&byte, 1};
  char cbuf[CMSG_SPACE(3 * sizeof(int))];
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  ssize_t n;
  while ((n = recvmsg(s, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
  if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(3 * sizeof(int))) {
    hr_errmsg(err, errlen, "attach: no stdio received from %s%s%s", path, n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
    close(s);
    return -1;
  }
  memcpy(fds, CMSG_DATA(c), 3 * sizeof(int));
  struct timeval none = {0, 0};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  /* The caller's stdio may be non-blocking (a Node process's pipes are): this process polls and
   * then reads or writes whole buffers, and the command reads its stdin as a file; both want blocking. */
  for (int i = 0; i < 3; i++) fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) & ~O_NONBLOCK);
  *conn = s;
  return 0;
}

/* Removes the socket and the folder made for it. */
static void remove_socket(const char *path) {
  char dir[sizeof ((struct sockaddr_un *)0)->sun_path];
  unlink(path);
  snprintf(dir, sizeof dir, "%s", path);
  rmdir(dirname(dir));
}

static int send_stdio(int s) {
  int fds[3] = {0, 1, 2};
  char byte = 'A';
  struct iovec iov = {&byte, 1};
  char cbuf[CMSG_SPACE(sizeof fds)];
  memset(cbuf, 0, sizeof cbuf);
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof fds);
  memcpy(CMSG_DATA(c), fds, sizeof fds);
  return sendmsg(s, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int hr_attach_serve_main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: hafen-run attach-serve PATH\n");
    return 2;
  }
  const char *path = argv[2];
  prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGTSTP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  struct termios saved;
  int have_saved = isatty(0) && tcgetattr(0, &saved) == 0;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGWINCH);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, NULL);
  int sigfd = signalfd(-1, &set, SFD_CLOEXEC);
  struct sockaddr_un sa;
  int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sigfd < 0 || l < 0 || unix_address(path, &sa) < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(l, 1) < 0) {
    fprintf(stderr, "hafen-run: attach: listen on %s: %s\n", path, strerror(errno));
    return 1;
  }
  (void)!write(ATTACH_READY_FD, "ready\n", 6);
  close(ATTACH_READY_FD);
  int conn = -1, code = 0;
  for (;;) {
    struct pollfd pf[2] = {{sigfd, POLLIN, 0}, {conn >= 0 ? conn : l, POLLIN, 0}};
    if (poll(pf, 2, -1) < 0) {
      if (errno == EINTR) continue;
      code = 1;
      break;
    }
    if (pf[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sigfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo != SIGWINCH) break; /* SIGTERM, SIGHUP: the CLI gave up */
        if (conn >= 0 && send(conn, "W", 1, MSG_NOSIGNAL) < 0) break;
      }
    }
    if (!(pf[1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    if (conn < 0) {
      conn = accept4(l, NULL, NULL, SOCK_CLOEXEC);
      if (conn < 0) continue;
      close(l);
      remove_socket(path);
      if (send_stdio(conn) < 0) {
        code = 1;
        break;
      }
      continue;
    }
    char buf[64];
    ssize_t n = read(conn, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EINTR)) break; /* the container ended */
  }
  if (conn < 0) remove_socket(path);
  if (have_saved) tcsetattr(0, TCSANOW, &saved);
  return code;
}
