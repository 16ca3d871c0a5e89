/**
 * Starting and ending the dashboard in a real terminal. The running view draws on the terminal's
 * alternate screen, so quitting gives back the screen as it was; `up --dash` first shows the plan's
 * progress on the normal screen (finished lines stay there), then opens the running view.
 */
import { render } from 'ink';
import type { Stack } from '../config/model.js';
import type { EventSink } from '../executor/events.js';
import type { ProjectRuntime } from '../orchestrator/project-runtime.js';
import { App } from './components/App.js';
import { PlanView } from './components/PlanView.js';
import { createController } from './controller.js';
import { initialState, serviceEntries } from './model.js';
import { StackSource } from './source.js';
import type { DashboardSource } from './swarm-source.js';
import { createStore, type Store } from './store.js';
import { makeTheme, ThemeContext } from './theme.js';

export interface DashboardOptions {
  stack: Stack;
  opened: ProjectRuntime;
  /** The common options as given (`-f`, `--profile`), for the commands the dashboard suggests. */
  globals: { file: readonly string[]; profile: readonly string[] };
  /** Prints a line on the normal screen after the dashboard closed (stderr). */
  say(line: string): void;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Where the rows and logs come from, when not the project's containers (the swarm runtime's tasks: swarm-source.ts). */
  source?: (store: Store) => DashboardSource;
}

const ALT_SCREEN_ON = '\x1b[?1049h\x1b[2J\x1b[H';
const ALT_SCREEN_OFF = '\x1b[?1049l';

/** Colour unless NO_COLOR says no (FORCE_COLOR=0 too). */
function wantsColor(env: NodeJS.ProcessEnv = process.env): boolean {
  return !(env.NO_COLOR !== undefined && env.NO_COLOR !== '') && env.FORCE_COLOR !== '0';
}

function newStore(options: DashboardOptions): Store {
  const { stack, globals } = options;
  const commandPrefix = `stack${globals.file.map((f) => ` -f ${f}`).join('')} -p ${stack.name}`;
  return createStore(initialState({ project: stack.name, commandPrefix, services: serviceEntries(stack, globals.profile) }));
}

/** `stack dash`: the running view until the user quits. */
export async function runDashboard(options: DashboardOptions): Promise<void> {
  await runningView(newStore(options), options);
}

/**
 * `stack up --dash`: `up` (given as a function of the sink its events go to) with its progress
 * drawn live, then the running view, also after a failure (to look at why). Resolves with up's
 * result, or rejects with its error, once the user quits; an interrupted `up` does not open the view.
 */
export async function upWithDashboard<T>(options: DashboardOptions & { signal?: AbortSignal }, up: (sink: EventSink) => Promise<T>): Promise<T> {
  const store = newStore(options);
  const stdout = options.stdout ?? process.stdout;
  const theme = makeTheme(wantsColor());
  const progress = render(
    <ThemeContext.Provider value={theme}>
      <PlanView store={store} />
    </ThemeContext.Provider>,
    { stdout, ...(options.stdin ? { stdin: options.stdin } : {}), patchConsole: true },
  );
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await up(store.sink) };
  } catch (error) {
    outcome = { ok: false, error };
  }
  store.flush(); // the last events reach the view before it is drawn for the last time
  await new Promise((r) => setTimeout(r, 50));
  progress.unmount();
  await progress.waitUntilExit().catch(() => {});
  if (!outcome.ok && options.signal?.aborted) throw outcome.error;
  await runningView(store, options);
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** The running view on the alternate screen, polling the stack, until `q` (or a signal); the screen is restored after. */
async function runningView(store: Store, options: DashboardOptions): Promise<void> {
  const stdout = options.stdout ?? process.stdout;
  const source: DashboardSource = options.source?.(store) ?? new StackSource({ stack: options.stack, opened: options.opened, store, profiles: options.globals.profile });
  let quit!: () => void;
  const quitting = new Promise<void>((resolve) => (quit = resolve));
  const controller = createController(store, source.actions, quit);
  let onScreen = true;
  const leave = (): void => {
    if (onScreen) stdout.write(ALT_SCREEN_OFF);
    onScreen = false;
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, quit);
  process.once('exit', leave);
  stdout.write(ALT_SCREEN_ON);
  source.start();
  const ink = render(
    <ThemeContext.Provider value={makeTheme(wantsColor())}>
      <App store={store} onEffect={(e) => void controller(e)} />
    </ThemeContext.Provider>,
    { stdout, ...(options.stdin ? { stdin: options.stdin } : {}), exitOnCtrlC: false, patchConsole: true },
  );
  try {
    await Promise.race([quitting, ink.waitUntilExit()]);
  } finally {
    await source.close();
    ink.unmount();
    await ink.waitUntilExit().catch(() => {});
    leave();
    for (const s of signals) process.off(s, quit);
    process.off('exit', leave);
  }
  const state = store.getState();
  if (!state.down) options.say(`${state.project} keeps running: \`${state.commandPrefix} down\` removes it.`);
  else options.say(`${state.project} is down.`);
}
