import { describe, expect, it } from 'vitest';
import { composeText, goFloatText, readPlainScalar } from './yaml-scalar.js';

/**
 * Each row: a plain scalar as written in `environment: {V: <written>}`, and the text Compose puts
 * in the container's environment. Verified by decoding `v: <written>` with gopkg.in/yaml.v3 3.0.1
 * into map[string]interface{} and printing fmt.Sprint of the value, which is what compose-go's
 * MappingWithEquals/Labels/Mapping do (types/mapping.go mappingValue, labels.go labelValue);
 * go-yaml v4 (compose-go >= 2.10, types resolved by the same resolver code) differs only where noted.
 * undefined: null, "no value".
 */
const ROWS: [written: string, compose: string | undefined, note?: string][] = [
  // integers keep 64 bits: int64, then uint64
  ['1234567890123456789', '1234567890123456789'],
  ['9007199254740993', '9007199254740993', '2^53 + 1: a double would say ...992'],
  ['12345678901234567890', '12345678901234567890', 'uint64'],
  ['123456789012345678901', '1.2345678901234568e+20', 'beyond uint64 go-yaml reads a float'],
  ['-9223372036854775809', '-9.223372036854776e+18', 'below int64: a float'],
  ['100000000000000000000000000000', '1e+29'],
  // Go's integer syntax (ParseInt base 0, "_" removed first)
  ['0x1F', '31'],
  ['0X1F', '31', 'YAML 1.2 core: a string'],
  ['-0x1F', '-31', 'YAML 1.2 core: a string'],
  ['+0x1F', '31'],
  ['0o440', '288'],
  ['0O440', '288'],
  ['0440', '288', 'YAML 1.1 octal, kept by go-yaml; YAML 1.2 core: 440'],
  ['007', '7'],
  ['00', '0'],
  ['0b101', '5', 'YAML 1.2 core: a string'],
  ['-0b101', '-5'],
  ['1_000', '1000', 'YAML 1.2 core: a string'],
  ['1__0', '10'],
  ['1_', '1'],
  ['0x_1F', '31'],
  ['+5', '5'],
  ['0089', '89', 'not octal, so a float'],
  ['08', '8'],
  ['0999999999', '9.99999999e+08', 'not octal: a float, in exponent form'],
  ['-0', '-0', 'go-yaml v4 (today\'s Compose): negative zero; v3 said "0"'],
  ['-0.0', '-0'],
  // floats: Go's %v
  ['1.10', '1.1'],
  ['1.0', '1'],
  ['1.', '1'],
  ['.5', '0.5'],
  ['1e3', '1000'],
  ['1E3', '1000'],
  ['3.0e+2', '300'],
  ['0.1e-2', '0.001'],
  ['1.5e10', '1.5e+10'],
  ['1e6', '1e+06'],
  ['123456.0', '123456'],
  ['1234567.0', '1.234567e+06'],
  ['0.0001', '0.0001'],
  ['0.00001', '1e-05'],
  ['1e21', '1e+21'],
  ['1e-7', '1e-07'],
  ['.inf', '+Inf'],
  ['.Inf', '+Inf'],
  ['.INF', '+Inf'],
  ['+.inf', '+Inf'],
  ['-.inf', '-Inf'],
  ['.nan', 'NaN'],
  ['.NaN', 'NaN'],
  ['inf', 'inf'],
  ['nan', 'nan'],
  // booleans: YAML 1.2's three spellings; yes/no/on/off/y/n are text
  ['true', 'true'],
  ['True', 'true'],
  ['TRUE', 'true'],
  ['false', 'false'],
  ['tRUE', 'tRUE'],
  ['yes', 'yes'],
  ['no', 'no'],
  ['on', 'on'],
  ['off', 'off'],
  ['y', 'y'],
  ['n', 'n'],
  // null
  ['null', undefined],
  ['Null', undefined],
  ['NULL', undefined],
  ['~', undefined],
  ['', undefined],
  // text
  ['1:30', '1:30', 'YAML 1.1 sexagesimal is not read by go-yaml'],
  ['12:30:45', '12:30:45'],
  ['0x', '0x'],
  ['_1', '_1'],
  ['1.2.3', '1.2.3'],
  ['1e', '1e'],
  ['1e400', '1e400', 'ParseFloat overflows, go-yaml keeps the text'],
  // deliberate difference: go-yaml reads dates as time.Time and Compose prints "2001-12-14 00:00:00 +0000 UTC"
  ['2001-12-14', '2001-12-14', 'hafen keeps the text; Compose renders a Go time'],
];

describe('readPlainScalar + composeText: a plain scalar where Compose wants text', () => {
  it.each(ROWS)('%j → %j', (written, compose) => {
    expect(composeText(readPlainScalar(written))).toBe(compose);
  });
});

describe('readPlainScalar: the value where a number is wanted', () => {
  it.each([
    ['0440', { kind: 'int', value: 288n }],
    ['0o1777', { kind: 'int', value: 1023n }],
    ['1777', { kind: 'int', value: 1777n }],
    ['12345678901234567890', { kind: 'int', value: 12345678901234567890n }],
    ['+12345678901234567890', { kind: 'float', value: 12345678901234567890 }], // ParseUint takes no sign
    ['1.5', { kind: 'float', value: 1.5 }],
    ['yes', { kind: 'string', value: 'yes' }],
    ['TRUE', { kind: 'bool', value: true }],
  ] as const)('%s', (written, reading) => {
    expect(readPlainScalar(written)).toEqual(reading);
  });
});

describe('goFloatText: Go %v of a float64', () => {
  // fmt.Printf("%v") of each, run with Go 1.19
  it.each([
    [12345678, '1.2345678e+07'],
    [1234567.5, '1.2345675e+06'],
    [100000, '100000'],
    [999999, '999999'],
    [999999.9, '999999.9'],
    [0.000123, '0.000123'],
    [-1.5e-7, '-1.5e-07'],
    [1e100, '1e+100'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [0.30000000000000004, '0.30000000000000004'],
    [123456.789, '123456.789'],
    [-0.0001, '-0.0001'],
  ])('%s → %s', (value, text) => {
    expect(goFloatText(value)).toBe(text);
  });
});
