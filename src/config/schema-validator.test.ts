import fs from 'node:fs';
import { expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without types
import { generate, outFile } from '../../scripts/compile-schema.mjs';

it('the precompiled schema validator is up to date with schemas/stack.schema.json', () => {
  expect(fs.readFileSync(outFile as string, 'utf8'), 'run `node scripts/compile-schema.mjs`').toBe((generate as () => string)());
});
