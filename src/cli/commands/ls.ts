/** `stack ls`: the projects on this machine (Compose's `docker compose ls`), on both runtimes. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';

/** `--filter name=X` (repeatable): Compose's only filter of `ls`. */
function filterValue(text: string, previous: string[] = []): string[] {
  const [key, value] = text.split(/=(.*)/s);
  if (value === undefined) throw new InvalidArgumentError('expected KEY=VALUE, e.g. name=shop.');
  if (key !== 'name') throw new InvalidArgumentError(`unknown filter ${key}; the only one is name=NAME.`);
  return [...previous, value];
}

/** One project of `ls --format json`: Compose's fields, and the runtime that holds it. */
export interface LsRow {
  Name: string;
  Status: string;
  ConfigFiles: string;
  Runtime: string;
}

export function lsCommand(output: Output): Command {
  return new Command('ls')
    .description('list the projects on this machine: running ones, or all with -a (embedded and Docker)')
    .option('-a, --all', 'also projects with no running container')
    .option('-q, --quiet', 'print project names only')
    .option('--filter <filter>', 'only projects matching name=NAME (the name, or a regular expression in it)', filterValue)
    .addOption(new Option('--format <format>', 'table or json (one array, Compose\'s fields)').choices(['table', 'pretty', 'json']).default('table'))
    .action(async (flags: { all?: boolean; quiet?: boolean; filter?: string[]; format: 'table' | 'pretty' | 'json' }, command: Command) => {
      const globals = globalOptions(command);
      const [list, { defaultRoot }] = await Promise.all([import('../../orchestrator/project-list.js'), import('../../runtime/embedded/store/index.js')]);
      const projects: import('../../orchestrator/project-list.js').ProjectSummary[] = [];
      if (globals.runtime !== 'docker') {
        try {
          projects.push(...(await list.embeddedProjects(defaultRoot())));
        } catch (err) {
          const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
          output.err(output.color.yellow(`warning: embedded projects are not listed: the state root ${defaultRoot()} cannot be read (${why})`));
        }
      }
      if (globals.runtime !== 'embedded') {
        try {
          projects.push(...(await list.dockerProjects()));
        } catch (err) {
          // An engine that is not there leaves the embedded projects listed; said once, on stderr.
          const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
          output.err(output.color.yellow(`warning: Docker projects are not listed: the engine cannot be reached (${why})`));
        }
      }
      const shown = projects
        .map((p) => (flags.all ? p : { ...p, states: p.states.running ? { running: p.states.running } : {} }))
        .filter((p) => Object.keys(p.states).length > 0)
        .filter((p) => !flags.filter || list.matchesName(p.name, flags.filter));
      if (flags.quiet) {
        if (shown.length > 0) output.out(shown.map((p) => p.name).join('\n'));
        return;
      }
      const rows: LsRow[] = shown.map((p) => ({ Name: p.name, Status: list.projectStatus(p.states), ConfigFiles: p.configFiles.join(','), Runtime: p.runtime }));
      if (flags.format === 'json') {
        output.out(JSON.stringify(rows));
        return;
      }
      const table = [['NAME', 'STATUS', 'CONFIG FILES', 'RUNTIME'], ...rows.map((r) => [r.Name, r.Status, r.ConfigFiles, r.Runtime])];
      const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
      const lines = table.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('   ').trimEnd());
      output.out([output.color.bold(lines[0]!), ...lines.slice(1)].join('\n'));
    });
}
