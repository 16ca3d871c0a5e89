#!/usr/bin/env node
/**
 * Bundles hafen into the few files the package ships (issue 15: file count; issue 16: start-up):
 *   dist/cli.cjs        `stack` / `hafen`: a CommonJS script (no ES module loader to start) that
 *                       runs dist/cli-bundle.cjs through V8's code cache (src/code-cache.ts)
 *   dist/cli-bundle.cjs the CLI's hot part as one CommonJS file (src/cli/run-main.ts, all it imports
 *                       statically, and what config, ps and port load: HOT_ENTRIES), with its code
 *                       cache for the building Node beside it (*.cache), made by running `config -q`
 *                       on stack.example.yaml once
 *   dist/cli-cold.cjs   the rest of the CLI (up/down's executor, runtimes, dashboard, build,
 *                       registry), read only when a command imports one of its modules (splitCli)
 *   dist/cli-early.cjs  a user without root's move into its namespaces, before the bundle loads
 *   dist/cli.js         the same CLI for `node dist/cli.js` (an ES module door to dist/cli.cjs)
 *   dist/supervisor.js  the per-project supervisor, spawned by path (src/supervisor/spawn.ts)
 *   dist/rootless-net.js  the rootless network keeper and relay, spawned by path (rootless/network-lifecycle.ts)
 *   dist/index.js       the library (ES module), dist/index.cjs its CommonJS door
 *   dist/chunks/*.js    code those share, and each command's modules, loaded when a command runs
 *   dist/index.d.ts, dist/index.d.cts   the public types, one file each
 * Commands import what they need with `import()`, so with code splitting `stack config -q` loads
 * neither dockerode, nor Ink, nor the image or registry code; in the CLI's two bundles those
 * modules are in the cold one, read and run only when imported, and the externals are `require`d
 * only then. Ink is
 * ES modules only: the CLI bundle's `ink` is the module src/esm-preload.ts imported before the
 * dashboard (src/dashboard/load.ts).
 *
 * Bundled in: pure-JS dependencies on the start-up path (commander, yaml, chalk, p-queue), so a
 * command reads a few files instead of a hundred. Kept outside (resolved from node_modules):
 *  - dockerode: its ssh2 transport has optional native parts (cpu-features, sshcrypto) found by
 *    `require` at run time, and protobufjs (via @grpc) loads files by path;
 *  - ink, react: Ink loads yoga's WebAssembly, and react picks its build by NODE_ENV at run time;
 *    both are loaded only by the tty/dashboard renderers;
 *  - tar-stream: only the image code uses it, so it costs nothing where it is not needed.
 * Minified (whitespace and syntax, names kept; see `common`), without source maps: a stack trace
 * still names its functions, and HAFEN_BUNDLE_READABLE=1 builds the code as written.
 *
 * Types: dts-bundle-generator inlines every type the public entries reach into one file each
 * (tsconfig.types.json holds just those entries), so `import type {…} from 'hafen'` and the
 * CommonJS types need no other declaration file. That takes half a minute, so it runs only when a
 * source is newer than the last declarations (or with --types).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDtsBundle } from 'dts-bundle-generator';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

/** Dependencies loaded from node_modules at run time (see above for why). */
export const EXTERNAL = ['dockerode', 'ink', 'react', 'react/*', 'tar-stream'];

// Bundled CommonJS (commander) calls `require` for Node's built-ins: an ES module has none, so each
// output file gets its own (under a name no source uses).
const banner = "import { createRequire as __hafenCreateRequire } from 'node:module';\nconst require = __hafenCreateRequire(import.meta.url);";

/**
 * yaml's ES module build (the one its package gives browsers; the same code as its CommonJS build
 * for Node, which only sends warnings to process.emitWarning instead of console.warn): esbuild
 * can leave out what hafen never calls, and no CommonJS wrapper runs at start-up.
 */
const yamlModule = {
  name: 'yaml-module',
  setup(build) {
    build.onResolve({ filter: /^yaml$/ }, () => ({ path: path.join(root, 'node_modules/yaml/browser/index.js') }));
  },
};

/** hafen's version, put into every bundle (src/version.ts): no package.json read at each start (issue 16). */
const VERSION_DEFINE = { HAFEN_VERSION: JSON.stringify(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version) };

const common = {
  absWorkingDir: root,
  define: VERSION_DEFINE,
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  legalComments: 'none',
  logLevel: 'warning',
  // `jsx: react-jsx` as tsconfig.json says, resolved by esbuild from it.
  tsconfig: path.join(root, 'tsconfig.json'),
  plugins: [yamlModule],
  // Whitespace and syntax only: a third less code for Node to read and parse at every start
  // (issue 16), while names stay, so a stack trace still names its functions.
  // HAFEN_BUNDLE_READABLE=1 keeps the code as written (for reading a stack trace's line:col).
  ...(process.env.HAFEN_BUNDLE_READABLE === '1' ? {} : { minifyWhitespace: true, minifySyntax: true }),
};

/** Writes dist/index.d.ts and dist/index.d.cts. */
function declarations() {
  const [esm, cjs] = generateDtsBundle(
    [
      { filePath: path.join(root, 'src/index.ts'), output: { noBanner: true } },
      { filePath: path.join(root, 'src/cjs/index.cts'), output: { noBanner: true } },
    ],
    { preferredConfigPath: path.join(root, 'tsconfig.types.json') },
  );
  // The CommonJS entry's `typeof import('../index.js')` means the ES module entry beside it.
  const door = cjs.replaceAll('import("../index.js")', 'import("./index.js")');
  if (door.includes('"../')) throw new Error('dist/index.d.cts still points outside dist/: see scripts/bundle.mjs');
  fs.writeFileSync(path.join(dist, 'index.d.ts'), esm);
  fs.writeFileSync(path.join(dist, 'index.d.cts'), door);
}

/** The newest modification time of the sources the types come from, in ms. */
function newestSource(dir = path.join(root, 'src')) {
  let newest = fs.statSync(path.join(root, 'tsconfig.json')).mtimeMs;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(file) : fs.statSync(file).mtimeMs);
  }
  return newest;
}

/** Whether the declarations are older than a source (or missing). */
function typesStale() {
  const built = ['index.d.ts', 'index.d.cts'].map((f) => path.join(dist, f));
  if (!built.every((f) => fs.existsSync(f))) return true;
  return Math.min(...built.map((f) => fs.statSync(f).mtimeMs)) < newestSource();
}

/** Removes the previous bundle's files (never tsc's dist/src, dist/bench, ...). */
function clean() {
  fs.rmSync(path.join(dist, 'chunks'), { recursive: true, force: true });
  for (const f of ['cli.js', 'cli.cjs', 'cli-bundle.cjs', 'cli-cold.cjs', 'cli-early.cjs', 'supervisor.js', 'rootless-net.js', 'index.js', 'index.cjs']) fs.rmSync(path.join(dist, f), { force: true });
  if (fs.existsSync(dist)) for (const f of fs.readdirSync(dist)) if (/^cli-(bundle|cold)\.cjs\..*\.cache$/.test(f)) fs.rmSync(path.join(dist, f), { force: true });
}

/**
 * `ink` in the CommonJS CLI bundle: the ES module src/esm-preload.ts loaded (Node 20 cannot
 * `require` an ES module; the dashboard is reached only through src/dashboard/load.ts, which loads it).
 */
const inkPreloaded = {
  name: 'ink-preloaded',
  setup(build) {
    // esm-preload.ts's own import('ink') stays an import.
    build.onResolve({ filter: /^ink$/ }, (args) => (args.kind === 'dynamic-import' ? { path: 'ink', external: true } : { path: 'ink', namespace: 'esm-preloaded' }));
    build.onLoad({ filter: /.*/, namespace: 'esm-preloaded' }, (args) => ({
      contents: `const { preloadedModule } = require(${JSON.stringify(path.join(root, 'src/esm-preload.ts'))});\nmodule.exports = preloadedModule(${JSON.stringify(args.path)});`,
      loader: 'js',
      resolveDir: root,
    }));
  },
};

/**
 * Every character past ASCII written as an escape: one such character (a µ in a regular
 * expression) makes V8 hold the whole 1.3 MB source as two bytes a character, and makes reading it
 * slower. \uXXXX means the same in strings, templates and regular expressions (the bundle has no
 * String.raw and no identifier past ASCII); checked by parsing the result.
 */
function asciiOnly(text) {
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * chalk's color detection, never used by hafen (every Chalk it makes is given its level, src/cli/output.ts)
 * but run when chalk is imported: it loads node:tty, and with it net and streams, into every command.
 */
const chalkWithoutDetection = {
  name: 'chalk-without-detection',
  setup(build) {
    build.onResolve({ filter: /^#supports-color$/ }, () => ({ path: 'supports-color', namespace: 'chalk-level-given' }));
    build.onLoad({ filter: /.*/, namespace: 'chalk-level-given' }, () => ({ contents: 'export default { stdout: false, stderr: false };', loader: 'js' }));
  },
};

/**
 * Node's modules that bring node:net, streams or a native binding with them, loaded in the CLI's
 * bundles when first used instead of when a module that imports them starts: `stack config -q`
 * never uses child_process, crypto or tty, though modules it loads import them (issue 16: commander
 * alone spent a twentieth of `--help` on child_process). Each import is a module of getters, one per
 * export the building Node lists, that `require`s the real module on first access; named and
 * default imports work as before (esbuild reads both as property accesses).
 */
const LAZY_BUILTINS = /^(node:)?(child_process|crypto|dgram|dns|fs\/promises|http|https|net|perf_hooks|readline|stream|stream\/promises|string_decoder|timers\/promises|tls|tty|worker_threads|zlib)$/;

const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(build) {
    build.onResolve({ filter: LAZY_BUILTINS }, (args) => {
      if (args.namespace === 'lazy-builtin') return { path: args.path, external: true }; // the real module, from the getters' module
      if (args.kind === 'dynamic-import') return undefined; // loaded when used already
      return { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const id = `node:${args.path}`;
      const names = Object.keys(createRequire(import.meta.url)(id));
      return {
        contents: [
          'let loaded;',
          `const load = () => (loaded ??= require(${JSON.stringify(id)}));`,
          `for (const name of ${JSON.stringify(names)}) Object.defineProperty(module.exports, name, { enumerable: true, get: () => load()[name] });`,
        ].join('\n'),
        loader: 'js',
      };
    });
  },
};

/**
 * esbuild's `__toESM` made once per module instead of at every import: the bundle's 200 modules
 * that `import fs from 'node:fs'` or `path` each copied all of the module's properties as getters
 * (a twentieth of `stack ps`). The same module gives the same view, so it is kept in a WeakMap.
 */
function sharedToEsm(text) {
  const helper = /var __toESM ?= ?/g;
  const found = text.match(helper) ?? [];
  if (found.length === 0) return text; // a bundle that never imports CommonJS
  if (found.length !== 1) throw new Error(`scripts/bundle.mjs: expected esbuild's one __toESM helper in the CLI bundle, found ${found.length}`);
  const shared =
    'var __hafenToEsmViews = new WeakMap();\n' +
    'function __toESM(mod, isNodeMode) {\n' +
    '  if (mod === null || (typeof mod !== "object" && typeof mod !== "function")) return __hafenToEsmOnce(mod, isNodeMode);\n' +
    '  let views = __hafenToEsmViews.get(mod);\n' +
    '  if (!views) __hafenToEsmViews.set(mod, (views = []));\n' +
    '  const slot = isNodeMode ? 1 : 0;\n' +
    '  return views[slot] ??= __hafenToEsmOnce(mod, isNodeMode);\n' +
    '}\n';
  return text.replace(helper, (m) => m.replace('__toESM', '__hafenToEsmOnce')).replace(STRICT, (m) => m + shared);
}

/**
 * The bundle's `import()`s (of Node's modules and of Ink, the ones esbuild leaves) made calls of
 * `__hafenImport`, which src/code-cache.ts gives it: Node 20 loses a vm.Script's import() callback
 * when the script comes from a code cache (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING). Each must take
 * a quoted specifier; anything else that looks like one fails the build.
 */
function importsThroughLoader(text) {
  const dynamicImport = /(?<![\w$.])import\((?="[^"\n]*"\))/g;
  const replaced = text.replace(dynamicImport, '__hafenImport(');
  const left = replaced.match(/(?<![\w$.])import\(/g) ?? [];
  if (left.length > 0) throw new Error(`scripts/bundle.mjs: ${left.length} import( in the CLI bundle that is not import("specifier")`);
  return replaced;
}

/** The bundle's first statement: ES modules are strict, and the CommonJS bundle must stay so. */
const STRICT = /^"use strict";\n?/;

/** What import.meta.url means in an ES module: this file's URL (put after "use strict"). */
function withImportMetaUrl(text) {
  if (!STRICT.test(text)) throw new Error('scripts/bundle.mjs: the CLI bundle does not start with "use strict"');
  return text.replace(STRICT, (m) => `${m}var __hafenImportMetaUrl = require('node:url').pathToFileURL(__filename).href;\n`);
}

/**
 * The modules a short command needs beyond what run-main.ts imports statically (issue 16: `config`,
 * `ps`, `port`, `--help` read only the hot bundle). Every module these and run-main.ts reach by
 * static imports is hot; whatever else a command loads with `import()` (up/down's executor, the
 * runtimes, the dashboard, build, registry, images) is in the cold bundle, read only when imported.
 */
const HOT_ENTRIES = [
  'src/cli/load.ts', // config, and every command that reads a stack file
  'src/config/index.ts',
  'src/config/yaml-output.ts', // `config` without -q
  'src/cli/project.ts', // ps, port, logs, ...: the project through its supervisor
  'src/cli/project-only-stack.ts', // `-p NAME ps` without a file
  'src/orchestrator/ready-records.ts', // ps
  'src/planner/select.ts', // port
  'src/errors.ts',
  'src/runtime/runtime.ts',
  // Each command's module (src/cli/command-table.ts loads it when the command is built): `--help`
  // builds them all, so they stay hot; each runs only when imported.
  ...fs.readdirSync(path.join(root, 'src/cli/commands')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort().map((f) => `src/cli/commands/${f}`),
];

/** A bundled module's key: its path from the repository (or `namespace:path` for a plugin's). */
function moduleKey(resolved) {
  return resolved.namespace === 'file' ? path.relative(root, resolved.path) : `${resolved.namespace}:${resolved.path}`;
}

/**
 * The CLI in two CommonJS bundles that share one set of modules: dist/cli-bundle.cjs (hot: what
 * short commands need) and dist/cli-cold.cjs (the rest). A hot module's `import()` of a cold one is
 * `import("hafen-cold:KEY")`, which the loader (src/cli/bin-cjs.ts) answers from the cold bundle's
 * `loaders`; a cold module's import of a hot one is `require("hafen-hot:KEY")` (or `import()`),
 * answered from the hot bundle's `__hafenModules`. So no module is in both, and each runs once.
 */
async function splitCli(options, hotFile, coldFile) {
  const hotEntries = new Set(HOT_ENTRIES);
  /** Dynamic imports of hot code, to files outside `hot` (when known) or HOT_ENTRIES: cold. */
  const coldWanted = new Set();
  const hotSide = (hot) => ({
    name: 'hot-side',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || args.pluginData?.hafenSplit) return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { hafenSplit: true } });
        if (resolved.errors.length > 0 || resolved.external) return resolved.errors.length > 0 ? undefined : resolved;
        const key = moduleKey(resolved);
        if (hot ? hot.has(key) : hotEntries.has(key)) return resolved;
        coldWanted.add(key);
        return { path: `hafen-cold:${key}`, external: true };
      });
    },
  });
  // 1. Which modules are hot: run-main.ts and HOT_ENTRIES with all they import statically.
  const first = await esbuild.build({ ...options, entryPoints: ['src/cli/run-main.ts'], write: false, metafile: true, plugins: [hotSide(undefined), ...options.plugins] });
  const hot = new Set(Object.keys(Object.values(first.metafile.outputs)[0].inputs));
  for (const key of HOT_ENTRIES) if (!hot.has(key)) throw new Error(`scripts/bundle.mjs: HOT_ENTRIES names ${key}, which the CLI never imports`);
  const coldEntries = [...coldWanted].filter((key) => !hot.has(key)).sort();
  // 2. The cold bundle: a loader for each module hot code imports; hot modules stay outside.
  const hotNeeded = new Set();
  const coldSide = {
    name: 'cold-side',
    setup(build) {
      build.onResolve({ filter: /^hafen-cold-entry$/ }, () => ({ path: 'entry', namespace: 'hafen-cold-entry' }));
      build.onLoad({ filter: /.*/, namespace: 'hafen-cold-entry' }, () => ({
        contents: `export const loaders = {\n${coldEntries.map((key) => `  ${JSON.stringify(key)}: () => import(${JSON.stringify(`./${key}`)}),`).join('\n')}\n};\n`,
        resolveDir: root,
        loader: 'js',
      }));
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData?.hafenSplit || args.namespace === 'hafen-cold-entry') return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, namespace: args.namespace, pluginData: { hafenSplit: true } });
        if (resolved.errors.length > 0 || resolved.external) return resolved.errors.length > 0 ? undefined : resolved;
        const key = moduleKey(resolved);
        // A lazy builtin's getters (lazyBuiltins) hold no state of their own: each bundle has its copy.
        if (!hot.has(key) || resolved.namespace === 'lazy-builtin') return resolved;
        hotNeeded.add(key);
        return { path: `hafen-hot:${key}`, external: true };
      });
    },
  };
  await esbuild.build({ ...options, entryPoints: ['hafen-cold-entry'], outfile: coldFile, plugins: [coldSide, ...options.plugins] });
  // 3. The hot bundle, giving the cold one the modules it imports.
  const shared = [...hotNeeded].sort();
  const hotEntry = {
    name: 'hot-entry',
    setup(build) {
      build.onResolve({ filter: /^hafen-hot-entry$/ }, () => ({ path: 'entry', namespace: 'hafen-hot-entry' }));
      build.onLoad({ filter: /.*/, namespace: 'hafen-hot-entry' }, () => ({
        // A getter each: a module is initialized when the cold bundle first asks for it, not at start-up.
        contents: [
          "export * from './src/cli/run-main.ts';",
          `export const __hafenModules = {\n${shared.map((key) => `  get ${JSON.stringify(key)}() { return require(${JSON.stringify(key.includes(':') ? key : `./${key}`)}); },`).join('\n')}\n};`,
        ].join('\n'),
        resolveDir: root,
        loader: 'js',
      }));
    },
  };
  await esbuild.build({ ...options, entryPoints: ['hafen-hot-entry'], outfile: hotFile, plugins: [hotEntry, hotSide(hot), ...options.plugins] });
  return { cold: coldEntries.length, shared: shared.length };
}

/** The CommonJS bundle as it ships: ASCII only, one __toESM, import() through the loader, import.meta.url. */
async function finishCjsBundle(file) {
  const text = withImportMetaUrl(importsThroughLoader(sharedToEsm(asciiOnly(fs.readFileSync(file, 'utf8')))));
  await esbuild.transform(text, { loader: 'js', format: 'cjs', logLevel: 'silent' }); // still valid JavaScript
  fs.writeFileSync(file, text);
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Builds dist/cli-bundle.cjs and cli-cold.cjs, their loader dist/cli.cjs, the ES module door dist/cli.js and the shipped code cache. */
async function bundleCli() {
  const bundleFile = path.join(dist, 'cli-bundle.cjs');
  const coldFile = path.join(dist, 'cli-cold.cjs');
  await splitCli(
    {
      ...common,
      format: 'cjs',
      plugins: [yamlModule, inkPreloaded, chalkWithoutDetection, lazyBuiltins],
      define: { ...VERSION_DEFINE, 'import.meta.url': '__hafenImportMetaUrl' }, // see withImportMetaUrl
    },
    bundleFile,
    coldFile,
  );
  const coldId = await finishCjsBundle(coldFile);
  const buildId = await finishCjsBundle(bundleFile);
  // The first step of a user without root, before the bundle above loads (src/cli/early-entry.ts).
  const earlyFile = path.join(dist, 'cli-early.cjs');
  await esbuild.build({ ...common, entryPoints: ['src/cli/early-entry.ts'], outfile: earlyFile, format: 'cjs', define: { ...VERSION_DEFINE, 'import.meta.url': '__hafenImportMetaUrl' } });
  fs.writeFileSync(earlyFile, withImportMetaUrl(asciiOnly(fs.readFileSync(earlyFile, 'utf8'))));
  await esbuild.build({
    ...common,
    entryPoints: ['src/cli/bin-cjs.ts'],
    outfile: path.join(dist, 'cli.cjs'),
    format: 'cjs',
    define: { ...VERSION_DEFINE, HAFEN_CLI_BUILD_ID: JSON.stringify(buildId), HAFEN_COLD_BUILD_ID: JSON.stringify(coldId) },
  });
  fs.chmodSync(path.join(dist, 'cli.cjs'), 0o755);
  fs.writeFileSync(
    path.join(dist, 'cli.js'),
    "#!/usr/bin/env -S node --\n// `node dist/cli.js`: the CLI is dist/cli.cjs (scripts/bundle.mjs).\nimport { createRequire } from 'node:module';\ncreateRequire(import.meta.url)('./cli.cjs');\n",
    { mode: 0o755 },
  );
  // The shipped cache: one real run (loading, checking and normalizing a stack), so the functions
  // every command needs are in it; `ps`, `port` and the help write their own for the user on their
  // first run (src/cli/cache-slot.ts). A build without the example file just ships none.
  const example = path.join(root, 'stack.example.yaml');
  if (fs.existsSync(example)) {
    const out = `${bundleFile}.${process.version}-${process.arch}.cache`;
    const run = spawnSync(process.execPath, ['--', path.join(dist, 'cli.cjs'), '-f', example, 'config', '-q'], {
      cwd: root,
      env: { ...process.env, HAFEN_CODE_CACHE_OUT: out, NO_COLOR: '1' },
      encoding: 'utf8',
    });
    if (run.status === 0 && fs.existsSync(out)) fs.chmodSync(out, 0o644);
    else console.warn(`no code cache shipped: \`stack config -q\` failed (${run.status}): ${run.stderr}`);
  }
}

/** Bundles the code; the types too when `types` is true, or when they are older than a source. */
export async function bundle({ types = typesStale() } = {}) {
  clean();
  await esbuild.build({
    ...common,
    // rootless-net: the rootless network keeper and its relay, spawned by path (rootless/network-lifecycle.ts).
    entryPoints: { supervisor: 'src/supervisor/bin.ts', 'rootless-net': 'src/runtime/embedded/rootless/network-keeper-main.ts', index: 'src/index.ts' },
    outdir: dist,
    format: 'esm',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    banner: { js: banner },
  });
  // The CommonJS door imports the ES module entry beside it at run time (never a second copy).
  await esbuild.build({
    ...common,
    entryPoints: ['src/cjs/index.cts'],
    outfile: path.join(dist, 'index.cjs'),
    format: 'cjs',
    plugins: [
      yamlModule,
      {
        name: 'esm-entry-beside',
        setup(build) {
          build.onResolve({ filter: /^\.\.\/index\.js$/ }, () => ({ path: './index.js', external: true }));
        },
      },
    ],
  });
  // `#!/usr/bin/env -S node --` from src/cli/bin-cjs.ts is kept by esbuild; npm links the bin.
  await bundleCli();
  if (types) declarations();
  return { types };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const { types } = await bundle(process.argv.includes('--types') ? { types: true } : {});
  const chunks = fs.readdirSync(path.join(dist, 'chunks')).length;
  const what = `dist/cli.cjs, cli-bundle.cjs, cli-cold.cjs, supervisor.js, index.js, index.cjs, ${chunks} chunks${types ? ', index.d.ts and index.d.cts' : ' (types up to date)'}`;
  console.log(`bundled ${what} in ${Math.round(performance.now() - started)} ms`);
}
