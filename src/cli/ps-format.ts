/**
 * `ps --format json|table|TEMPLATE`, as Compose and Docker's CLI take it. A TEMPLATE is the part of
 * Go's text/template that ps formats use: `{{.Field}}` (and `{{json .Field}}`, `{{json .}}`) with
 * Compose's field names, `\t` and `\n` as escapes, and a `table ` prefix that heads and aligns the
 * columns. Anything else is refused while the option is read, so a typo never prints half a table.
 */
import { InvalidArgumentError } from 'commander';
import { COMPOSE_FIELDS, COMPOSE_HEADERS, type ComposeContainer, type ComposeField } from './compose-container.js';

/** A piece of a template: literal text, or one field (as JSON with `{{json …}}`; `.` is the whole container). */
export type TemplatePart = { text: string } | { field: ComposeField | '.'; json: boolean };

/** What `--format` asked for: hafen's own table, JSON lines, or a template (a table when it began with `table`). */
export type PsFormat = { kind: 'table' } | { kind: 'json' } | { kind: 'template'; table: boolean; parts: TemplatePart[] };

const FIELDS: ReadonlySet<string> = new Set(COMPOSE_FIELDS);
/** `{{ .Name }}`, `{{json .Ports}}`, `{{json .}}`: the actions this subset knows. */
const ACTION = /^\s*(?:(json)\s+)?\.([A-Za-z]*)\s*$/;

/** Parses a `--format` value; a malformed one is a usage error naming what is wrong. */
export function psFormatValue(text: string): PsFormat {
  if (text === 'table' || text === 'pretty' || text === '') return { kind: 'table' }; // `pretty`: Compose's older name
  if (text === 'json') return { kind: 'json' };
  const table = /^table\s/.test(text);
  return { kind: 'template', table, parts: parseTemplate(table ? text.replace(/^table\s+/, '') : text) };
}

/** The parts of a template; throws InvalidArgumentError on an unknown field or an action it cannot run. */
export function parseTemplate(template: string): TemplatePart[] {
  const source = template.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const parts: TemplatePart[] = [];
  let at = 0;
  while (at < source.length) {
    const open = source.indexOf('{{', at);
    if (open < 0) {
      parts.push({ text: source.slice(at) });
      break;
    }
    if (open > at) parts.push({ text: source.slice(at, open) });
    const close = source.indexOf('}}', open + 2);
    if (close < 0) throw new InvalidArgumentError(`unclosed action at "${source.slice(open, open + 20)}": a template field reads {{.Name}}.`);
    const inner = source.slice(open + 2, close);
    const m = ACTION.exec(inner);
    if (!m) throw new InvalidArgumentError(`{{${inner}}} is not supported: a template here takes {{.Field}} and {{json .Field}}; fields: ${COMPOSE_FIELDS.join(', ')}.`);
    const name = m[2]!;
    if (name === '' && !m[1]) throw new InvalidArgumentError(`{{${inner}}} prints nothing useful: name a field ({{.Name}}) or use {{json .}}.`);
    if (name !== '' && !FIELDS.has(name)) throw new InvalidArgumentError(`unknown field .${name}; fields: ${COMPOSE_FIELDS.join(', ')}.`);
    parts.push({ field: name === '' ? '.' : (name as ComposeField), json: m[1] !== undefined });
    at = close + 2;
  }
  return parts;
}

/** The lines a template prints for `containers`: one each, under a header and aligned when it is a table. */
export function renderTemplate(format: Extract<PsFormat, { kind: 'template' }>, containers: readonly ComposeContainer[]): string[] {
  const rendered = containers.map((c) => format.parts.map((p) => ('text' in p ? p.text : fieldText(c, p))).join(''));
  if (!format.table) return rendered;
  const header = format.parts.map((p) => ('text' in p ? p.text : p.field === '.' ? '' : COMPOSE_HEADERS[p.field])).join('');
  return alignColumns([header, ...rendered]);
}

function fieldText(c: ComposeContainer, part: { field: ComposeField | '.'; json: boolean }): string {
  const value = part.field === '.' ? c : c[part.field];
  if (part.json) return JSON.stringify(value);
  if (part.field === 'Publishers') return `[${c.Publishers.map((p) => `{${p.URL} ${p.TargetPort} ${p.PublishedPort} ${p.Protocol}}`).join(' ')}]`;
  return String(value);
}

/** Tab-separated cells padded into columns three spaces apart, as Docker's tabwriter lays out a table. */
export function alignColumns(lines: readonly string[]): string[] {
  const rows = lines.flatMap((l) => l.split('\n')).map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const row of rows) row.slice(0, -1).forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]! + 3) : cell)).join('').trimEnd());
}
