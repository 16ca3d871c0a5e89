/** `stack image ls|save|load`: every image of the runtime, and images to and from `docker save` archives and OCI layouts. */
import { Command, Option } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';
import type { SaveFormat } from '../../runtime/image-service.js';

const openImages = async (command: Command, output: Output) =>
  (await import('../../orchestrator/images.js')).openImageService(globalOptions(command).runtime, { say: (line) => output.err(line) });

function lsCommand(output: Output): Command {
  return new Command('ls')
    .alias('list')
    .description('list every image of the runtime: the embedded store, or the Docker engine')
    .option('--json', 'print JSON')
    .option('-q, --quiet', 'print only names')
    .action(async (opts: { json?: boolean; quiet?: boolean }, command: Command) => {
      const [{ formatSize }, { table }] = await Promise.all([import('../../format/size.js'), import('../../format/table.js')]);
      const list = await (await openImages(command, output)).list();
      if (opts.json) return output.out(JSON.stringify(list, null, 2));
      if (opts.quiet) return list.length ? output.out(list.map((i) => i.name).join('\n')) : undefined;
      const rows = [['IMAGE', 'ID', 'SIZE', 'CREATED'], ...list.map((i) => [i.name, i.id.slice(7, 19), formatSize(i.size), i.createdAt ?? ''])];
      output.out(table(rows));
    });
}

function saveCommand(output: Output): Command {
  return new Command('save')
    .description('write an image to a docker-archive tar (what `docker load` reads) or an OCI image layout folder')
    .argument('[image]', 'image name (or manifest digest)')
    .option('-o, --output <file>', 'the tar file to write (with --format oci: the layout folder)')
    .addOption(new Option('--format <format>', 'what to write').choices(['docker-archive', 'oci']).default('docker-archive'))
    .option('--snapshot <name>', 'write the project\'s snapshot NAME instead: its container images and its volumes as images; `stack image load` (or `docker load`) it elsewhere, then `up --from-snapshot NAME`')
    .action(async (image: string | undefined, opts: { output?: string; format: SaveFormat; snapshot?: string }, command: Command) => {
      const { UsageError } = await import('../../errors.js');
      if (opts.snapshot !== undefined) return saveSnapshot(command, output, opts.snapshot, image, opts.output);
      if (!image) throw new UsageError('stack image save: name the image to write (or --snapshot NAME)');
      if (!opts.output) throw new UsageError(`stack image save ${image}: name the file to write with -o FILE`);
      await (await openImages(command, output)).save(image, opts.output, opts.format);
      output.err(`Saved ${image} to ${opts.output} (${opts.format})`);
    });
}

/** `stack image save --snapshot NAME -o FILE` (issue 20): the project's snapshot as one docker-archive. */
async function saveSnapshot(command: Command, output: Output, name: string, image: string | undefined, file: string | undefined): Promise<void> {
  const [{ UsageError }, { openProject }] = await Promise.all([import('../../errors.js'), import('../project.js')]);
  if (image) throw new UsageError(`stack image save --snapshot ${name}: name no image beside it (the snapshot's images are written)`);
  if (!file) throw new UsageError(`stack image save --snapshot ${name}: name the file to write with -o FILE`);
  const { stack, opened } = await openProject(globalOptions(command), output, false, undefined, { projectOnly: true });
  try {
    type Saver = { saveSnapshot?: (project: string, name: string, file: string) => Promise<string[]> };
    // Docker: the runtime commits and copies; embedded: the image service reads the store and the records (no supervisor needed);
    // over ships (embedded ones too) the ships runtime, which knows which ship holds the snapshot.
    const own = opened.runtime as Saver;
    const runtime: Saver = opened.runtime.name === 'embedded' && !own.saveSnapshot ? ((await openImages(command, output)) as Saver) : own;
    if (!runtime.saveSnapshot) throw new UsageError(`stack image save --snapshot: on the ${opened.runtime.name} runtime not done yet; the embedded and Docker runtimes save snapshots`);
    const refs = await runtime.saveSnapshot(stack.name, name, file);
    output.err(`Saved snapshot ${name} of ${stack.name} to ${file} (docker-archive: ${refs.join(', ')})`);
  } finally {
    await opened.close();
  }
}

function loadCommand(output: Output): Command {
  return new Command('load')
    .description('import the images of a docker-archive tar (`docker save`) or an OCI image layout folder; a saved snapshot (`image save --snapshot`) becomes a snapshot again')
    .argument('<file>', 'a tar file or layout folder; docker-archive:PATH[:NAME] or oci:PATH[:REF] pick one image')
    .option('-t, --tag <name>', 'also tag the image with this name (the source must hold one, or name one)')
    .action(async (file: string, opts: { tag?: string }, command: Command) => {
      const [{ InterruptedError }, { resolveArchive }, { onInterrupt }] = await Promise.all([
        import('../../errors.js'),
        import('../../orchestrator/images.js'),
        import('../interrupt.js'),
      ]);
      const archive = await resolveArchive(file);
      const images = await openImages(command, output);
      // Ctrl-C or SIGTERM stops the read; what the load had stored is taken away again.
      using interrupt = onInterrupt(() => output.err('Interrupted: stopping the load'));
      const loaded = await images.load(archive, { ...(opts.tag !== undefined ? { tag: opts.tag } : {}), signal: interrupt.signal, say: (line) => output.err(line) }).catch((err: unknown) => {
        if (interrupt.signal.aborted) throw new InterruptedError(`stack image load ${file}: interrupted; nothing of it was kept`);
        throw err;
      });
      for (const image of loaded) {
        if (image.names.length === 0) output.out(`Loaded image ID: ${image.id}`);
        for (const name of image.names) output.out(`Loaded image: ${name}`);
      }
    });
}

/** `stack image`: ls, save and load. */
export function imageCommand(output: Output): Command {
  return new Command('image')
    .description('list images, save them to files and load them from files')
    .addCommand(lsCommand(output))
    .addCommand(saveCommand(output))
    .addCommand(loadCommand(output))
    .action(async () => {
      const { UsageError } = await import('../../errors.js');
      throw new UsageError('stack image: name what to do, `ls`, `save` or `load` (see `stack image --help`)');
    });
}
