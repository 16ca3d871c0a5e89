import fs from 'node:fs';
import path from 'node:path';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { asksJsonProgress, errorLine, jsonProgressOutput, messageLine } from '../cli/json-progress.js';
import { commandAfterService } from '../cli/program.js';
import { CONTAINER_EVENT_ACTIONS, Label } from '../runtime/runtime.js';
import { jsonRenderer } from './json.js';
import { containerEventLine, PROGRESS_KINDS } from './machine-lines.js';

const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/machine-output.md'), 'utf8');

/** The backticked words in the first column of the table under `heading`. */
function firstColumn(heading: string): string[] {
  const section = doc.slice(doc.indexOf(heading));
  const table = section.slice(section.indexOf('\n|'), section.indexOf('\n\n', section.indexOf('\n|') + 1));
  return table
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .flatMap((l) => [...l.split('|')[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
}

describe('docs/machine-output.md', () => {
  it('lists exactly the kinds of --progress json lines', () => {
    expect(firstColumn('## `--progress json`').sort()).toEqual([...PROGRESS_KINDS].sort());
  });

  it('lists exactly the actions of stack events', () => {
    expect(firstColumn('The actions:').sort()).toEqual([...CONTAINER_EVENT_ACTIONS].sort());
  });

  it('is linked from the README', () => {
    expect(fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8')).toContain('docs/machine-output.md');
  });
});

describe('machine lines', () => {
  it('the JSON renderer puts v first on every event', () => {
    const lines: string[] = [];
    jsonRenderer((t) => void lines.push(t))({ kind: 'plan-done', time: 5, ok: true, ms: 1 });
    expect(lines).toEqual(['{"v":1,"kind":"plan-done","time":5,"ok":true,"ms":1}\n']);
  });

  it('sentences become message lines, warnings by their prefix, without colour', () => {
    const written: string[] = [];
    const out = jsonProgressOutput({ out: () => {}, err: () => {}, color: new Chalk({ level: 1 }) }, (t) => void written.push(t));
    out.err(out.color.yellow('warning: The "X" variable is not set.'));
    out.err('shop is up.\n');
    expect(written.map((l) => JSON.parse(l) as unknown)).toEqual([
      { v: 1, kind: 'message', time: expect.any(Number), level: 'warning', text: 'The "X" variable is not set.' },
      { v: 1, kind: 'message', time: expect.any(Number), level: 'info', text: 'shop is up.' },
    ]);
    expect(messageLine('x', 7)).toEqual({ v: 1, kind: 'message', time: 7, level: 'info', text: 'x' });
    expect(errorLine({ code: 'E_USAGE', message: 'bad', exitCode: 2 }, 7)).toEqual({ v: 1, kind: 'error', time: 7, code: 'E_USAGE', message: 'bad', exitCode: 2 });
  });

  it('--progress json is found anywhere before --, the last one winning', () => {
    expect(asksJsonProgress(['up', '--progress', 'json'])).toBe(true);
    expect(asksJsonProgress(['--progress=json', 'down'])).toBe(true);
    expect(asksJsonProgress(['--progress', 'plain', 'up', '--progress', 'json'])).toBe(true);
    expect(asksJsonProgress(['--progress', 'json', 'up', '--progress', 'plain'])).toBe(false);
    expect(asksJsonProgress(['run', 'web', '--', 'x', '--progress', 'json'])).toBe(false);
    // `run`'s command keeps its own options (main() reads argv as commandAfterService gives it).
    expect(asksJsonProgress(commandAfterService(['run', 'web', 'echo', '--progress', 'json']))).toBe(false);
    expect(asksJsonProgress(commandAfterService(['--progress', 'json', 'run', 'web', 'echo']))).toBe(true);
  });

  it('a container event as a line of stack events --json, attributes as text', () => {
    const line = containerEventLine(
      { time: '2026-12-05T00:00:00.000Z', action: 'die', id: 'abc', name: 'shop-web-1', image: 'busybox', labels: { [Label.service]: 'web' }, exitCode: 3 },
      Label.service,
    );
    expect(line).toEqual({ v: 1, time: '2026-12-05T00:00:00.000Z', type: 'container', action: 'die', id: 'abc', service: 'web', attributes: { name: 'shop-web-1', image: 'busybox', exitCode: '3' } });
  });
});
