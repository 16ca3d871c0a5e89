#!/usr/bin/env node
/**
 * `prepare`: builds the package where it is installed from its sources (a git clone, `npm install
 * -g .`, a git dependency), so `stack` works there. npm links a folder install without installing
 * its devDependencies; when TypeScript is missing here they are installed first (scripts off).
 * From the registry's tarball this never runs: that is built already.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.env.npm_execpath;
// The outer npm's settings (`-g`, its prefix) must not reach these: they work in this folder.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k)));
const run = (args) =>
  npm
    ? execFileSync(process.execPath, [npm, ...args], { cwd: root, stdio: 'inherit', env })
    : execFileSync('npm', args, { cwd: root, stdio: 'inherit', env });

// The build needs TypeScript, esbuild (the bundle) and dts-bundle-generator (its types).
const tools = ['typescript/bin/tsc', 'esbuild/package.json', 'dts-bundle-generator/package.json'];
if (!tools.every((t) => fs.existsSync(path.join(root, 'node_modules', t)))) {
  console.log('hafen: installing the build tools (devDependencies) to build from source');
  run(['install', '--include=dev', '--ignore-scripts', '--no-audit', '--no-fund']);
}
run(['run', 'build']);
