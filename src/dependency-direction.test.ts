/**
 * Imports run downward: the CLI sits on top of everything, src/format/ at the bottom. A module below
 * the CLI that imports from src/cli/ (as the dashboard once took formatUptime from `ps`) ties the
 * library and the dashboard to the command line; this test names every such import.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.dirname(fileURLToPath(import.meta.url));

/** Every .ts/.tsx file under src/, relative to src/ with `/` separators. */
function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path.relative(SRC, full).split(path.sep).join('/')] : [];
  });
}

/** The src/-relative targets of a file's relative imports: static, `export … from`, dynamic and type-only. */
function importsOf(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]+)\1/gm)].map((m) => m[2]!);
  return specifiers.map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(file), s)));
}

const graph = sources().map((file) => ({ file, imports: importsOf(file, readFileSync(path.join(SRC, file), 'utf8')) }));
const under = (dir: string) => (p: string) => p.startsWith(`${dir}/`);
const isTest = (file: string) => /\.test\.tsx?$/.test(file);

describe('dependency direction', () => {
  it('sees the imports it checks (static, dynamic, re-exports)', () => {
    expect(importsOf('dashboard/format.ts', "import { a } from '../format/uptime.js';\nconst b = await import('../cli/x.js');\nexport { c } from './y.js';")).toEqual([
      'format/uptime.js',
      'cli/x.js',
      'dashboard/y.js',
    ]);
    expect(graph.length).toBeGreaterThan(100);
    expect(graph.find((g) => g.file === 'dashboard/format.ts')?.imports).toContain('format/uptime.js');
  });

  it('nothing outside src/cli/ imports from src/cli/ (tests aside; the package entry too)', () => {
    const upward = graph.filter((g) => !under('cli')(g.file) && !isTest(g.file)).flatMap((g) => g.imports.filter(under('cli')).map((i) => `${g.file} -> ${i}`));
    expect(upward).toEqual([]);
  });

  it('the image commands and completion reach the runtimes through src/orchestrator/, never an implementation (the embedded store, dockerode)', () => {
    const imageCommands = new Set(['cli/commands/images.ts', 'cli/commands/image.ts', 'cli/commands/build.ts', 'cli/commands/completion.ts']);
    const direct = graph
      .filter((g) => (imageCommands.has(g.file) || under('cli/completion')(g.file)) && !isTest(g.file))
      .flatMap((g) => g.imports.filter((i) => under('runtime/embedded')(i) || under('runtime/docker')(i)).map((i) => `${g.file} -> ${i}`));
    expect(direct).toEqual([]);
  });

  it('src/format/ imports nothing else of hafen', () => {
    const outward = graph.filter((g) => under('format')(g.file)).flatMap((g) => g.imports.filter((i) => !under('format')(i)).map((i) => `${g.file} -> ${i}`));
    expect(outward).toEqual([]);
  });
});
