/**
 * Plain (unquoted, untagged) YAML scalars read as Compose reads them. Compose decodes a file with
 * Go's yaml library (go-yaml v3, now v4), whose resolver differs from YAML 1.2's core schema in a
 * few places that change what a file means: `0440` is octal (288), `1_000` is 1000, `0b101` is 5,
 * `0X1F` and `-0x1F` are numbers, and integers keep 64 bits. Values that want text (environment,
 * labels, build args, …) are then rendered with Go's `fmt.Sprint`: `1.10` becomes "1.1", `1e6`
 * becomes "1e+06", `.inf` becomes "+Inf". This module is that reading and that rendering.
 */

/** What a plain scalar means: Go's decoded type, with integers kept exactly. */
export type PlainReading =
  | { kind: 'null' }
  | { kind: 'bool'; value: boolean }
  /** An integer that fits int64 or uint64, as Go keeps it. */
  | { kind: 'int'; value: bigint }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Scalars Go's resolver looks up by their whole text (its resolve map). */
const BY_TEXT = new Map<string, PlainReading>([
  ...['true', 'True', 'TRUE'].map((t) => [t, { kind: 'bool', value: true }] as const),
  ...['false', 'False', 'FALSE'].map((t) => [t, { kind: 'bool', value: false }] as const),
  ...['', '~', 'null', 'Null', 'NULL'].map((t) => [t, { kind: 'null' }] as const),
  ...['.nan', '.NaN', '.NAN'].map((t) => [t, { kind: 'float', value: Number.NaN }] as const),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((t) => [t, { kind: 'float', value: Number.POSITIVE_INFINITY }] as const),
  ...['-.inf', '-.Inf', '-.INF'].map((t) => [t, { kind: 'float', value: Number.NEGATIVE_INFINITY }] as const),
  // go-yaml v4 (Compose since compose-go 2.10) reads these as negative zero; v3 read "-0" as 0.
  ...['-0', '-0.0'].map((t) => [t, { kind: 'float', value: -0 }] as const),
]);

/** go-yaml's yamlStyleFloat: the only float spellings it accepts (after removing "_"). */
const YAML_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
/** Go's ParseFloat on a text that starts with ".": decimal digits and an exponent only. */
const DOT_FLOAT = /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/;

/** Reads a plain scalar's text as go-yaml resolves it when decoding into Go's `any`. */
export function readPlainScalar(text: string): PlainReading {
  const known = BY_TEXT.get(text);
  if (known) return known;
  const first = text.charAt(0);
  if (first === '.') return DOT_FLOAT.test(text) ? { kind: 'float', value: Number(text) } : { kind: 'string', value: text };
  if (!/[-+0-9]/.test(first)) return { kind: 'string', value: text };
  const plain = text.replaceAll('_', '');
  const int = parseGoInt(plain);
  if (int !== undefined && int >= INT64_MIN && int <= UINT64_MAX && (int <= INT64_MAX || !/^[-+]/.test(plain))) return { kind: 'int', value: int };
  if (YAML_FLOAT.test(plain)) {
    const value = Number(plain);
    // Go's ParseFloat fails on overflow (1e400), and go-yaml then keeps the text.
    if (Number.isFinite(value)) return { kind: 'float', value };
  }
  // Dates (2001-12-14) are timestamps to go-yaml; hafen keeps their text (see composeText).
  return { kind: 'string', value: text };
}

/**
 * Go's strconv.ParseInt(text, 0, …) syntax without the range check: an optional sign, then
 * 0x/0X hex, 0o/0O or a leading 0 octal, 0b/0B binary, or decimal. undefined when not an integer.
 */
function parseGoInt(text: string): bigint | undefined {
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]+|[1-9][0-9]*|0)$/.exec(text);
  if (!m) return undefined;
  const [, sign, digits] = m as unknown as [string, string, string];
  let magnitude: bigint;
  if (/^0[0-7]+$/.test(digits)) magnitude = BigInt(`0o${digits.slice(1)}`);
  else magnitude = BigInt(digits.toLowerCase());
  return sign === '-' ? -magnitude : magnitude;
}

/**
 * A reading as Compose renders it where a key wants text (Go's `fmt.Sprint` of the decoded
 * value); undefined for null, which each key treats in its own way (unset, or "").
 */
export function composeText(reading: PlainReading): string | undefined {
  switch (reading.kind) {
    case 'null':
      return undefined;
    case 'bool':
      return String(reading.value);
    case 'int':
      return reading.value.toString();
    case 'float':
      return goFloatText(reading.value);
    case 'string':
      return reading.value;
    default: {
      const never: never = reading;
      return never;
    }
  }
}

/**
 * Go's `%v` of a float64: the shortest digits that read back the same (as JavaScript's), in
 * exponent form when the exponent is below -4 or at least 6 (`1e+06`, `1.5e-07`), with at least
 * two exponent digits; `+Inf`, `-Inf`, `NaN`, and `-0` for negative zero.
 */
export function goFloatText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Object.is(value, -0)) return '-0';
  const [mantissa, exp] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 6) {
    const digits = String(Math.abs(exponent)).padStart(2, '0');
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${digits}`;
  }
  return String(value); // JavaScript writes plain decimals for these exponents, with the same digits
}
