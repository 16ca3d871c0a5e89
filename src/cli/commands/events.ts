/**
 * `stack events [SERVICE...]`: the project's container events as they happen (create, start,
 * health_status, kill, die, oom, stop, destroy, …), one line each, as `docker compose events`
 * prints them; `--json` one object per line (src/renderers/machine-lines.ts). Follows until Ctrl-C,
 * or until `--until`.
 */
import { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import { sinceValue } from '../option-values.js';
import type { Output } from '../output.js';

/** After `--until`, how long events already under way are still taken. */
const UNTIL_GRACE_MS = 300;

export function eventsCommand(output: Output): Command {
  return new Command('events')
    .description('print the containers\' events as they happen (create, start, health_status, die, destroy, …) until Ctrl-C')
    .argument('[services...]', 'only these services')
    .option('--json', 'one JSON object per event and line (see docs/machine-output.md)')
    .option('--since <time>', 'also the events since an ISO time or a duration ago (10s, 5m), as far as the runtime keeps them', sinceValue)
    .option('--until <time>', 'stop at an ISO time or a duration ago', sinceValue)
    .action(async (services: string[], flags: { json?: boolean; since?: string | number; until?: string | number }, command: Command) => {
      const globals = globalOptions(command);
      const [{ openProject }, { Label }, { onInterrupt }, { assertServicesExist }, { followProjectEvents }, { containerEventLine }] = await Promise.all([
        import('../project.js'),
        import('../../runtime/runtime.js'),
        import('../interrupt.js'),
        import('../../planner/index.js'),
        import('../../orchestrator/project-events.js'),
        import('../../renderers/machine-lines.js'),
      ]);
      const { stack, opened } = await openProject(globals, output, false, (s) => assertServicesExist(s, services), { projectOnly: true });
      using interrupt = onInterrupt();
      const until = flags.until === undefined ? undefined : typeof flags.until === 'number' ? flags.until : Date.parse(flags.until);
      const timer = until === undefined ? undefined : setTimeout(() => stop.abort(), Math.max(0, until - Date.now()) + UNTIL_GRACE_MS);
      const stop = new AbortController();
      const signal = AbortSignal.any([interrupt.signal, stop.signal]);
      try {
        const events = followProjectEvents({ project: stack.name, runtime: opened.runtime, root: opened.root, signal, ...(flags.since !== undefined ? { since: flags.since } : {}) });
        for await (const e of events) {
          if (until !== undefined && Date.parse(e.time) > until) break;
          const line = containerEventLine(e, Label.service);
          if (services.length > 0 && !services.includes(line.service)) continue;
          output.out(flags.json ? JSON.stringify(line) : humanLine(line.time, line.action, line.id, line.attributes));
        }
      } catch (err) {
        if (!signal.aborted) throw err;
      } finally {
        clearTimeout(timer);
        await opened.close();
      }
    });
}

/** Compose's plain form: `TIME container ACTION ID (key=value, …)`. */
function humanLine(time: string, action: string, id: string, attributes: Record<string, string>): string {
  const attrs = Object.entries(attributes)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `${time} container ${action} ${id} (${attrs})`;
}
