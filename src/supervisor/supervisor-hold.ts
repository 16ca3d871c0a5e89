/**
 * Keeping a project's supervisor from leaving while a command waits on something elsewhere (issue
 * 19: a dependent of an embedded ship created only once its dependency on another host is up).
 * A supervisor leaves when nothing runs and its only connection follows events; a second
 * connection counts as a command at work. Closing it lets the supervisor look again.
 */
import type { ProjectRuntime } from '../orchestrator/project-runtime.js';
import { SupervisorClient } from './client.js';
import { supervisorSocketPath } from './socket-path.js';

/** Holds `opened`'s supervisor (if it has one) for `project`; returns what lets go. */
export function holdSupervisor(opened: Pick<ProjectRuntime, 'root' | 'supervisor'>, project: string): () => void {
  if (!opened.supervisor) return () => {};
  let released = false;
  let held: SupervisorClient | undefined;
  void SupervisorClient.connect(supervisorSocketPath(opened.root, project), opened.root).then(
    (client) => (released ? void client.close() : (held = client)),
    () => undefined, // gone already: the next call says so
  );
  return () => {
    released = true;
    void held?.close();
  };
}
