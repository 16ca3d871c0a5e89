/**
 * The two runtimes the CLI tests run a stack on, as one table: the embedded runtime (a state root of
 * the test's own, a subnet pool of its own) and the machine's dockerd; each with its busybox test
 * image, the CLI's environment, and what a project left behind.
 */
import path from 'node:path';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { importBusyboxImage as importDockerBusybox } from '../src/runtime/docker/test-images.js';
import { openStore } from '../src/runtime/embedded/store/index.js';
import { importBusyboxImage } from '../src/testing/busybox-image.js';
import { stack, type CliResult } from './cli.js';
import { dockerLeaks } from './conformance/runtimes.js';
import { stackLeftovers } from './stack-leftovers.js';

/** One runtime under test. */
export interface CliTarget {
  name: 'embedded' | 'docker';
  /** Makes the runtime's busybox image for a test folder; resolves to its name. */
  setup(dir: string): Promise<string>;
  /** The CLI's environment for this runtime (state root, subnet pool). */
  env(): Record<string, string>;
  /** What `project` left on the machine: mounts, links, cgroups, processes, containers, … */
  leftovers(project: string): string[];
}

/** Both runtimes; the embedded one takes its subnets from `subnetPool` (`10.2xx.0.0/16:24`, one per test file). */
export function cliTargets(subnetPool: string): CliTarget[] {
  let root = '';
  return [
    {
      name: 'embedded',
      setup: async (dir) => {
        root = path.join(dir, 'root');
        return importBusyboxImage(openStore(root));
      },
      env: () => ({ HAFEN_ROOT: root, HAFEN_SUBNET_POOL: subnetPool }),
      leftovers: (project) => stackLeftovers(project, root),
    },
    { name: 'docker', setup: () => importDockerBusybox(new DockerRuntime().docker), env: () => ({}), leftovers: (project) => dockerLeaks(project) },
  ];
}

/** `stack --runtime NAME -f FILE -p PROJECT --progress plain ...args` in `cwd`, as a user runs it. */
export function stackOn(target: CliTarget, cwd: string, file: string, project: string, args: string[]): CliResult {
  return stack(['--runtime', target.name, '-f', file, '-p', project, '--progress', 'plain', ...args], { cwd, env: target.env(), timeout: 90_000 });
}
