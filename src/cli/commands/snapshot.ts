/**
 * `stack snapshot NAME [SERVICE...]`, `stack snapshot ls`, `stack snapshot rm NAME` and
 * `stack reset NAME [SERVICE...]` (issue 20): save the state of running services (their writable
 * layers, named and anonymous volumes) and put them back to it in constant time.
 */
import { Command, Option } from 'commander';
import { globalOptions } from '../global-options.js';
import { timeoutValue } from '../option-values.js';
import type { Output } from '../output.js';

async function load() {
  const [project, snapshots, lock, ops] = await Promise.all([
    import('../project.js'),
    import('../../orchestrator/snapshots.js'),
    import('../../orchestrator/project-runtime.js'),
    import('../container-ops/service-containers.js'),
  ]);
  return { ...project, ...snapshots, ...lock, ...ops };
}

function lsCommand(output: Output): Command {
  return new Command('ls')
    .alias('list')
    .description('list the project\'s snapshots: name, services, size, created')
    .addOption(new Option('--format <format>', 'table or json (one array)').choices(['table', 'json']).default('table'))
    .option('-q, --quiet', 'print only names')
    .action(async (flags: { format: 'table' | 'json'; quiet?: boolean }, command: Command) => {
      const [m, { formatSize }, { table }] = await Promise.all([load(), import('../../format/size.js'), import('../../format/table.js')]);
      const { stack, opened } = await m.openProject(globalOptions(command), output, false, undefined, { projectOnly: true });
      try {
        const list = await opened.runtime.listSnapshots(stack.name);
        if (flags.format === 'json') return output.out(JSON.stringify(list, null, 2));
        if (flags.quiet) return list.length ? output.out(list.map((s) => s.name).join('\n')) : undefined;
        output.out(table([['NAME', 'SERVICES', 'VOLUMES', 'SIZE', 'CREATED'], ...list.map((s) => [s.name, s.services.join(','), s.volumes.join(',') || '-', formatSize(s.size), s.createdAt])]));
      } finally {
        await opened.close();
      }
    });
}

function rmCommand(output: Output): Command {
  return new Command('rm')
    .description('remove snapshots (and the layers only they hold)')
    .argument('<names...>')
    .action(async (names: string[], _flags: unknown, command: Command) => {
      const m = await load();
      const { stack, opened } = await m.openProject(globalOptions(command), output, false, undefined, { projectOnly: true });
      try {
        for (const name of names) {
          await opened.runtime.removeSnapshot(stack.name, name);
          output.err(`${stack.name}: removed snapshot ${name}`);
        }
      } finally {
        await opened.close();
      }
    });
}

export function snapshotCommand(output: Output): Command {
  const snapshot = new Command('snapshot')
    .description('save the state of the services (writable layers, named and anonymous volumes; not binds or external volumes, named once) as snapshot NAME; `stack reset NAME` goes back to it')
    .argument('<name>', 'the snapshot\'s name (taking it again replaces it)')
    .argument('[services...]', 'services (all when none is named)')
    .option('--stop', 'stop the services gracefully first and start them again after, instead of freezing them while their data is copied')
    .option('-t, --timeout <seconds>', 'with --stop: grace period instead of each service\'s own (seconds, or 1m30s)', timeoutValue)
    .action(async (name: string, services: string[], flags: { stop?: boolean; timeout?: number }, command: Command) => {
      const m = await load();
      const [{ checkSnapshotName }, { formatSize }] = await Promise.all([import('../../runtime/embedded/snapshots/snapshot-record.js'), import('../../format/size.js')]);
      checkSnapshotName(name);
      const opened = flags.stop
        ? await m.openProject(globalOptions(command), output, { services, noDeps: true }, (s) => m.checkServices(s, services))
        : await m.openProject(globalOptions(command), output, false, (s) => m.checkServices(s, services), { projectOnly: true });
      try {
        const info = await m.withProjectLock(opened.opened.root, opened.stack.name, () =>
          m.snapshotStack(opened.stack, name, {
            runtime: opened.opened.runtime,
            sink: opened.sink,
            services,
            ...(flags.stop ? { stop: true } : {}),
            ...(flags.timeout !== undefined ? { timeout: flags.timeout } : {}),
            say: (line) => output.err(line),
            root: opened.opened.root,
          }),
        );
        output.err(`${opened.stack.name}: snapshot ${info.name} of ${info.services.join(', ')}${info.volumes.length ? ` (volumes ${info.volumes.join(', ')})` : ''}: ${formatSize(info.size)}`);
      } finally {
        await opened.opened.close();
      }
    });
  snapshot.addCommand(lsCommand(output));
  snapshot.addCommand(rmCommand(output));
  return snapshot;
}

export function resetCommand(output: Output): Command {
  return new Command('reset')
    .description('put the services back to snapshot NAME (fresh writable layers over it, in constant time), start them and wait until ready; dependents with `depends_on: {restart: true}` are restarted')
    .argument('<name>', 'the snapshot')
    .argument('[services...]', 'services (all the snapshot holds when none is named)')
    .option('-t, --timeout <seconds>', 'grace period of the stop (seconds, or 1m30s); by default none: the services are killed at once, their state is discarded anyway', timeoutValue)
    .action(async (name: string, services: string[], flags: { timeout?: number }, command: Command) => {
      const m = await load();
      const { checkSnapshotName } = await import('../../runtime/embedded/snapshots/snapshot-record.js');
      checkSnapshotName(name);
      const globals = globalOptions(command);
      const [{ chooseRuntime }, { defaultRoot }, { requireSnapshot }] = await Promise.all([
        import('../../orchestrator/project-runtime.js'),
        import('../../runtime/embedded/store/store-paths.js'),
        import('../../runtime/embedded/snapshots/snapshot-record.js'),
      ]);
      const { stack, opened, sink } = await m.openProject(globals, output, { services, noDeps: true }, (s) => {
        m.checkServices(s, services);
        // An unknown snapshot is refused before the supervisor is kept or anything stops (the Docker runtime refuses later, as unsupported).
        // Over ships the snapshot's parts are in the ships' roots (other hosts'): the runtime checks them (resetStack).
        if (chooseRuntime(globals.runtime ?? s.runtime).runtime === 'embedded' && Object.keys(s.ships).length === 0) requireSnapshot(defaultRoot(), s.name, name);
      });
      try {
        const started = Date.now();
        const done = await m.withProjectLock(opened.root, stack.name, () =>
          m.resetStack(stack, name, { runtime: opened.runtime, sink, services, ...(flags.timeout !== undefined ? { timeout: flags.timeout } : {}), say: (line) => output.err(line), root: opened.root }),
        );
        output.err(`${stack.name}: reset ${done.services.join(', ')} to snapshot ${name} in ${Date.now() - started} ms${done.restarted.length ? `; restarted ${done.restarted.join(', ')}` : ''}`);
      } finally {
        await opened.close();
      }
    });
}
