/**
 * `stack images` (the images the project's containers use, as `docker compose images`), `stack rmi`
 * and `stack prune`: through the runtime's ImageService, so they mean the same on every runtime.
 */
import { Command, Option } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';

/** One line of `images --format json`: Compose's field names. */
interface ComposeImageRow {
  ID: string;
  ContainerName: string;
  Repository: string;
  Tag: string;
  Platform: string;
  Size: number;
  Created?: string;
}

export function imagesCommand(output: Output): Command {
  return new Command('images')
    .description("list the images the project's containers use (`stack image ls`: every image of the runtime)")
    .argument('[services...]', 'only these services')
    .addOption(new Option('--format <format>', 'table, or json (Compose\'s field names)').choices(['table', 'json']).default('table'))
    .option('--json', "print JSON (hafen's field names)")
    .option('-q, --quiet', 'print only image IDs')
    .action(async (services: string[], flags: { format: 'table' | 'json'; json?: boolean; quiet?: boolean }, command: Command) => {
      const globals = globalOptions(command);
      const [{ openProject }, { assertServicesExist }, { openImageService, projectImages }, { formatSize }, { table }] = await Promise.all([
        import('../project.js'),
        import('../../planner/index.js'),
        import('../../orchestrator/images.js'),
        import('../../format/size.js'),
        import('../../format/table.js'),
      ]);
      // As Compose: `-p NAME images` needs no stack file.
      const { stack, opened } = await openProject(globals, output, false, (s) => assertServicesExist(s, services), { projectOnly: true });
      try {
        const images = await openImageService(opened.runtime.name, { root: opened.root });
        const rows = await projectImages(opened.runtime, images, stack.name, services);
        const hex = (id: string) => id.replace(/^sha256:/, '');
        if (flags.quiet) {
          const ids = [...new Set(rows.map((r) => hex(r.id)).filter(Boolean))];
          if (ids.length) output.out(ids.join('\n'));
        } else if (flags.json) {
          output.out(JSON.stringify(rows, null, 2));
        } else if (flags.format === 'json') {
          const compose: ComposeImageRow[] = rows.map((r) => ({
            ID: r.id,
            ContainerName: r.container,
            Repository: r.repository,
            Tag: r.tag,
            Platform: r.platform ?? '',
            Size: r.size,
            ...(r.createdAt ? { Created: r.createdAt } : {}),
          }));
          output.out(JSON.stringify(compose));
        } else {
          const lines = rows.map((r) => [r.container, r.repository || '<none>', r.tag || '<none>', hex(r.id).slice(0, 12), r.id ? formatSize(r.size) : '']);
          output.out(table([['CONTAINER', 'REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE'], ...lines]));
          if (rows.length === 0) output.err(`${stack.name}: no containers`);
        }
      } finally {
        await opened.close();
      }
    });
}

export function rmiCommand(output: Output): Command {
  return new Command('rmi')
    .description('remove image names (embedded: the layers go at the next prune, unless shared; Docker: the image too when no name is left)')
    .argument('<images...>', 'image names')
    .action(async (names: string[], _flags: unknown, command: Command) => {
      const { openImageService } = await import('../../orchestrator/images.js');
      const images = await openImageService(globalOptions(command).runtime, { say: (line) => output.err(line) });
      for (const name of names) for (const line of await images.remove(name)) output.out(line);
    });
}

export function pruneCommand(output: Output): Command {
  return new Command('prune')
    .description('free what no image or container uses: embedded layers and blobs; on Docker the images hafen built that a rebuild replaced')
    .option('-a, --all', 'also drop the build cache')
    .action(async (opts: { all?: boolean }, command: Command) => {
      const [{ openImageService }, { formatSize }] = await Promise.all([import('../../orchestrator/images.js'), import('../../format/size.js')]);
      const images = await openImageService(globalOptions(command).runtime, { say: (line) => output.err(line) });
      const result = await images.prune({ buildCache: Boolean(opts.all) });
      output.out(`Removed ${result.removed.join(', ')}: ${formatSize(result.bytes)} freed`);
    });
}
