/** `WWW-Authenticate` challenges (RFC 7235) as registries send them: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. Pure. */

/** One challenge: its scheme, lowercased, and its parameters (names lowercased). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses a header value into its challenges, in order; malformed parts are skipped. */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const skip = (re: RegExp): void => {
    while (i < header.length && re.test(header[i]!)) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < header.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z/]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  /** An unquoted value, leniently: up to the next comma or space (realms with `:` are seen in the wild). */
  const bare = (): string => {
    const start = i;
    while (i < header.length && !/[\s,]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  const quoted = (): string => {
    let value = '';
    i++; // opening quote
    while (i < header.length && header[i] !== '"') {
      if (header[i] === '\\' && i + 1 < header.length) i++;
      value += header[i++];
    }
    i++; // closing quote
    return value;
  };
  while (i < header.length) {
    skip(/[\s,]/);
    const name = token();
    if (!name) {
      i++;
      continue;
    }
    skip(/\s/);
    if (header[i] === '=' && out.length > 0) {
      i++;
      skip(/\s/);
      const value = header[i] === '"' ? quoted() : bare();
      out[out.length - 1]!.params[name.toLowerCase()] = value;
    } else {
      out.push({ scheme: name.toLowerCase(), params: {} });
    }
  }
  return out;
}

/** The challenge hafen answers: Bearer when offered (with a realm), else Basic. */
export function pickChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const all = parseChallenges(header);
  return all.find((c) => c.scheme === 'bearer' && c.params.realm) ?? all.find((c) => c.scheme === 'basic');
}
