/**
 * Finding a container's record by name. Names are unique across projects in practice (callers
 * prefix them with the project), but state is kept per project: the project of a name is looked up
 * once (by scanning the projects' folders) and remembered.
 */
import { RuntimeError } from '../../../errors.js';
import { projectsOf, readRecord, type ContainerRecord } from './container-record.js';

/** Name → record, with the project of each name remembered. */
export class ContainerFinder {
  private readonly projectOf = new Map<string, string>();

  constructor(private readonly root: string) {}

  /** The record of `name`, or undefined; a name in several projects is an error naming them. */
  find(name: string): ContainerRecord | undefined {
    const cached = this.projectOf.get(name);
    const hit = cached && readRecord(this.root, cached, name);
    if (hit) return hit;
    const projects = projectsOf(this.root, name);
    if (projects.length > 1) throw new RuntimeError(`container ${name}`, `exists in several projects (${projects.join(', ')}); names must be unique`);
    const project = projects[0];
    if (!project) return undefined;
    this.projectOf.set(name, project);
    return readRecord(this.root, project, name);
  }

  /** The record of `name`; a RuntimeError when there is none. */
  require(name: string): ContainerRecord {
    const record = this.find(name);
    if (!record) throw new RuntimeError(`container ${name}`, 'no such container');
    return record;
  }

  remember(name: string, project: string): void {
    this.projectOf.set(name, project);
  }

  forget(name: string): void {
    this.projectOf.delete(name);
  }

  /** Forgets every container of `project`; returns their names. */
  forgetProject(project: string): string[] {
    const names = [...this.projectOf].filter(([, p]) => p === project).map(([n]) => n);
    for (const n of names) this.projectOf.delete(n);
    return names;
  }
}
