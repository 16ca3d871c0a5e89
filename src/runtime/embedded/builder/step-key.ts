/**
 * The text a build step contributes to its cache key: the resolved instruction (arguments and
 * environment substituted), without where it was written, so moving a line or editing a comment
 * keeps the cache, and any change in what the step does invalidates it.
 */
import type { Step } from '../build/index.js';
import type { Digest } from '../layers/index.js';
import { stepKey } from '../store/index.js';

/** Bumped when what a step produces changes for the same text, so old cache entries are not trusted. */
const FORMAT = 'hafen-build/1';

/** The resolved instruction as the cache key sees it. */
export function stepText(step: Step): string {
  const { line: _line, endLine: _end, source: _source, ...rest } = step;
  if (rest.kind === 'run') {
    const { proxyEnv: _proxy, ...run } = rest; // proxies never change the result (as in Docker)
    return `${FORMAT} ${JSON.stringify(run)}`;
  }
  if (rest.kind === 'copy' || rest.kind === 'add') {
    const { user: _user, workdir: _workdir, link: _link, ...copy } = rest; // dest is already absolute
    return `${FORMAT} ${JSON.stringify(copy)}`;
  }
  return `${FORMAT} ${JSON.stringify(rest)}`;
}

/** The cache key of `step` over `parent` (the previous step's key, or the base image's). */
export function keyOf(parent: Digest | null, step: Step, inputsChecksum = ''): Digest {
  return stepKey(parent, stepText(step), inputsChecksum);
}
