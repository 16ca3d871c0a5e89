/** Parses stack-file text into a YAML document with positions, refusing syntax errors and alias bombs. */
import { LineCounter, parseAllDocuments, parseDocument, visit, type CollectionTag, type Document, type DocumentOptions, type ParseOptions, type ScalarTag, type SchemaOptions } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';

/**
 * yaml's guard against "billion laughs": it counts how often each anchor is expanded, weighted by
 * the aliases inside it, and throws past this. A 9-level lol bomb trips it within a few levels.
 */
export const MAX_ALIAS_COUNT = 1000;

/** A parsed document and the line index that turns offsets into line:col. */
export interface ParsedYaml {
  doc: Document.Parsed;
  lines: LineCounter;
  file: string;
}

/**
 * Parses YAML 1.2 (so `no` stays a string). Duplicate keys and `<<` merges are left to
 * yaml-tree.ts: yaml's own duplicate check compares every key with every other (quadratic on a
 * big map), and its merge copies whole maps per use.
 * @param file the path as the user named it, for messages
 */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, ...OPTIONS });
  checkDocument(doc, lines, file);
  return { doc, lines, file };
}

/**
 * Every document of a stream (`---` between them), as compose-go reads a file: each is loaded in
 * turn and merged over the ones before, like files given with -f. Positions count from the
 * start of the file.
 */
export function parseYamlDocuments(text: string, file: string): ParsedYaml[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, ...OPTIONS });
  if (!Array.isArray(docs)) return []; // an empty stream (comments only)
  for (const doc of docs) checkDocument(doc, lines, file);
  return docs.map((doc) => ({ doc, lines, file }));
}

const OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.2',
  uniqueKeys: false,
  merge: false,
  prettyErrors: true,
  strict: true,
  customTags: (tags) => [...tags, ...MERGE_TAGS],
};

/** Throws the first syntax error of a document, or a possible alias bomb. */
function checkDocument(doc: Document.Parsed, lines: LineCounter, file: string): void {
  const problems = [...doc.errors, ...doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED')];
  if (problems.length > 0) {
    // Only the first: later YAML errors are mostly echoes of the first one.
    const first = problems.sort((a, b) => a.pos[0] - b.pos[0])[0]!;
    const { line, col } = lines.linePos(first.pos[0]);
    throw new ConfigError([{ location: { file, line, col, path: '' }, message: `invalid YAML: ${yamlMessage(first.message)}` }]);
  }
  refuseAliasBombs(doc, lines, file);
}

/** yaml's messages end with " at line L, column C:" and a source excerpt; we print our own position. */
function yamlMessage(message: string): string {
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return first.charAt(0).toLowerCase() + first.slice(1);
}

/**
 * Lets yaml resolve every alias with its count limit. This resolves by reference (nothing is
 * copied), so it is cheap for honest files and stops a bomb after a few thousand steps.
 */
function refuseAliasBombs(doc: Document.Parsed, lines: LineCounter, file: string): void {
  let firstAlias: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      firstAlias = node.range?.[0];
      return visit.BREAK;
    },
  });
  if (firstAlias === undefined) return;
  try {
    doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (!(err instanceof ReferenceError) || !/excessive alias count/i.test(err.message)) return; // yaml-tree reports the rest with positions
    const { line, col } = lines.linePos(firstAlias);
    const issue: ConfigIssue = {
      location: { file, line, col, path: '' },
      message: `aliases expand too much (more than ${MAX_ALIAS_COUNT} uses); refusing a possible "billion laughs" file`,
    };
    throw new ConfigError([issue]);
  }
}

/**
 * Compose's `!reset` and `!override` (merge.ts reads them off the nodes). Declared for scalars,
 * mappings and lists alike, so that strict parsing accepts them; any other unknown tag stays an error.
 */
const MERGE_TAGS: (ScalarTag | CollectionTag)[] = ['!reset', '!override'].flatMap((tag) => [
  { tag, identify: () => false, resolve: (text: string) => text },
  { tag, identify: () => false, collection: 'map' as const },
  { tag, identify: () => false, collection: 'seq' as const },
]);
