/*
 * hafen-run: shared declarations of the container launcher (see hafen-run.c for the interface).
 * One process image in three roles: the outer process on the host side, the container's init
 * (PID 1 of a new PID namespace), and the command it forks. Single-threaded throughout.
 */
#ifndef HAFEN_RUN_H
#define HAFEN_RUN_H

#include <stdint.h>
#include <sys/types.h>

#define HR_EXIT_SETUP 125 /* hafen-run itself failed (Docker's code for the same) */
#define HR_EXIT_NOEXEC 126
#define HR_EXIT_NOTFOUND 127

struct hr_bind {
  const char *src;
  const char *dst;
  int ro;
};

struct hr_tmpfs {
  const char *dst;
  const char *opts; /* "size=BYTES,mode=OCTAL,..." or NULL */
};

enum hr_net { HR_NET_NEW, HR_NET_HOST, HR_NET_JOIN };

/* A namespace of the container: a new one, the host's, or one joined by path (/proc/PID/ns/KIND). */
enum hr_ns { HR_NS_NEW, HR_NS_HOST, HR_NS_JOIN };

struct hr_rlimit {
  int resource;                 /* RLIMIT_* */
  const char *name;             /* as given: nofile, nproc, ... */
  unsigned long long soft, hard; /* RLIM_INFINITY for unlimited */
};

struct hr_sysctl {
  const char *key;              /* net.ipv4.ip_forward */
  const char *value;
};

/* Everything the command line says; filled by hr_parse_args, read by every role. */
struct hr_opts {
  int exec_mode;                /* 0: run, 1: exec */
  const char **lowers;          /* overlay lower dirs, top-most first */
  int nlowers;
  const char *upper, *work, *target;
  int volatile_upper;           /* overlay "volatile": no syncs of the upper fs, even at unmount */
  int readonly_root;            /* --rootfs-readonly: / is made read-only once the container is set up */
  int privileged;               /* --privileged: host devices, /sys writable, nothing masked, no no_new_privs */
  const char *rootfs;           /* plain directory rootfs (bind-mounted onto itself) */
  struct hr_bind *binds;
  int nbinds;
  struct hr_tmpfs *tmpfs;
  int ntmpfs;
  const char **hostro;
  int nhostro;
  enum hr_net net;
  const char *netpath;
  const char *hostname;
  const char *domainname; /* NIS domain name of the new UTS namespace */
  const char *cwd;
  char **env;                   /* NULL-terminated */
  int nenv;
  uid_t uid;
  gid_t gid;
  gid_t *groups;
  int ngroups;
  uint64_t caps;                /* capabilities kept */
  const char **cgroups;
  int ncgroups;
  int syncfd;                   /* -1 when absent */
  const char *log;
  long long logmax;             /* 0: no rotation */
  long long logfiles;           /* files kept across rotation, the live one included; 0: 2 */
  int detach;
  const char *statusfile;
  int tty;
  pid_t target_pid;             /* exec mode */
  enum hr_ns ipc, pid, uts;     /* --ipc, --pid, --uts (default new) */
  const char *ipcpath, *pidpath;
  struct hr_rlimit *rlimits;    /* --ulimit NAME=SOFT:HARD, set before exec */
  int nrlimits;
  struct hr_sysctl *sysctls;    /* --sysctl KEY=VALUE, written by init in its namespaces */
  int nsysctls;
  long long shm_size;           /* --shm-size BYTES of /dev/shm; 0: 64 MiB */
  int oom_score_adj, has_oom_score_adj;
  int stdin_open;                /* --stdin-open: with --log, stdin is a pipe kept open (never EOF), not /dev/null */
  int allow_new_privs;          /* --allow-new-privileges: no no_new_privs (security_opt no-new-privileges:false) */
  /* --seccomp-fd N: the command's seccomp filter (struct sock_filter[]), read at parse time */
  const unsigned char *seccomp;
  size_t seccomp_len;
  /* --net-setup LINE (repeatable): `ip -batch` lines run inside the new network namespace before
   * the caller is told the init's pid (hafen-run-netsetup.c) */
  const char **netsetup;
  int nnetsetup;
  char **argv;                  /* the command, NULL-terminated */
};

/* Messages from the container's init to the outer process (SOCK_SEQPACKET, first byte = kind). */
#define MSG_SETUP_ERROR 'E' /* + text: the container could not be set up */
#define MSG_STARTED 'S'     /* the command was exec'd */
#define MSG_EXEC_ERROR 'X'  /* + text: exec of the command failed */
#define MSG_STATUS 'W'      /* + decimal wait status of the command, sent just before init exits */
#define MSG_PTY 'T'         /* carries the pty master as SCM_RIGHTS */
#define MSG_GO 'G'          /* outer -> init: the command may start */

/* Phase timings on stderr when built with -DHR_TRACE (a profiling aid; no-op otherwise). */
#ifdef HR_TRACE
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#define HR_T(label)                                                                          \
  do {                                                                                      \
    struct timespec t_;                                                                     \
    clock_gettime(CLOCK_MONOTONIC, &t_);                                                    \
    fprintf(stderr, "[%d] %ld.%06ld %s\n", (int)getpid(), (long)t_.tv_sec % 1000, t_.tv_nsec / 1000, label); \
  } while (0)
#else
#define HR_T(label) ((void)0)
#endif

/* util (hafen-run.c) */
extern char *hr_args_start; /* our argv strings, overwritten by init so that ps inside shows "hafen-init" */
extern size_t hr_args_len;
void hr_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
int hr_errmsg(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int hr_write_all(int fd, const void *buf, size_t len);
int hr_join_cgroups(const struct hr_opts *o, char *err, size_t errlen);
int hr_sendmsg(int fd, char kind, const char *text, int passfd);

/* rootless (hafen-run-userns.c): `userns-holder` makes the per-user namespace holder, `userns-join` enters it */
int hr_userns_main(int argc, char **argv);
int hr_setgroups_denied(void); /* /proc/self/setgroups says deny (a single-id user namespace) */

/* attached runs (hafen-run-attach.c): `attach-serve` hands the CLI's stdio over; hr_attach_connect takes it */
int hr_attach_serve_main(int argc, char **argv);
int hr_attach_connect(const char *path, int fds[3], int *conn, char *err, size_t errlen);

/* filesystem setup (hafen-run-fs.c); each returns 0 or -1 with a message in err */
int hr_open_in_root(int rootfd, const char *path, int create, mode_t mode, char *err, size_t errlen);
int hr_setup_rootfs(const struct hr_opts *o, char *err, size_t errlen);
int hr_mkdir_all(const char *path, char *err, size_t errlen);
int hr_readonly_root(char *err, size_t errlen);
enum { HR_CREATE_NONE = 0, HR_CREATE_DIR = 1, HR_CREATE_FILE = 2 };

/* resolving inside the root (hafen-run-resolve.c): openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS),
 * else the same walk by hand; an O_PATH fd or -1 with errno */
int hr_resolve_in_root(int rootfd, const char *path);
/* 1 when HAFEN_RUN_WITHOUT (a comma list: openat2, mount-api, close_range) names `feature`: the launcher then
 * acts as on a kernel without it. Only for tests: every fallback confines as the feature does. */
int hr_without(const char *feature);

/* mounts by mount(2) where the new mount API is missing (hafen-run-legacy-mount.c); each returns an
 * fd (O_PATH) as its new-API counterpart in hafen-run-fs.c does, or -1 with errno */
int hr_legacy_mounts(void);            /* 1 once the new API is known missing (or HAFEN_RUN_WITHOUT=mount-api) */
int hr_legacy_mounts_since(int err);   /* records an ENOSYS of the new API; 1 if mount(2) is to be used */
int hr_legacy_bind(int srcdir, const char *src, int recursive, int ro, int dstfd);
int hr_legacy_fs_mount(const char *fstype, const char *opts, unsigned attrs, int dstfd);
int hr_legacy_self_bind(const char *dir);
int hr_legacy_overlay(const char *const *lowers, int nlowers, const char *upper, const char *work, int volatile_upper,
                      const char *target);
int hr_legacy_readonly_root(void);

/* processes (hafen-run-proc.c) */
int hr_cap_from_name(const char *name);
void hr_exec_command(const struct hr_opts *o, int errfd) __attribute__((noreturn));
int hr_container_init(const struct hr_opts *o, int chan, int outw, int errw) __attribute__((noreturn));
int hr_exec_main(const struct hr_opts *o);
int hr_status_code(int wstatus);

/* rlimits, sysctls, oom_score_adj (hafen-run-limits.c) */
int hr_parse_rlimit(char *spec, struct hr_rlimit *out);
int hr_parse_sysctl(char *spec, struct hr_sysctl *out);
int hr_apply_rlimits(const struct hr_opts *o, char *err, size_t errlen);
int hr_write_sysctls(const struct hr_opts *o, char *err, size_t errlen);
int hr_write_oom_score_adj(const struct hr_opts *o, char *err, size_t errlen);
int hr_join_ns(const char *path, int type, const char *what, char *err, size_t errlen);

/* secrets: the environment from --env-fd (hafen-run-envfd.c); 0, or -1 with a message naming no value */
int hr_read_env_fd(int fd, struct hr_opts *o, char *err, size_t errlen);

/* names: a path for fsconfig (255 bytes at most), else /proc/self/fd/N of an O_PATH fd in *fd, -1 if none (hafen-run-paths.c) */
const char *hr_fsconfig_path(const char *path, char *buf, size_t len, int *fd);

/* seccomp (hafen-run-seccomp.c) */
int hr_read_seccomp_fd(int fd, struct hr_opts *o, char *err, size_t errlen);
int hr_install_seccomp(const struct hr_opts *o, char *err, size_t errlen);
/* Once the command runs, init keeps only CAP_KILL (to pass signals on to a command of another uid)
 * and takes the command's filter, so a container process that may ptrace it gains nothing. */
int hr_confine_init(const struct hr_opts *o, char *err, size_t errlen);

/* network wiring: `ip -batch -` with --net-setup's lines inside the network namespace of `pid`
 * (hafen-run-netsetup.c); 0, or -1 with ip's complaint */
int hr_net_setup(const struct hr_opts *o, pid_t pid, char *err, size_t errlen);

/* logs (hafen-run-log.c) */
struct hr_log;
struct hr_log *hr_log_open(const char *path, long long max, long long files);
void hr_log_data(struct hr_log *l, int stream, const char *data, size_t len);
void hr_log_flush(struct hr_log *l, int stream);
void hr_log_close(struct hr_log *l);

#endif
