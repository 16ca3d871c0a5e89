/** The `stack` command line as a user meets it: help, version, usage errors, common options anywhere. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, stack } from './cli.js';

const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };

describe('stack (no stack file needed)', () => {
  it('--version prints the package version', () => {
    const r = stack(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it.each([[], ['config'], ['plan']])('--help works for %j', (...cmd) => {
    const r = stack([...cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: stack/);
  });

  it('no command prints help and exits 2', () => {
    const r = stack([]);
    expect(r.code).toBe(2);
  });

  it('an unknown command is bad usage with a suggestion', () => {
    const r = stack(['plna']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'plna'");
    expect(r.stderr).toContain('plan');
  });

  it('an unknown option is bad usage', () => {
    const r = stack(['plan', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a bad --runtime is bad usage', () => {
    const r = stack(['plan', '--runtime', 'podman']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/podman/);
  });

  it('no stack file in the folder says what was looked for', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-empty-'));
    try {
      const r = stack(['config'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/stack\.yaml/);
      expect(r.stderr).toMatch(/compose\.yaml/);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});

describe('stack on stack.example.yaml', () => {
  const file = 'stack.example.yaml';

  it('common options work before and after the command', () => {
    const before = stack(['-f', file, '-p', 'demo', 'plan']);
    const after = stack(['plan', '-f', file, '-p', 'demo']);
    expect(before.code, before.stderr).toBe(0);
    expect(after.stdout).toBe(before.stdout);
    expect(before.stdout).toContain('network:demo_backend');
  });

  it('config prints a normalized file that loads again to the same result', () => {
    const first = stack(['-f', file, 'config']);
    expect(first.code, first.stderr).toBe(0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-config-'));
    try {
      fs.writeFileSync(path.join(dir, 'stack.yaml'), first.stdout);
      const again = stack(['config'], { cwd: dir });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toBe(first.stdout);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('config --json has every service with long forms', () => {
    const r = stack(['-f', file, 'config', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc.services)).toEqual(['db', 'cache', 'migrate', 'api', 'worker', 'web', 'e2e']);
    expect(doc.services.web.ports).toEqual([{ target: 80, host_ip: '127.0.0.1', protocol: 'tcp' }]);
  });

  it('config -q prints nothing and exits 0', () => {
    expect(stack(['-f', file, 'config', '-q'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('plan web includes what web depends on; --no-deps does not', () => {
    const withDeps = stack(['-f', file, 'plan', 'web']).stdout;
    expect(withDeps).toContain('container:shop-db-1');
    expect(withDeps).not.toContain('container:shop-e2e-1');
    const alone = stack(['-f', file, 'plan', 'web', '--no-deps']).stdout;
    expect(alone).toContain('container:shop-web-1');
    expect(alone).not.toContain('container:shop-db-1');
  });

  it('plan of an unknown service is bad usage with a suggestion', () => {
    const r = stack(['-f', file, 'plan', 'wbe']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('did you mean "web"');
  });

  it('plan --json and --dot describe the same nodes', () => {
    const json = JSON.parse(stack(['-f', file, 'plan', '--json']).stdout) as { nodes: { id: number }[] };
    const dot = stack(['-f', file, 'plan', '--dot']).stdout;
    expect(dot).toMatch(/^digraph/);
    for (const n of json.nodes) expect(dot).toContain(`n${n.id}`);
  });
});
