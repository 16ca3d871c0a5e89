/**
 * Vitest's global setup: brings the stack up once before any test file runs, hands the app's url to
 * the tests (`inject('appUrl')`), and takes everything down (volumes too) after the last one.
 */
import { up } from 'hafen';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    appUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await up({
    file: 'stack.yaml',
    cwd: import.meta.dirname,
    // A project of its own per run, so test runs side by side on one machine never share containers.
    project: process.env.TEST_STACK_PROJECT ?? `greeter-tests-${process.pid}`,
    waitTimeout: '60s',
  });
  project.provide('appUrl', await stack.url('app', 8080));
  return () => stack.down({ volumes: true });
}
