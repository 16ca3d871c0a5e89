/** Keys a runtime cannot honour because of how Compose reads their values (see config/windows-path.ts). */
import { isWindowsAbsolutePath } from '../config/windows-path.js';
import type { SupportRule } from './runtime-support.js';

/**
 * A Windows bind source (`C:\data:/data`) is kept as written, as Compose keeps it: a Windows Docker
 * engine has it, the embedded runtime on Linux never does (and must not make a folder of that name).
 */
export const VALUES_RULES: readonly SupportRule[] = [
  {
    runtime: 'embedded',
    key: 'volumes',
    refuse: (service) => {
      const windows = service.volumes.find((m) => m.type === 'bind' && isWindowsAbsolutePath(m.source));
      return windows?.type === 'bind' ? `the bind source ${windows.source} is a Windows path, which does not exist on Linux` : undefined;
    },
    todo: 'write a Linux path (./data, /srv/data), or use --runtime docker with a Windows Docker engine',
  },
];
