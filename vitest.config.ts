import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'e2e/**/*.test.ts'],
    // e2e tests touch real system resources (mounts, namespaces, dockerd): keep them in one worker at a time.
    fileParallelism: true,
    testTimeout: 30_000,
  },
});
