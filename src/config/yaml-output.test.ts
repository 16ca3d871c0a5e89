import { describe, expect, it } from 'vitest';
import { parseYaml } from './parse-yaml.js';
import { stringifyForCompose } from './yaml-output.js';
import { toTree } from './yaml-tree.js';

describe('stringifyForCompose', () => {
  it('quotes the strings go-yaml would read as numbers, booleans or null, so they read back the same', () => {
    const value = { environment: { A: '1_000', B: '0b101', C: '0X1F', D: '+0x1F', E: '1e6', F: 'yes', G: '-0', H: 'plain text', I: '', J: 'TRUE' }, n: 5 };
    const text = stringifyForCompose(value);
    expect(text).toContain('A: "1_000"');
    expect(text).toContain('F: yes');
    expect(text).toContain('H: plain text');
    expect(toTree(parseYaml(text, 'out.yaml')).value).toEqual(value);
  });
});
