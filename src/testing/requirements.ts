/**
 * What a test needs from the machine (root, overlayfs, a command), for `describe.skipIf`:
 *
 *   describe.skipIf(unmet(requireRoot(), requireOverlay()))('applying layers', () => { ... })
 *
 * Under CI=true a missing requirement fails the test file, naming what is missing; elsewhere the
 * tests are skipped with one line saying what is missing (DESIGN.md, "Tests and CI").
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Something a test needs; `check` returns why it is missing, or undefined when present. */
export interface Requirement {
  name: string;
  check(): string | undefined;
}

const cache = new Map<string, string | undefined>();
function cached(name: string, check: () => string | undefined): Requirement {
  return {
    name,
    check: () => {
      if (!cache.has(name)) cache.set(name, check());
      return cache.get(name);
    },
  };
}

/** Running as root (uid 0). */
export function requireRoot(): Requirement {
  return cached('root', () => (process.getuid?.() === 0 ? undefined : `running as uid ${process.getuid?.() ?? '?'}, not root`));
}

/** overlayfs can be mounted here (tried for real once: lower, upper, work, unmounted at once). */
export function requireOverlay(): Requirement {
  return cached('overlayfs', () => {
    const notRoot = requireRoot().check();
    if (notRoot) return `mounting overlayfs needs root (${notRoot})`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-overlay-check-'));
    try {
      for (const d of ['lower', 'upper', 'work', 'merged']) fs.mkdirSync(path.join(dir, d));
      const opts = `lowerdir=${dir}/lower,upperdir=${dir}/upper,workdir=${dir}/work`;
      execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', opts, `${dir}/merged`], { stdio: 'pipe' });
      execFileSync('umount', [`${dir}/merged`], { stdio: 'pipe' });
      return undefined;
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
      return `cannot mount overlayfs: ${stderr || (err as Error).message}`;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** A command on PATH (`name --version` runs). */
export function requireCommand(name: string): Requirement {
  return cached(`command ${name}`, () => {
    const r = spawnSync(name, ['--version'], { stdio: 'ignore' });
    return r.error ? `${name} is not installed` : undefined;
  });
}

/** A file on this machine (`what` says which package brings it). */
export function requireFile(file: string, what: string): Requirement {
  return cached(`file ${file}`, () => (fs.existsSync(file) ? undefined : `${file} is missing (${what})`));
}

/**
 * True when some requirement is missing, so the suite is skipped (printing what is missing);
 * under CI=true it throws instead, failing the file with the same words.
 */
export function unmet(...requirements: Requirement[]): boolean {
  const missing = requirements.flatMap((r) => {
    const why = r.check();
    return why === undefined ? [] : [`${r.name} (${why})`];
  });
  if (missing.length === 0) return false;
  const message = `needs ${missing.join(', ')}`;
  if (process.env.CI === 'true') throw new Error(`CI=true and this machine lacks what these tests need: ${message}`);
  console.warn(`skipped: ${message}`);
  return true;
}
