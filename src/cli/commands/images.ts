/** `stack images`, `stack rmi`, `stack prune`: the embedded runtime's image store. */
import { Command } from 'commander';
import { formatSize } from '../../format/size.js';
import { table } from '../../format/table.js';
import type { Output } from '../output.js';

const embeddedImages = async () => new (await import('../../runtime/embedded/embedded-images.js')).EmbeddedImages();

export function imagesCommand(output: Output): Command {
  return new Command('images')
    .description('list the images in the local store')
    .option('--json', 'print JSON')
    .option('-q, --quiet', 'print only names')
    .action(async (opts: { json?: boolean; quiet?: boolean }) => {
      const list = (await embeddedImages()).list();
      if (opts.json) return output.out(JSON.stringify(list, null, 2));
      if (opts.quiet) return list.length ? output.out(list.map((i) => i.name).join('\n')) : undefined;
      const rows = [['IMAGE', 'ID', 'SIZE', 'CREATED'], ...list.map((i) => [i.name, i.id.slice(7, 19), formatSize(i.size), i.createdAt ?? ''])];
      output.out(table(rows));
    });
}

export function rmiCommand(output: Output): Command {
  return new Command('rmi')
    .description('remove image tags (their layers go at the next prune, unless shared)')
    .argument('<images...>', 'image names')
    .action(async (names: string[]) => {
      const images = await embeddedImages();
      for (const name of names) {
        images.remove(name);
        output.out(`Untagged ${name}`);
      }
    });
}

export function pruneCommand(output: Output): Command {
  return new Command('prune')
    .description('remove layers and blobs no image, build cache entry or container uses')
    .option('-a, --all', 'also drop the build cache')
    .action(async (opts: { all?: boolean }) => {
      const result = (await embeddedImages()).prune({ buildCache: Boolean(opts.all) });
      output.out(
        `Removed ${result.layers} layer(s), ${result.blobs} blob(s)${opts.all ? `, ${result.cacheEntries} cache entries` : ''}: ${formatSize(result.bytes)} freed`,
      );
    });
}
