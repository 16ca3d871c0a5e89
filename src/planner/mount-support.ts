/** Mount and link options a runtime cannot honour. */
import type { SupportRule } from './runtime-support.js';

/**
 * Bind propagation: the embedded runtime's container mount namespace is rprivate (as Docker's
 * default), so a host mount made later under a bind source never shows inside; it refuses the
 * modes that promise otherwise instead of quietly giving rprivate. Docker takes them all.
 */
export const MOUNT_RULES: readonly SupportRule[] = [
  {
    runtime: 'embedded',
    key: 'volumes',
    refuse: (service) => {
      const m = service.volumes.find((v) => v.type === 'bind' && v.propagation !== undefined && v.propagation !== 'private' && v.propagation !== 'rprivate');
      return m?.type === 'bind' ? `the bind of ${m.source} asks for "${m.propagation}" propagation; the embedded runtime's binds are rprivate` : undefined;
    },
    todo: 'remove the propagation mode (host mounts made after the start then stay invisible inside), or use --runtime docker',
  },
  {
    // Docker's legacy links to containers of other projects; the embedded runtime's containers of
    // another project live on other bridges, so a name alone could not reach them.
    runtime: 'embedded',
    key: 'external_links',
    refuse: (service) => (service.external_links ? `external_links (${service.external_links.join(', ')}) link containers outside the stack, which the embedded runtime cannot reach` : undefined),
    todo: 'put the other container on an external network the service joins and use its name, or use --runtime docker',
  },
];
