import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { chooseRenderer } from './choose.js';
import { jsonRenderer } from './json.js';
import { plainRenderer } from './plain.js';
import { scriptedRun } from './test-run.js';
import { ttyRenderer } from './tty.js';
import type { Event } from '../executor/events.js';

function render(events: Event[], make: (write: (t: string) => void) => (e: Event) => void): string {
  let out = '';
  const sink = make((t) => (out += t));
  for (const e of events) sink(e);
  return out;
}

/** What a terminal shows after `text`: handles \n, \r, cursor up (CSI n A) and clear-down (CSI J). */
function screen(text: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\x1b') {
      const m = /^\x1b\[(\d*)([AJ])/.exec(text.slice(i))!;
      if (m[2] === 'A') row = Math.max(0, row - Number(m[1] || 1));
      else lines.length = row + 1;
      lines[row] = '';
      i += m[0].length - 1;
    } else if (ch === '\n') {
      row++;
      if (lines.length <= row) lines.push('');
    } else if (ch !== '\r') lines[row] += ch;
  }
  return lines.slice(0, -1);
}

describe('plain renderer', () => {
  it('says one line per meaningful step', async () => {
    expect(render(await scriptedRun(), plainRenderer)).toMatchInlineSnapshot(`
      "image shop-web  building
      image shop-web  step 1/2 FROM host (cached)
      network shop_default  created
      db       created
      migrate  created
      api-1    created
      api-2    created
      db       starting
      db       started
      db       ready (1.3s)
      migrate  starting
      migrate  started
      migrate  exited 0
      api-1    starting
      api-2    starting
      api-1    started
      api-2    started
      image shop-web  built (2.5s)
      web      created
      web      starting
      web      started
      done in 2.5s
      "
    `);
  });

  it('shows a failure in full, and what was not started', async () => {
    expect(render(await scriptedRun(3), plainRenderer)).toMatchInlineSnapshot(`
      "image shop-web  building
      image shop-web  step 1/2 FROM host (cached)
      network shop_default  created
      db       created
      migrate  created
      api-1    created
      api-2    created
      db       starting
      db       started
      db       ready (1.3s)
      migrate  starting
      migrate  started
      migrate  exited 3
      migrate  failed: service_completed_successfully: exited with code 3
      migrate  last log lines:
      migrate  | applying 001_init
      migrate  | boom
      image shop-web  built (2.5s)
      api-1    not started (migrate failed)
      api-2    not started (migrate failed)
      web      not started
      failed after 2.5s
      "
    `);
  });
});

describe('json renderer', () => {
  it('writes one parseable object per line, v, kind and time first', async () => {
    const events = await scriptedRun(3);
    const lines = render(events, jsonRenderer).trimEnd().split('\n');
    expect(lines).toHaveLength(events.length);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed).toEqual(events.map((e) => ({ v: 1, ...e })));
    for (const p of parsed) expect(Object.keys(p).slice(0, 3)).toEqual(['v', 'kind', 'time']);
    expect(lines.filter((l) => /"kind":"(op-failed|plan-done)"/.test(l))).toMatchInlineSnapshot(`
      [
        "{"v":1,"kind":"op-failed","time":1600,"id":8,"operation":"wait-exit","resource":"service:migrate","detail":"exit 0","service":"migrate","name":"migrate","ms":300,"error":{"code":"E_READINESS","message":"service migrate: service_completed_successfully failed: exited with code 3\\nlast log lines of migrate:\\n  applying 001_init\\n  boom","service":"migrate","check":"service_completed_successfully","reason":"exited with code 3","logTail":["applying 001_init","boom"]}}",
        "{"v":1,"kind":"plan-done","time":2500,"ok":false,"ms":2500,"error":{"code":"E_READINESS","message":"service migrate: service_completed_successfully failed: exited with code 3\\nlast log lines of migrate:\\n  applying 001_init\\n  boom","service":"migrate","check":"service_completed_successfully","reason":"exited with code 3","logTail":["applying 001_init","boom"]}}",
      ]
    `);
  });
});

describe('tty renderer', () => {
  it('keeps finished lines and ends with every line in its final state', async () => {
    const out = render(await scriptedRun(), (w) => ttyRenderer({ write: w, columns: 80 }, new Chalk({ level: 0 })));
    expect(out).toContain('\x1b[');
    expect(screen(out)).toMatchInlineSnapshot(`
      [
        "✔ network shop_default  created",
        "✔ db       ready (1.3s)",
        "✔ migrate  exited 0",
        "✔ image shop-web  built (2.5s)",
        "✔ api-1    started",
        "✔ api-2    started",
        "✔ web      started",
        "done in 2.5s",
      ]
    `);
  });

  it('shows a failure with its log lines, and what was not started', async () => {
    const out = render(await scriptedRun(3), (w) => ttyRenderer({ write: w, columns: 80 }, new Chalk({ level: 0 })));
    expect(screen(out)).toMatchInlineSnapshot(`
      [
        "✔ network shop_default  created",
        "✔ db       ready (1.3s)",
        "✘ migrate  exited 3",
        "           last log lines:",
        "           | applying 001_init",
        "           | boom",
        "✔ image shop-web  built (2.5s)",
        "· api-1    not started (migrate failed)",
        "· api-2    not started (migrate failed)",
        "· web      not started",
        "failed after 2.5s",
      ]
    `);
  });

  it('colours only when the chalk instance does', async () => {
    const events = await scriptedRun();
    const plainColour = render(events, (w) => ttyRenderer({ write: w }, new Chalk({ level: 0 })));
    const coloured = render(events, (w) => ttyRenderer({ write: w }, new Chalk({ level: 1 })));
    expect(plainColour).not.toMatch(/\x1b\[3\dm/);
    expect(coloured).toMatch(/\x1b\[32m✔/);
  });

  it('cuts lines to the terminal width and sums up rows beyond its height', async () => {
    const out = render(await scriptedRun(), (w) => ttyRenderer({ write: w, columns: 20, rows: 3 }, new Chalk({ level: 0 })));
    for (const line of screen(out)) expect(line.length).toBeLessThan(20);
    expect(out).toContain('more');
  });
});

describe('chooseRenderer', () => {
  const chalk = new Chalk({ level: 0 });
  const pick = async (mode: 'auto' | 'tty' | 'plain' | 'json', isTTY: boolean) =>
    render(await scriptedRun(), (w) => chooseRenderer(mode, { write: w, isTTY }, chalk));

  it.each([
    ['auto', true, 'tty'],
    ['auto', false, 'plain'],
    ['tty', true, 'tty'],
    ['tty', false, 'plain'],
    ['plain', true, 'plain'],
    ['json', true, 'json'],
  ] as const)('%s on a terminal=%s → %s', async (mode, isTTY, kind) => {
    const out = await pick(mode, isTTY);
    const seen = out.startsWith('{') ? 'json' : out.includes('\x1b[') ? 'tty' : 'plain';
    expect(seen).toBe(kind);
  });
});
