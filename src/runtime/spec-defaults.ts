/** A ContainerSpec with Docker's defaults for everything a caller does not say (tests, benches, one-offs). */
import { Label, type ContainerSpec } from './runtime.js';

/** The spec of container `<project>-<name>` running `image`, defaults elsewhere; `fields` override. */
export function defaultContainerSpec(project: string, name: string, fields: Partial<ContainerSpec> & { image: string }): ContainerSpec {
  return {
    name: `${project}-${name}`,
    env: {},
    hostname: name,
    labels: { [Label.project]: project, [Label.service]: name, [Label.instance]: '1' },
    mounts: [],
    networks: [],
    extraHosts: {},
    ports: [],
    resources: {},
    stopSignal: 'SIGTERM',
    stopGracePeriod: 10_000,
    tty: false,
    stdinOpen: false,
    readOnly: false,
    privileged: false,
    capAdd: [],
    capDrop: [],
    ...fields,
  };
}
