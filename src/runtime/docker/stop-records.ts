/**
 * Which exited containers hafen stopped (stop, kill, down's stops), for the engine does not say:
 * Docker's inspect shows a container that exited 0 on SIGTERM exactly as a one-shot that finished.
 * The planner keeps finished one-shots and starts stopped services again, so `up` after `stop`
 * needs to know. One small file per container ID holding the StartedAt of the run that was
 * stopped: a later run (a new StartedAt) is not taken for stopped; removing the container forgets it.
 */
import fs from 'node:fs';
import path from 'node:path';

export class StopRecords {
  constructor(private readonly dir: string) {}

  private file(id: string): string | undefined {
    return /^[0-9a-f]{12,64}$/.test(id) ? path.join(this.dir, id) : undefined;
  }

  /** Notes that hafen is stopping the run of container `id` that started at `startedAt`. */
  note(id: string, startedAt: string): void {
    const file = this.file(id);
    if (!file) return;
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, startedAt, { mode: 0o600 });
    } catch {
      // Without a writable state folder the container is read as before: a stop looks like an exit.
    }
  }

  /** Whether hafen stopped the run of `id` that started at `startedAt`. */
  stopped(id: string, startedAt: string | undefined): boolean {
    const file = this.file(id);
    if (!file || !startedAt) return false;
    try {
      return fs.readFileSync(file, 'utf8') === startedAt;
    } catch {
      return false;
    }
  }

  /** Forgets container `id` (removed). */
  forget(id: string): void {
    const file = this.file(id);
    if (file) fs.rmSync(file, { force: true });
  }
}
