/**
 * How the CLI's two CommonJS bundles reach each other's modules (issue 16; scripts/bundle.mjs
 * splits them): the hot bundle's `import("hafen-cold:KEY")` loads the cold bundle once and runs its
 * loader for KEY; the cold bundle's `require("hafen-hot:KEY")` and `import("hafen-hot:KEY")` are the
 * hot bundle's module KEY. Each module is in one bundle only, so it runs once and classes compare.
 * Only Node's built-in modules here: this runs in dist/cli.cjs, before either bundle loads.
 */

/** What dist/cli-bundle.cjs exports: run-main.ts, and (getters) the modules the cold bundle imports, by key. */
export interface HotBundle {
  runMain(argv: string[]): Promise<void>;
  __hafenModules: Record<string, unknown>;
}

/** What dist/cli-cold.cjs exports: a loader for each module the hot bundle imports. */
export interface ColdBundle {
  loaders: Record<string, () => Promise<unknown>>;
}

const COLD = 'hafen-cold:';
const HOT = 'hafen-hot:';

/** Hot modules the cold bundle was given, by key: each getter makes a new view of its module. */
const given = new Map<string, unknown>();

/**
 * The hot module `key` (initialized on first use: its getter `require`s it in the hot bundle); a
 * bug in the bundling (never user input) when the hot bundle has no such module.
 */
function hotModule(hot: HotBundle | undefined, key: string): unknown {
  if (given.has(key)) return given.get(key);
  const found = hot?.__hafenModules[key];
  if (found === undefined) throw new Error(`the CLI bundle has no module ${key} for its cold part (scripts/bundle.mjs)`);
  given.set(key, found);
  return found;
}

/**
 * The module an `import()` of the bundles names by key, or undefined for any other specifier (a
 * Node module, Ink): `loadCold` loads the cold bundle (once).
 */
export function coldModule(specifier: string, loadCold: () => ColdBundle, hot: HotBundle | undefined): Promise<unknown> | undefined {
  if (specifier.startsWith(HOT)) return Promise.resolve().then(() => hotModule(hot, specifier.slice(HOT.length)));
  if (!specifier.startsWith(COLD)) return undefined;
  const key = specifier.slice(COLD.length);
  return Promise.resolve().then(() => {
    const load = loadCold().loaders[key];
    if (!load) throw new Error(`the CLI's cold bundle has no module ${key} (scripts/bundle.mjs)`);
    return load();
  });
}

/** The cold bundle's `require`: `hafen-hot:KEY` is the hot bundle's module, anything else as `require` finds it. */
export function hotRequire(require: NodeJS.Require, hot: HotBundle): NodeJS.Require {
  const wrapped = ((id: string) => (id.startsWith(HOT) ? hotModule(hot, id.slice(HOT.length)) : require(id))) as NodeJS.Require;
  return Object.assign(wrapped, { resolve: require.resolve, cache: require.cache, main: require.main, extensions: require.extensions });
}
