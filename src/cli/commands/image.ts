/** `stack image save` and `stack image load`: images of the embedded store to and from `docker save` archives and OCI layouts. */
import { Command, Option } from 'commander';
import type { Output } from '../output.js';

/** Formats `stack image save` writes. */
type SaveFormat = 'docker-archive' | 'oci';

/** Node's file errors (a missing folder, no permission) as a RuntimeError naming the image and the file. */
async function naming(image: string, file: string, save: () => Promise<unknown>): Promise<void> {
  const { RuntimeError, StackError } = await import('../../errors.js');
  try {
    await save();
  } catch (err) {
    if (err instanceof StackError || !(err as NodeJS.ErrnoException).code) throw err;
    throw new RuntimeError(`image ${image}`, `cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function saveCommand(output: Output): Command {
  return new Command('save')
    .description('write an image to a docker-archive tar (what `docker load` reads) or an OCI image layout folder')
    .argument('<image>', 'image name (or manifest digest)')
    .option('-o, --output <file>', 'the tar file to write (with --format oci: the layout folder)')
    .addOption(new Option('--format <format>', 'what to write').choices(['docker-archive', 'oci']).default('docker-archive'))
    .action(async (image: string, opts: { output?: string; format: SaveFormat }) => {
      const [{ UsageError }, { openStore }, io] = await Promise.all([
        import('../../errors.js'),
        import('../../runtime/embedded/store/index.js'),
        import('../../runtime/embedded/image-io/index.js'),
      ]);
      if (!opts.output) throw new UsageError(`stack image save ${image}: name the file to write with -o FILE`);
      const file = opts.output;
      const store = openStore();
      await naming(image, file, async () => {
        if (opts.format === 'oci') io.saveOciLayout(store, image, file);
        else await io.saveDockerArchive(store, image, file);
      });
      output.err(`Saved ${image} to ${file} (${opts.format})`);
    });
}

function loadCommand(output: Output): Command {
  return new Command('load')
    .description('import the images of a docker-archive tar (`docker save`) or an OCI image layout folder')
    .argument('<file>', 'a tar file or layout folder; docker-archive:PATH[:NAME] or oci:PATH[:REF] pick one image')
    .option('-t, --tag <name>', 'also tag the image with this name (the source must hold one, or name one)')
    .action(async (file: string, opts: { tag?: string }) => {
      const [fs, { UsageError, InterruptedError }, { openStore }, io, { onInterrupt }, { sourceFileProblem }] = await Promise.all([
        import('node:fs'),
        import('../../errors.js'),
        import('../../runtime/embedded/store/index.js'),
        import('../../runtime/embedded/image-io/index.js'),
        import('../interrupt.js'),
        import('../../runtime/embedded/image-io/source-file.js'),
      ]);
      const parsed = io.parseImageSource(file);
      // A plain path: a folder is an OCI layout, anything else a tar.
      const source: { kind: 'docker-archive' | 'oci'; path: string; ref?: string } =
        parsed.kind === 'docker-archive' || parsed.kind === 'oci'
          ? parsed
          : { kind: fs.statSync(file, { throwIfNoEntry: false })?.isDirectory() ? 'oci' : 'docker-archive', path: file };
      if (!fs.existsSync(source.path)) throw new UsageError(`stack image load ${file}: ${source.path} does not exist`);
      // A device or FIFO never ends: refused before it is opened.
      const problem = sourceFileProblem(source.kind, source.path);
      if (problem) throw new UsageError(`stack image load ${file}: ${problem}`);
      const store = openStore();
      // Ctrl-C or SIGTERM stops the read; what the load had stored is taken away again.
      using interrupt = onInterrupt(() => output.err('Interrupted: stopping the load'));
      const options = { ...(source.ref !== undefined ? { ref: source.ref } : {}), ...(opts.tag !== undefined ? { tag: opts.tag } : {}), signal: interrupt.signal };
      const before = new Map(store.images.list().map((r) => [r.name, r.updated]));
      const loaded = await (source.kind === 'oci' ? io.importOciLayout(store, source.path, options) : io.importDockerArchive(store, source.path, options)).catch((err: unknown) => {
        if (interrupt.signal.aborted) throw new InterruptedError(`stack image load ${file}: interrupted; nothing of it was kept`);
        throw err;
      });
      // The names this load set: every tag it wrote is new or has a new time.
      const tags = store.images.list().filter((r) => before.get(r.name) !== r.updated);
      for (const image of loaded) {
        const names = tags.filter((r) => r.manifest === image.manifestDigest).map((r) => r.name);
        if (names.length === 0) output.out(`Loaded image ID: ${image.manifest.config.digest}`);
        for (const name of names) output.out(`Loaded image: ${name}`);
      }
    });
}

/** `stack image`: save and load. */
export function imageCommand(output: Output): Command {
  return new Command('image')
    .description('save images to files and load them from files')
    .addCommand(saveCommand(output))
    .addCommand(loadCommand(output))
    .action(async () => {
      const { UsageError } = await import('../../errors.js');
      throw new UsageError('stack image: name what to do, `save` or `load` (see `stack image --help`)');
    });
}
