/** The parsers of Compose's `up`, `down` and `logs` flag values, and how an attached up prints log lines with them. */
import { Chalk } from 'chalk';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { Event } from '../executor/events.js';
import { attachedLogSink, withoutPullProgress } from './up-output.js';
import { scaleValue, serviceListValue, untilValue } from './option-values.js';

describe('option values', () => {
  it('--scale SERVICE=NUM, repeated, 0 allowed; anything else refused', () => {
    expect(scaleValue('web=3', scaleValue('db=0'))).toEqual({ db: 0, web: 3 });
    expect(scaleValue('web=1', { web: 3 })).toEqual({ web: 1 });
    for (const bad of ['web', 'web=', '=3', 'web=-1', 'web=1.5', 'web=two', 'web=3=4', 'we b=2']) {
      expect(() => scaleValue(bad), bad).toThrow(InvalidArgumentError);
    }
  });

  it('--attach/--no-attach gather service names', () => {
    expect(serviceListValue('db', serviceListValue('web'))).toEqual(['web', 'db']);
    expect(() => serviceListValue('-x')).toThrow(InvalidArgumentError);
  });

  it('--until takes an ISO time or a duration ago', () => {
    expect(untilValue('2026-12-05T10:00:00Z')).toBe('2026-12-05T10:00:00Z');
    const ago = untilValue('5m') as number;
    expect(Math.abs(Date.now() - 300_000 - ago)).toBeLessThan(1000);
    expect(() => untilValue('yesterday')).toThrow(InvalidArgumentError);
  });
});

describe('attached log lines', () => {
  const log = (name: string, text: string, time: number): Event => ({ kind: 'log', time, service: name, name, stream: 'stdout', text });
  const plain = new Chalk({ level: 0 });

  it('leaves them to the renderer unless asked otherwise, and always in JSON', () => {
    const sink = () => {};
    expect(attachedLogSink(sink, { prefix: true, timestamps: false }, false, () => {}, plain)).toBe(sink);
    expect(attachedLogSink(sink, { prefix: false, timestamps: true }, true, () => {}, plain)).toBe(sink);
  });

  it('--no-log-prefix prints the text alone; --timestamps puts the line\'s time first; other events pass on', () => {
    const lines: string[] = [];
    const passed: Event[] = [];
    const t = Date.parse('2026-12-05T10:00:00.250Z');
    const bare = attachedLogSink((e) => passed.push(e), { prefix: false, timestamps: false }, false, (l) => lines.push(l), plain);
    bare(log('web', 'hello', t));
    bare({ kind: 'plan-done', time: t, ok: true, ms: 5 } as Event);
    const stamped = attachedLogSink(() => {}, { prefix: true, timestamps: true }, false, (l) => lines.push(l), plain);
    stamped(log('db', 'ready', t));
    stamped(log('web-2', 'up', t));
    expect(lines).toEqual(['hello', 'db | 2026-12-05T10:00:00.250Z ready', 'web-2 | 2026-12-05T10:00:00.250Z up']);
    expect(passed.map((e) => e.kind)).toEqual(['plan-done']);
  });
});

describe('--quiet-pull', () => {
  it('drops the progress lines of pulls only', () => {
    const seen: string[] = [];
    const sink = withoutPullProgress((e) => seen.push(e.kind === 'op-progress' ? `${e.operation}: ${e.text}` : e.kind));
    const op = { id: 1, resource: 'image:redis:7', time: 0 };
    sink({ kind: 'op-start', operation: 'pull-image', ...op } as Event);
    sink({ kind: 'op-progress', operation: 'pull-image', text: 'layer 1/3', ...op } as Event);
    sink({ kind: 'op-progress', operation: 'build-image', text: 'step 1/2', ...op } as Event);
    sink({ kind: 'op-done', operation: 'pull-image', ms: 5, ...op } as Event);
    expect(seen).toEqual(['op-start', 'build-image: step 1/2', 'op-done']);
  });
});
