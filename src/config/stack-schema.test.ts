import fs from 'node:fs';
import { expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without types
import { generate, outFile, schemaFile } from '../../scripts/compile-schema.mjs';
import { unsupportedKeywords, type SchemaObject } from './schema-check.js';

it('the embedded schema is up to date with schemas/stack.schema.json', () => {
  expect(fs.readFileSync(outFile as string, 'utf8'), 'run `node scripts/compile-schema.mjs`').toBe((generate as () => string)());
});

it('schema-check.ts implements every rule keyword the schema uses', () => {
  const schema = JSON.parse(fs.readFileSync(schemaFile as string, 'utf8')) as SchemaObject;
  expect(unsupportedKeywords(schema), 'add the keyword to src/config/schema-check.ts (and its ajv comparison test)').toEqual([]);
});
