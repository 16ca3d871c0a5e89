/**
 * JSON with whole numbers as bigint: a seccomp profile's argument values go up to 2^64-1, beyond
 * what a JS number holds exactly. Takes text JSON.parse accepted already (the caller checks that
 * first, for its error messages); strings are decoded by JSON.parse itself. Small on purpose: the
 * supervisor reads profiles when it starts containers, and a YAML library costs it megabytes.
 */

/** `text` parsed, integers as bigint, other numbers as number; duplicate keys: the last wins, as JSON.parse. */
export function parseJsonBigInt(text: string): unknown {
  let i = 0;
  const space = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const value = (): unknown => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      space();
      if (text[i] === '}') return i++, out;
      for (;;) {
        space();
        const key = string();
        space();
        i++; // ':'
        Object.defineProperty(out, key, { value: value(), enumerable: true, writable: true, configurable: true });
        space();
        if (text[i++] === '}') return out;
      }
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      space();
      if (text[i] === ']') return i++, out;
      for (;;) {
        out.push(value());
        space();
        if (text[i++] === ']') return out;
      }
    }
    if (c === '"') return string();
    const m = /^(?:true|false|null|-?\d+(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (!m) throw new SyntaxError(`unexpected ${JSON.stringify(c)} at ${i}`);
    i += m[0].length;
    if (m[0] === 'true' || m[0] === 'false' || m[0] === 'null') return JSON.parse(m[0]);
    return m[1] === undefined && m[2] === undefined ? BigInt(m[0]) : Number(m[0]);
  };
  const string = (): string => {
    const start = i;
    i++; // '"'
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  return value();
}
