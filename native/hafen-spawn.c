/*
 * hafen's addon: starting a launcher with posix_spawn(3) (issue 16). Node's child_process.spawn
 * forks the whole Node process and waits, its event loop blocked, until the child has exec'd: a
 * supervisor of 60 MB took 10-40 ms per container that way on a busy machine (page tables copied,
 * the child scheduled). posix_spawn uses clone(CLONE_VM|CLONE_VFORK): nothing is copied and the
 * child runs at once on the caller's CPU, about half a millisecond.
 *
 *   spawnPiped(file, argv, fds, detached) -> {pid, fds}
 *     fds[i] says what the child gets as descriptor i: null (0-2: /dev/null; above: nothing),
 *     'null' (/dev/null), 'socket' (one end of a socketpair; the caller gets the other),
 *     'read' (a pipe the child writes; the caller gets its read end) or a Buffer (a memfd holding
 *     those bytes at offset 0, which the child reads to EOF). The returned fds hold the caller's
 *     ends (or null), close-on-exec. The environment is the process's own; signal dispositions are
 *     reset and the signal mask emptied in the child, as Node's spawn does; `detached`: a new session.
 *   reap(pid) -> null while `pid` runs, else {code, signal} (code: exit code or null; signal:
 *     number or null); Node's own child handling only waits for the pids it spawned itself.
 */
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* From hafen.c: throws a Node-style system error. */
void hafen_throw_errno(napi_env env, int e, const char *syscall, const char *path);

/* The most descriptors a child is given; the caller's own ends are kept above this number, so that
 * no dup2 onto a child's descriptor overwrites a source still to be dup'ed. */
#define MAX_FDS 16

enum kind { K_NONE, K_NULL, K_SOCKET, K_READ, K_DATA };

/* Moves `fd` to a number >= MAX_FDS (close-on-exec); -1 on failure (fd closed). */
static int high(int fd) {
  if (fd < 0 || fd >= MAX_FDS) return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, MAX_FDS);
  int e = errno;
  close(fd);
  errno = e;
  return moved;
}

/* A memfd holding `len` bytes of `data`, positioned at its start; -1 on failure. */
static int data_fd(const void *data, size_t len) {
  int fd = memfd_create("hafen-spawn", MFD_CLOEXEC);
  if (fd < 0) return -1;
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      errno = e;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  if (lseek(fd, 0, SEEK_SET) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return high(fd);
}

/* A copy of JS string `v` (malloc'd), or NULL with a TypeError thrown. */
static char *dup_string(napi_env env, napi_value v, const char *what) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", what);
    return NULL;
  }
  char *s = malloc(len + 1);
  if (!s) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  if (strlen(s) != len) {
    free(s);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", what);
    return NULL;
  }
  return s;
}

napi_value hafen_js_spawn_piped(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc < 4) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "spawnPiped(file, argv, fds, detached)");
    return NULL;
  }
  napi_value result = NULL;
  char *file = NULL;
  char **argv = NULL;
  uint32_t nargv = 0, nfds = 0;
  int child_end[MAX_FDS], parent_end[MAX_FDS];
  enum kind kinds[MAX_FDS];
  for (int i = 0; i < MAX_FDS; i++) child_end[i] = parent_end[i] = -1, kinds[i] = K_NONE;
  bool detached = false;
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  int have_actions = 0, have_attr = 0;

  if (!(file = dup_string(env, args[0], "file must be a string"))) goto out;
  if (napi_get_array_length(env, args[1], &nargv) != napi_ok || napi_get_array_length(env, args[2], &nfds) != napi_ok || nfds > MAX_FDS) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "argv and fds must be arrays (at most 16 fds)");
    goto out;
  }
  napi_get_value_bool(env, args[3], &detached);
  argv = calloc(nargv + 1, sizeof *argv);
  if (!argv) goto nomem;
  for (uint32_t i = 0; i < nargv; i++) {
    napi_value v;
    napi_get_element(env, args[1], i, &v);
    if (!(argv[i] = dup_string(env, v, "argv must hold strings"))) goto out;
  }

  for (uint32_t i = 0; i < nfds; i++) {
    napi_value v;
    napi_valuetype t;
    napi_get_element(env, args[2], i, &v);
    napi_typeof(env, v, &t);
    bool isbuf = false;
    if (t == napi_object) napi_is_buffer(env, v, &isbuf);
    if (t == napi_null || t == napi_undefined) {
      kinds[i] = i <= 2 ? K_NULL : K_NONE;
    } else if (isbuf) {
      void *data;
      size_t len;
      napi_get_buffer_info(env, v, &data, &len);
      kinds[i] = K_DATA;
      if ((child_end[i] = data_fd(data, len)) < 0) {
        hafen_throw_errno(env, errno, "memfd_create", file);
        goto out;
      }
    } else if (t == napi_string) {
      char word[16];
      size_t len;
      napi_get_value_string_utf8(env, v, word, sizeof word, &len);
      int pair[2];
      if (!strcmp(word, "null")) {
        kinds[i] = K_NULL;
      } else if (!strcmp(word, "socket")) {
        kinds[i] = K_SOCKET;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
          hafen_throw_errno(env, errno, "socketpair", file);
          goto out;
        }
        parent_end[i] = high(pair[0]);
        child_end[i] = high(pair[1]);
      } else if (!strcmp(word, "read")) {
        kinds[i] = K_READ;
        if (pipe2(pair, O_CLOEXEC) < 0) {
          hafen_throw_errno(env, errno, "pipe2", file);
          goto out;
        }
        parent_end[i] = high(pair[0]);
        child_end[i] = high(pair[1]);
      } else {
        napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "fds[i] must be null, 'null', 'socket', 'read' or a Buffer");
        goto out;
      }
      if ((kinds[i] == K_SOCKET || kinds[i] == K_READ) && (parent_end[i] < 0 || child_end[i] < 0)) {
        hafen_throw_errno(env, errno, "fcntl", file);
        goto out;
      }
    } else {
      napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "fds[i] must be null, 'null', 'socket', 'read' or a Buffer");
      goto out;
    }
  }

  if (posix_spawn_file_actions_init(&actions) != 0) goto nomem;
  have_actions = 1;
  for (uint32_t i = 0; i < nfds; i++) {
    int rc = 0;
    if (kinds[i] == K_NULL) rc = posix_spawn_file_actions_addopen(&actions, (int)i, "/dev/null", O_RDWR, 0);
    else if (kinds[i] != K_NONE) rc = posix_spawn_file_actions_adddup2(&actions, child_end[i], (int)i);
    if (rc != 0) {
      hafen_throw_errno(env, rc, "posix_spawn_file_actions", file);
      goto out;
    }
  }
  if (posix_spawnattr_init(&attr) != 0) goto nomem;
  have_attr = 1;
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (detached ? POSIX_SPAWN_SETSID : 0));

  pid_t pid;
  int rc = posix_spawn(&pid, file, &actions, &attr, argv, environ);
  if (rc != 0) {
    hafen_throw_errno(env, rc, "posix_spawn", file);
    goto out;
  }
  napi_value obj, fds, v;
  napi_create_object(env, &obj);
  napi_create_int32(env, pid, &v);
  napi_set_named_property(env, obj, "pid", v);
  napi_create_array_with_length(env, nfds, &fds);
  for (uint32_t i = 0; i < nfds; i++) {
    if (parent_end[i] >= 0) {
      napi_create_int32(env, parent_end[i], &v);
      parent_end[i] = -1; /* the caller's now */
    } else {
      napi_get_null(env, &v);
    }
    napi_set_element(env, fds, i, v);
  }
  napi_set_named_property(env, obj, "fds", fds);
  result = obj;
  goto out;

nomem:
  napi_throw_error(env, "ENOMEM", "out of memory");
out:
  if (have_actions) posix_spawn_file_actions_destroy(&actions);
  if (have_attr) posix_spawnattr_destroy(&attr);
  for (int i = 0; i < MAX_FDS; i++) {
    if (child_end[i] >= 0) close(child_end[i]);
    if (parent_end[i] >= 0) close(parent_end[i]);
  }
  if (argv) {
    for (uint32_t i = 0; i < nargv; i++) free(argv[i]);
    free(argv);
  }
  free(file);
  return result;
}

napi_value hafen_js_reap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1], v, obj;
  int32_t pid = 0;
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, args[0], &pid) != napi_ok || pid <= 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "reap(pid): pid must be a positive number");
    return NULL;
  }
  int status = 0;
  pid_t got;
  do got = waitpid(pid, &status, WNOHANG);
  while (got < 0 && errno == EINTR);
  if (got == 0) {
    napi_get_null(env, &v);
    return v;
  }
  napi_create_object(env, &obj);
  if (got > 0 && WIFEXITED(status)) napi_create_int32(env, WEXITSTATUS(status), &v);
  else napi_get_null(env, &v);
  napi_set_named_property(env, obj, "code", v);
  if (got > 0 && WIFSIGNALED(status)) napi_create_int32(env, WTERMSIG(status), &v);
  else napi_get_null(env, &v);
  napi_set_named_property(env, obj, "signal", v);
  return obj;
}
