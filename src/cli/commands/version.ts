/** `stack version`: hafen's version (as `stack --version`), and with `--format json` for scripts. */
import { Command, Option } from 'commander';
import { version } from '../../version.js';
import type { Output } from '../output.js';

export function versionCommand(output: Output): Command {
  return new Command('version')
    .description('print the version of hafen')
    .addOption(new Option('--format <format>', 'output format').choices(['pretty', 'json']).default('pretty'))
    .option('--short', 'the version number alone')
    .action((flags: { format: string; short?: boolean }) => {
      if (flags.format === 'json') output.out(JSON.stringify({ version, node: process.versions.node, platform: `${process.platform}/${process.arch}` }));
      else if (flags.short) output.out(version);
      else output.out(`hafen version ${version} (node ${process.versions.node}, ${process.platform}/${process.arch})`);
    });
}
