/**
 * YAML text of a normalized stack that reads back the same to Compose and to hafen: a string that
 * go-yaml would read as something else unquoted (`1_000`, `0b101`, `0X1F`, `+0x1F`) is quoted, which
 * YAML 1.2's own rules alone would not do.
 */
import { Document, Scalar, visit } from 'yaml';
import { readPlainScalar } from './yaml-scalar.js';

/** `value` as YAML, each string that go-yaml would not read back as that string double-quoted. */
export function stringifyForCompose(value: unknown): string {
  const doc = new Document(value, { aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && readPlainScalar(node.value).kind !== 'string') node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString({ lineWidth: 0 });
}
