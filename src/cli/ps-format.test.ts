/** `ps --format`: the template subset (fields, json, table alignment) and what it refuses. */
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { composeContainer, humanDuration } from './compose-container.js';
import { alignColumns, psFormatValue, renderTemplate, type PsFormat } from './ps-format.js';
import type { ContainerInfo } from '../runtime/runtime.js';

const now = Date.parse('2026-12-05T12:00:00Z');
const info = (over: Partial<ContainerInfo> = {}): ContainerInfo => ({
  id: 'a'.repeat(64),
  name: 'shop-web-1',
  image: 'busybox',
  labels: { 'io.hafen.project': 'shop', 'io.hafen.service': 'web' },
  state: 'running',
  health: 'none',
  oomKilled: false,
  createdAt: '2026-12-05T11:58:00Z',
  startedAt: '2026-12-05T11:59:55Z',
  ports: [{ target: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8080 }],
  addresses: { shop_default: '10.0.0.2' },
  host: 'embedded',
  command: ['httpd', '-f'],
  ...over,
});
const template = (text: string) => psFormatValue(text) as Extract<PsFormat, { kind: 'template' }>;

describe('psFormatValue', () => {
  it('knows json and table, and reads anything else as a template', () => {
    expect(psFormatValue('json')).toEqual({ kind: 'json' });
    expect(psFormatValue('table')).toEqual({ kind: 'table' });
    expect(psFormatValue('pretty')).toEqual({ kind: 'table' });
    expect(psFormatValue('{{.Name}}\\t{{ .State }}')).toEqual({
      kind: 'template',
      table: false,
      parts: [{ field: 'Name', json: false }, { text: '\t' }, { field: 'State', json: false }],
    });
    expect(template('table {{.Name}}').table).toBe(true);
  });

  it.each([
    ['{{.Nmae}}', 'unknown field .Nmae; fields: ID, Name,'],
    ['{{.Name', 'unclosed action'],
    ['{{range .Labels}}{{end}}', 'is not supported'],
    ['{{.}}', 'prints nothing useful'],
    ['{{index .Labels "x"}}', 'is not supported'],
  ])('refuses %s', (text, message) => {
    expect(() => psFormatValue(text)).toThrow(InvalidArgumentError);
    expect(() => psFormatValue(text)).toThrow(message);
  });
});

describe('renderTemplate', () => {
  const c = composeContainer(info(), now, 'ready');

  it('substitutes fields, one line per container', () => {
    expect(renderTemplate(template('{{.Name}} {{.State}} {{.Health}} {{.Ports}}'), [c])).toEqual(['shop-web-1 running healthy 127.0.0.1:8080->80/tcp']);
    expect(renderTemplate(template('{{.Publishers}}|{{.ExitCode}}|{{.Command}}'), [c])).toEqual(['[{127.0.0.1 80 8080 tcp}]|0|httpd -f']);
  });

  it('prints a field or the whole container as JSON', () => {
    expect(renderTemplate(template('{{json .Publishers}}'), [c])).toEqual(['[{"URL":"127.0.0.1","TargetPort":80,"PublishedPort":8080,"Protocol":"tcp"}]']);
    expect(JSON.parse(renderTemplate(template('{{json .}}'), [c])[0]!)).toEqual(c);
  });

  it('heads and aligns a table, as Docker lays it out', () => {
    const other = composeContainer(info({ name: 'shop-database-1', state: 'exited', exitCode: 3, finishedAt: '2026-12-05T11:59:00Z' }), now);
    const id = 'a'.repeat(64);
    expect(renderTemplate(template('table {{.Name}}\\t{{.Status}}\\t{{.ID}}'), [c, other])).toEqual([
      'NAME              STATUS                          CONTAINER ID',
      `shop-web-1        Up 5 seconds (healthy)          ${id}`,
      `shop-database-1   Exited (3) About a minute ago   ${id}`,
    ]);
  });

  it('aligns tab-separated cells three spaces apart', () => {
    expect(alignColumns(['A\tBB\tC', 'AAAA\tB\tCC'])).toEqual(['A      BB   C', 'AAAA   B    CC']);
  });
});

describe("Compose's field values", () => {
  it('reads state, status and health as Docker writes them', () => {
    const c = composeContainer(info(), now);
    expect(c).toMatchObject({ ID: 'a'.repeat(64), Name: 'shop-web-1', Project: 'shop', Service: 'web', State: 'running', Health: '', Status: 'Up 5 seconds', ExitCode: 0 });
    expect(c.CreatedAt).toBe('2026-12-05 11:58:00 +0000 UTC');
    expect(c.RunningFor).toBe('2 minutes ago');
    expect(c.Labels).toBe('io.hafen.project=shop,io.hafen.service=web');
    expect(composeContainer(info({ state: 'created' }), now).Status).toBe('Created');
    expect(composeContainer(info({ health: 'unhealthy' }), now, 'ready').Health).toBe('unhealthy');
    expect(composeContainer(info(), now, 'checking').Health).toBe('starting');
    expect(composeContainer(info(), now, 'unready').Health).toBe('unhealthy');
  });

  it("says durations as Docker's go-units does", () => {
    expect([0, 1000, 59_000, 60_000, 119_000, 3_599_000, 3_600_000, 47 * 3_600_000, 48 * 3_600_000, 15 * 86_400_000, 70 * 86_400_000, 800 * 86_400_000].map(humanDuration)).toEqual([
      'Less than a second',
      '1 second',
      '59 seconds',
      'About a minute',
      'About a minute',
      '59 minutes',
      'About an hour',
      '47 hours',
      '2 days',
      '2 weeks',
      '2 months',
      '2 years',
    ]);
  });
});
