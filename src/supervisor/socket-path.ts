/**
 * Where a project's supervisor listens. For root, beside its state: `<root>/projects/<project>/
 * supervisor.sock`. For a user without root (issue 17), in the user's runtime folder,
 * `$XDG_RUNTIME_DIR/hafen/<project>-<root's hash>.sock`, as rootless Podman keeps its sockets: a
 * tmpfs of the user's, emptied at logout, where a socket left by a killed supervisor goes with the
 * session; the hash keeps two state roots (HAFEN_ROOT) of one user apart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ensureProjectDir, projectDir } from '../runtime/embedded/state/project-paths.js';
import { isRootless } from '../runtime/embedded/rootless/user-namespace.js';
import { supervisorSocketName, userRuntimeDir } from '../runtime/embedded/rootless/rootless-paths.js';

/** The socket path of `project`'s supervisor under state root `root` (its folder is not made). */
export function supervisorSocketPath(root: string, project: string, rootless: boolean = isRootless()): string {
  if (!rootless) return path.join(projectDir(root, project), 'supervisor.sock');
  projectDir(root, project); // checks the name: it becomes a path segment here too
  return path.join(userRuntimeDir(), supervisorSocketName(root, project));
}

/** As supervisorSocketPath, with its folder (and, for root, the project's state folder) made. */
export function ensureSupervisorSocketDir(root: string, project: string, rootless: boolean = isRootless()): string {
  if (!rootless) return path.join(ensureProjectDir(root, project), 'supervisor.sock');
  ensureProjectDir(root, project);
  const socket = supervisorSocketPath(root, project, rootless);
  fs.mkdirSync(path.dirname(socket), { recursive: true, mode: 0o700 });
  return socket;
}
