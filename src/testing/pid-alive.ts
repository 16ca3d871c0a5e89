/** Whether process `pid` exists (signal 0): the tests' check that a forwarder or an sshd is gone. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
