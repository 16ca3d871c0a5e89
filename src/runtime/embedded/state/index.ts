/** A project's state on disk: its folder, ledger, container folders, and the lock that serializes `up`s. */
export {
  containerDir,
  containerPaths,
  createContainerDir,
  ensureProjectDir,
  ledgerFile,
  openProjectLedger,
  projectDir,
  removeProjectDir,
  type ContainerPaths,
} from './project-paths.js';
export { lockFile, lockProject, ProjectLockedError, type LockHolder, type ProjectLock } from './project-lock.js';
