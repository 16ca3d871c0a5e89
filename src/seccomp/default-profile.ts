/**
 * hafen's default seccomp profile: what Docker's default profile allows (moby's
 * profiles/seccomp/default.json, as of 2025), written as groups by reason. Everything else fails
 * with EPERM. A name an arch does not have is skipped there, as libseccomp skips it.
 */
import { ERRNO, allow, errno, type ArgCondition, type SeccompProfile, type SeccompRule } from './profile.js';

/** Files, directories, descriptors and their I/O. */
const FILES = `
  access faccessat faccessat2 chdir fchdir getcwd chmod fchmod fchmodat fchmodat2 chown chown32 fchown
  fchown32 fchownat lchown lchown32 umask close close_range dup dup2 dup3 fcntl fcntl64 ioctl flock
  open openat openat2 creat name_to_handle_at read readv pread64 preadv preadv2 write writev pwrite64
  pwritev pwritev2 lseek _llseek readahead fadvise64 fadvise64_64 fallocate fsync fdatasync sync syncfs
  sync_file_range truncate truncate64 ftruncate ftruncate64 stat stat64 lstat lstat64 fstat fstat64
  fstatat64 newfstatat statx statfs statfs64 fstatfs fstatfs64 getdents getdents64 mkdir mkdirat rmdir
  mknod mknodat link linkat symlink symlinkat readlink readlinkat rename renameat renameat2 unlink
  unlinkat utime utimes utimensat utimensat_time64 futimesat copy_file_range sendfile sendfile64 splice
  tee vmsplice cachestat listmount statmount`;

/** Extended attributes. */
const XATTRS = `
  getxattr lgetxattr fgetxattr getxattrat setxattr lsetxattr fsetxattr setxattrat listxattr llistxattr
  flistxattr listxattrat removexattr lremovexattr fremovexattr removexattrat`;

/** Waiting for events: poll/select/epoll, eventfd, inotify, fanotify marks, pipes, timers as fds, AIO. */
const EVENTS = `
  poll ppoll ppoll_time64 select _newselect pselect6 pselect6_time64 epoll_create epoll_create1
  epoll_ctl epoll_ctl_old epoll_wait epoll_wait_old epoll_pwait epoll_pwait2 eventfd eventfd2
  inotify_init inotify_init1 inotify_add_watch inotify_rm_watch fanotify_mark signalfd signalfd4 pipe
  pipe2 timerfd_create timerfd_settime timerfd_settime64 timerfd_gettime timerfd_gettime64 io_setup
  io_destroy io_submit io_cancel io_getevents io_pgetevents io_pgetevents_time64`;

/** Processes and threads: creation (clone is below), exit, waits, ids, scheduling, limits, futexes. */
const PROCESSES = `
  fork vfork execve execveat exit exit_group wait4 waitid waitpid getpid getppid gettid getpgid setpgid
  getpgrp getsid setsid kill tkill tgkill pidfd_open pidfd_send_signal process_mrelease prctl capget
  capset seccomp set_tid_address get_robust_list set_robust_list get_thread_area set_thread_area rseq
  restart_syscall futex futex_time64 futex_wait futex_wake futex_requeue futex_waitv membarrier getcpu
  getrusage times sysinfo uname getpriority setpriority ioprio_get ioprio_set sched_yield
  sched_getaffinity sched_setaffinity sched_getattr sched_setattr sched_getparam sched_setparam
  sched_getscheduler sched_setscheduler sched_get_priority_max sched_get_priority_min
  sched_rr_get_interval sched_rr_get_interval_time64 getrlimit setrlimit ugetrlimit prlimit64
  landlock_create_ruleset landlock_add_rule landlock_restrict_self uretprobe map_shadow_stack
  riscv_hwprobe getrandom`;

/** User and group ids (what a process may change is the kernel's business: CAP_SETUID, CAP_SETGID). */
const IDENTITY = `
  getuid getuid32 geteuid geteuid32 getgid getgid32 getegid getegid32 getresuid getresuid32 getresgid
  getresgid32 getgroups getgroups32 setuid setuid32 setgid setgid32 setreuid setreuid32 setregid
  setregid32 setresuid setresuid32 setresgid setresgid32 setfsuid setfsuid32 setfsgid setfsgid32
  setgroups setgroups32`;

/** Memory mappings and locking. */
const MEMORY = `
  brk mmap mmap2 munmap mremap mprotect madvise mincore msync mlock mlock2 mlockall munlock munlockall
  remap_file_pages memfd_create memfd_secret mseal pkey_alloc pkey_free pkey_mprotect`;

/** Signals. */
const SIGNALS = `
  rt_sigaction rt_sigprocmask sigprocmask rt_sigpending rt_sigqueueinfo rt_tgsigqueueinfo rt_sigreturn
  sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 sigaltstack alarm pause`;

/** Reading clocks, sleeping, interval timers (setting the clock needs CAP_SYS_TIME, below). */
const TIME = `
  time gettimeofday clock_gettime clock_gettime64 clock_getres clock_getres_time64 clock_nanosleep
  clock_nanosleep_time64 nanosleep adjtimex clock_adjtime clock_adjtime64 getitimer setitimer
  timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime
  timer_settime64`;

/** Sockets once made (socket itself is below: some families are refused). */
const SOCKETS = `
  socketpair socketcall bind connect listen accept accept4 getsockname getpeername getsockopt
  setsockopt send sendto sendmsg sendmmsg recv recvfrom recvmsg recvmmsg recvmmsg_time64 shutdown`;

/** System V and POSIX IPC (the container has its own IPC namespace). */
const IPC = `
  ipc msgget msgctl msgsnd msgrcv semget semctl semop semtimedop semtimedop_time64 shmget shmctl shmat
  shmdt mq_open mq_unlink mq_timedsend mq_timedsend_time64 mq_timedreceive mq_timedreceive_time64
  mq_notify mq_getsetattr`;

const words = (text: string): string[] => text.trim().split(/\s+/);
const arg0 = (op: ArgCondition['op'], value: number, valueTwo = 0): ArgCondition => ({ index: 0, op, value: BigInt(value), valueTwo: BigInt(valueTwo) });
const whenCaps = (caps: string, names: string): SeccompRule => ({ names: words(names), action: allow, args: [], includes: { caps: [caps] } });

/** clone's namespace flags (CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET): only with CAP_SYS_ADMIN. */
const CLONE_NAMESPACE_FLAGS = 0x7e020000;

/** socket: every family but AF_ALG (38, the kernel's crypto API) and AF_VSOCK (40, the hypervisor's sockets), as Docker. */
const SOCKET_RULES: SeccompRule[] = [
  { names: ['socket'], action: allow, args: [arg0('LT', 38)] },
  { names: ['socket'], action: allow, args: [arg0('EQ', 39)] },
  { names: ['socket'], action: allow, args: [arg0('GT', 40)] },
];

/** personality: only Linux, PER_LINUX32, UNAME26 and their combination, and the query 0xffffffff. */
const PERSONALITY_RULES: SeccompRule[] = [0, 0x8, 0x20000, 0x20008, 0xffffffff].map((p) => ({ names: ['personality'], action: allow, args: [arg0('EQ', p)] }));

/** Syscalls of one architecture family (Docker's arch names). */
const ARCH_RULES: SeccompRule[] = [
  { names: ['arch_prctl'], action: allow, args: [], includes: { arches: ['amd64', 'x32'] } },
  { names: ['modify_ldt'], action: allow, args: [], includes: { arches: ['amd64', 'x32', 'x86'] } },
  { names: words('arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls'), action: allow, args: [], includes: { arches: ['arm', 'arm64'] } },
];

/** What a capability of the container's final set unlocks, as in Docker. */
const CAPABILITY_RULES: SeccompRule[] = [
  whenCaps('CAP_DAC_READ_SEARCH', 'open_by_handle_at'),
  whenCaps(
    'CAP_SYS_ADMIN',
    `bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie lsm_get_self_attr lsm_list_modules
     lsm_set_self_attr mount mount_setattr move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname
     sethostname setns syslog umount umount2 unshare`,
  ),
  whenCaps('CAP_SYS_BOOT', 'reboot'),
  whenCaps('CAP_SYS_CHROOT', 'chroot'),
  whenCaps('CAP_SYS_MODULE', 'delete_module init_module finit_module'),
  whenCaps('CAP_SYS_PACCT', 'acct'),
  whenCaps('CAP_SYS_PTRACE', 'kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace'),
  whenCaps('CAP_SYS_RAWIO', 'iopl ioperm'),
  whenCaps('CAP_SYS_TIME', 'settimeofday stime clock_settime clock_settime64'),
  whenCaps('CAP_SYS_TTY_CONFIG', 'vhangup'),
  whenCaps('CAP_SYS_NICE', 'get_mempolicy mbind set_mempolicy set_mempolicy_home_node'),
  whenCaps('CAP_SYSLOG', 'syslog'),
  whenCaps('CAP_BPF', 'bpf'),
  whenCaps('CAP_PERFMON', 'perf_event_open'),
];

/** Without CAP_SYS_ADMIN: clone without namespace flags; clone3 says ENOSYS (its flags are behind a pointer), so libc falls back to clone. */
const CLONE_RULES: SeccompRule[] = [
  { names: ['clone'], action: allow, args: [arg0('MASKED_EQ', CLONE_NAMESPACE_FLAGS, 0)], excludes: { caps: ['CAP_SYS_ADMIN'] } },
  { names: ['clone3'], action: errno(ERRNO.ENOSYS), args: [], excludes: { caps: ['CAP_SYS_ADMIN'] } },
];

/** ptrace and process_vm_* are safe for everyone since kernel 4.8 (seccomp can no longer be bypassed by ptrace). */
const PTRACE_RULE: SeccompRule = { names: words('ptrace process_vm_readv process_vm_writev'), action: allow, args: [], includes: { minKernel: '4.8' } };

/** hafen's default profile (the one every unprivileged container gets unless `seccomp=` says otherwise). */
export const DEFAULT_SECCOMP_PROFILE: SeccompProfile = {
  defaultAction: errno(ERRNO.EPERM),
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
  rules: [
    { names: [FILES, XATTRS, EVENTS, PROCESSES, IDENTITY, MEMORY, SIGNALS, TIME, SOCKETS, IPC].flatMap(words), action: allow, args: [] },
    PTRACE_RULE,
    ...SOCKET_RULES,
    ...PERSONALITY_RULES,
    ...ARCH_RULES,
    ...CAPABILITY_RULES,
    ...CLONE_RULES,
  ],
};
