/*
 * hafen's native addon: the few system calls Node does not offer and image layers need
 * (device nodes and whiteouts via mknod, extended attributes without following symlinks), and the
 * cgroup v2 device filter (a BPF program loaded and attached with bpf(2), no libbpf).
 * Plain N-API, no dependencies. Errors are thrown as Node-style system errors:
 * `code` (EPERM, ...), `errno` (negative, as Node does), `syscall` and `path`.
 */
#include <node_api.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PATH_BUF 4096
#define NAME_BUF 256

static const char *errno_name(int e) {
  switch (e) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(EIO) E(ENXIO) E(E2BIG) E(EBADF) E(ENOMEM) E(EACCES) E(EFAULT)
    E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE)
    E(ETXTBSY) E(EFBIG) E(ENOSPC) E(EROFS) E(EMLINK) E(ERANGE) E(ENAMETOOLONG) E(ELOOP)
    E(ENODATA) E(EOPNOTSUPP) E(EDQUOT) E(ENOSYS) E(EAGAIN) E(ENOEXEC) E(ECHILD)
#if defined(ENOTSUP) && ENOTSUP != EOPNOTSUPP
    E(ENOTSUP)
#endif
#undef E
    default: return "EUNKNOWN";
  }
}

/* Throws `CODE: message, syscall 'path'` with code, errno, syscall and path properties. */
static void throw_errno(napi_env env, int e, const char *syscall, const char *path) {
  char msg[PATH_BUF + 256];
  const char *code = errno_name(e);
  char desc[128];
  snprintf(desc, sizeof desc, "%s", strerror(e));
  if (desc[0] >= 'A' && desc[0] <= 'Z') desc[0] = (char)(desc[0] - 'A' + 'a'); /* as Node words it */
  snprintf(msg, sizeof msg, "%s: %s, %s '%s'", code, desc, syscall, path);
  napi_value js_msg, js_code, err, v;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &js_msg);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &js_code);
  napi_create_error(env, js_code, js_msg, &err);
  napi_create_int32(env, -e, &v);
  napi_set_named_property(env, err, "errno", v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, err, "syscall", v);
  napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, err, "path", v);
  napi_throw(env, err);
}

/* Reads argument i as a UTF-8 string into buf; throws a TypeError and returns 0 if it is not one. */
static int get_string(napi_env env, napi_value *argv, size_t argc, size_t i, char *buf, size_t cap, const char *what) {
  size_t len = 0;
  if (i >= argc || napi_get_value_string_utf8(env, argv[i], buf, cap, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", what);
    return 0;
  }
  if (len >= cap - 1 || strlen(buf) != len) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", what);
    return 0;
  }
  return 1;
}

static int get_u32(napi_env env, napi_value *argv, size_t argc, size_t i, uint32_t *out, const char *what) {
  if (i >= argc || napi_get_value_uint32(env, argv[i], out) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", what);
    return 0;
  }
  return 1;
}

/* mknod(path, mode, major, minor): mode includes the file type bits (S_IFCHR, S_IFBLK, S_IFIFO). */
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  char path[PATH_BUF];
  uint32_t mode, major, minor;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!get_string(env, argv, argc, 0, path, sizeof path, "path must be a string without NUL") ||
      !get_u32(env, argv, argc, 1, &mode, "mode must be a number") ||
      !get_u32(env, argv, argc, 2, &major, "major must be a number") ||
      !get_u32(env, argv, argc, 3, &minor, "minor must be a number"))
    return NULL;
  if (mknod(path, (mode_t)mode, makedev(major, minor)) != 0) throw_errno(env, errno, "mknod", path);
  return NULL;
}

/* lsetxattr(path, name, value: Buffer): sets an extended attribute on the link itself. */
static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  char path[PATH_BUF], name[NAME_BUF];
  void *data = NULL;
  size_t len = 0;
  bool is_buffer = false;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!get_string(env, argv, argc, 0, path, sizeof path, "path must be a string without NUL") ||
      !get_string(env, argv, argc, 1, name, sizeof name, "name must be a string without NUL"))
    return NULL;
  if (argc < 3 || napi_is_buffer(env, argv[2], &is_buffer) != napi_ok || !is_buffer) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "value must be a Buffer");
    return NULL;
  }
  napi_get_buffer_info(env, argv[2], &data, &len);
  if (lsetxattr(path, name, len ? data : "", len, 0) != 0) throw_errno(env, errno, "lsetxattr", path);
  return NULL;
}

/* lgetxattr(path, name) -> Buffer, or null when the attribute is not set. */
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  char path[PATH_BUF], name[NAME_BUF];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!get_string(env, argv, argc, 0, path, sizeof path, "path must be a string without NUL") ||
      !get_string(env, argv, argc, 1, name, sizeof name, "name must be a string without NUL"))
    return NULL;
  for (;;) {
    ssize_t size = lgetxattr(path, name, NULL, 0);
    if (size < 0) {
      if (errno == ENODATA) {
        napi_get_null(env, &result);
        return result;
      }
      throw_errno(env, errno, "lgetxattr", path);
      return NULL;
    }
    void *data = NULL;
    napi_create_buffer(env, (size_t)size, &data, &result);
    ssize_t got = size ? lgetxattr(path, name, data, (size_t)size) : 0;
    if (got < 0 && errno == ERANGE) continue; /* grew in between: ask again */
    if (got < 0) {
      throw_errno(env, errno, "lgetxattr", path);
      return NULL;
    }
    if (got < size) napi_create_buffer_copy(env, (size_t)got, data, NULL, &result);
    return result;
  }
}

/* llistxattr(path) -> string[]: the names of the link's extended attributes. */
static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  char path[PATH_BUF];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!get_string(env, argv, argc, 0, path, sizeof path, "path must be a string without NUL")) return NULL;
  for (;;) {
    ssize_t size = llistxattr(path, NULL, 0);
    if (size < 0) {
      throw_errno(env, errno, "llistxattr", path);
      return NULL;
    }
    char *names = malloc(size ? (size_t)size : 1);
    if (!names) {
      throw_errno(env, ENOMEM, "llistxattr", path);
      return NULL;
    }
    ssize_t got = size ? llistxattr(path, names, (size_t)size) : 0;
    if (got < 0) {
      int e = errno;
      free(names);
      if (e == ERANGE) continue;
      throw_errno(env, e, "llistxattr", path);
      return NULL;
    }
    napi_create_array(env, &result);
    uint32_t n = 0;
    for (ssize_t off = 0; off < got;) {
      size_t len = strnlen(names + off, (size_t)(got - off));
      napi_value s;
      napi_create_string_utf8(env, names + off, len, &s);
      napi_set_element(env, result, n++, s);
      off += (ssize_t)len + 1;
    }
    free(names);
    return result;
  }
}

/* The verifier's words on a refused program: the log's last line that is not its statistics. */
static void verifier_reason(const char *log, char *out, size_t len) {
  out[0] = 0;
  const char *end = log + strlen(log);
  while (end > log) {
    while (end > log && (end[-1] == '\n' || end[-1] == ' ')) end--;
    const char *start = end;
    while (start > log && start[-1] != '\n') start--;
    if (end > start && strncmp(start, "processed ", 10) && strncmp(start, "verification time", 17)) {
      snprintf(out, len, "%.*s", (int)(end - start), start);
      return;
    }
    end = start;
  }
}

/*
 * attachDeviceProgram(cgroupDir, insns: Buffer): loads the eBPF instructions as a
 * BPF_PROG_TYPE_CGROUP_DEVICE program and attaches it to the cgroup v2 directory (BPF_CGROUP_DEVICE,
 * BPF_F_ALLOW_MULTI, so programs of the parents still apply too). The attachment keeps the program
 * alive until the cgroup is removed; our descriptors are closed. A refusal by the verifier carries
 * the verifier's reason in the message.
 */
static napi_value js_attach_device_program(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char path[PATH_BUF];
  void *insns = NULL;
  size_t len = 0;
  bool is_buffer = false;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!get_string(env, argv, argc, 0, path, sizeof path, "cgroupDir must be a string without NUL")) return NULL;
  if (argc < 2 || napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "insns must be a Buffer");
    return NULL;
  }
  napi_get_buffer_info(env, argv[1], &insns, &len);
  if (len == 0 || len % sizeof(struct bpf_insn) != 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "insns must be whole eBPF instructions (8 bytes each)");
    return NULL;
  }
  static const char license[] = "MIT";
  union bpf_attr load;
  memset(&load, 0, sizeof load);
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (uint64_t)(uintptr_t)insns;
  load.insn_cnt = (uint32_t)(len / sizeof(struct bpf_insn));
  load.license = (uint64_t)(uintptr_t)license;
  snprintf(load.prog_name, sizeof load.prog_name, "hafen_devices");
  int prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
  if (prog < 0) {
    int e = errno;
    static char log[16384];
    char reason[512] = "";
    if (e == EACCES || e == EINVAL) {
      /* Again with the verifier's log, to say why. */
      log[0] = 0;
      load.log_buf = (uint64_t)(uintptr_t)log;
      load.log_size = sizeof log;
      load.log_level = 1;
      int again = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
      if (again >= 0) close(again);
      verifier_reason(log, reason, sizeof reason);
    }
    char what[PATH_BUF + 600];
    snprintf(what, sizeof what, "%s%s%s", path, reason[0] ? ": " : "", reason);
    throw_errno(env, e, "bpf(BPF_PROG_LOAD)", what);
    return NULL;
  }
  int cg = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg < 0) {
    int e = errno;
    close(prog);
    throw_errno(env, e, "open", path);
    return NULL;
  }
  union bpf_attr attach;
  memset(&attach, 0, sizeof attach);
  attach.target_fd = (uint32_t)cg;
  attach.attach_bpf_fd = (uint32_t)prog;
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  int rc = (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof attach);
  int e = errno;
  close(cg);
  close(prog);
  if (rc < 0) throw_errno(env, e, "bpf(BPF_PROG_ATTACH)", path);
  return NULL;
}

/*
 * redirectOutput(path): the process's stdout and stderr (fds 1 and 2) become `path`, opened for
 * appending (made 0600 if missing). A supervisor started on standby, before its project's folder
 * may exist, sends its log there once it is told its project (src/supervisor/standby.ts).
 */
static napi_value js_redirect_output(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char path[PATH_BUF];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!get_string(env, argv, argc, 0, path, sizeof path, "path must be a string without NUL")) return NULL;
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw_errno(env, errno, "open", path);
    return NULL;
  }
  if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
    int e = errno;
    close(fd);
    throw_errno(env, e, "dup2", path);
    return NULL;
  }
  close(fd);
  return NULL;
}
/* For hafen-spawn.c (launchers started with posix_spawn): */
napi_value hafen_js_spawn_piped(napi_env env, napi_callback_info info);
napi_value hafen_js_reap(napi_env env, napi_callback_info info);
void hafen_throw_errno(napi_env env, int e, const char *syscall, const char *path) { throw_errno(env, e, syscall, path); }

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"mknod", NULL, js_mknod, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lsetxattr", NULL, js_lsetxattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lgetxattr", NULL, js_lgetxattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"llistxattr", NULL, js_llistxattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"attachDeviceProgram", NULL, js_attach_device_program, NULL, NULL, NULL, napi_enumerable, NULL},
    {"redirectOutput", NULL, js_redirect_output, NULL, NULL, NULL, napi_enumerable, NULL},
    {"spawnPiped", NULL, hafen_js_spawn_piped, NULL, NULL, NULL, napi_enumerable, NULL},
    {"reap", NULL, hafen_js_reap, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
