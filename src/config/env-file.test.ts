import { describe, expect, it } from 'vitest';
import { parseEnvFile } from './env-file.js';

const outer = (name: string) => ({ HOME: '/home/me', PASSED: 'from-env' })[name];
const parse = (text: string) => parseEnvFile(text, '.env', outer);

describe('env files', () => {
  it('reads NAME=VALUE lines, comments, export and blank lines', () => {
    const { vars, issues } = parse('# comment\n\nA=1\nexport B=two\n  C = spaced  \nD=\nE=x # trailing comment\nF=x#not-a-comment\n');
    expect(issues).toEqual([]);
    expect(vars).toEqual({ A: '1', B: 'two', C: 'spaced', D: '', E: 'x', F: 'x#not-a-comment' });
  });

  it('handles quotes: single literal, double with escapes, both across lines', () => {
    const { vars, issues } = parse(`S='$HOME \\n # kept'\nD="a\\tb\\n\\"q\\" \\$HOME"\nM="line1\nline2"\nAFTER=ok\n`);
    expect(issues).toEqual([]);
    expect(vars).toEqual({ S: '$HOME \\n # kept', D: 'a\tb\n"q" $HOME', M: 'line1\nline2', AFTER: 'ok' });
  });

  it('interpolates from earlier lines first, then the environment', () => {
    const { vars } = parse('USER=shop\nURL=postgres://${USER}@db\nH=$HOME\nDEF=${MISSING:-dflt}\n');
    expect(vars).toEqual({ USER: 'shop', URL: 'postgres://shop@db', H: '/home/me', DEF: 'dflt' });
  });

  it('a bare NAME passes the environment variable through, if set', () => {
    expect(parse('PASSED\nNOT_SET\n').vars).toEqual({ PASSED: 'from-env' });
  });

  it('reports bad lines with file:line:col and keeps going', () => {
    const { vars, issues } = parse('A=1\nnot valid\n  9X=2\nB="open\n');
    expect(vars).toEqual({ A: '1' });
    expect(issues.map((i) => `${i.location.file}:${i.location.line}:${i.location.col} ${i.message}`)).toEqual([
      '.env:2:5 expected "=" after the variable name (a line is NAME=VALUE); the line is not shown',
      '.env:3:3 expected NAME=VALUE: a line starts with a variable name (a letter or "_", then letters, digits, "_", "." or "-"); the line is not shown',
      '.env:4:3 unterminated double quote',
    ]);
  });

  it('refuses a file that is not an env file (a shadow file) without a word of its lines', () => {
    const shadow = 'root:$6$salt$H4shOfTheRootPassw0rd:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nA="x" tr41ling\nB=${bad\n';
    const { issues } = parse(shadow);
    const text = issues.map((i) => `${i.location.line}:${i.location.col} ${i.message}`).join('\n');
    expect(text).toBe(
      [
        '1:5 expected "=" after the variable name (a line is NAME=VALUE); the line is not shown',
        '2:7 expected "=" after the variable name (a line is NAME=VALUE); the line is not shown',
        '3:6 unexpected text after the closing quote (not shown)',
        '4:3 invalid interpolation at character 1: "${" has no closing "}" (write $$ for a literal $)',
      ].join('\n'),
    );
    for (const piece of ['H4sh', 'salt', 'daemon', '19000', 'tr41ling', 'bad']) expect(text).not.toContain(piece);
  });

  it('reports a missing required variable at the value', () => {
    const { issues } = parse('A=1\nB=${NOPE:?needed}\n');
    expect(issues).toEqual([{ location: { file: '.env', line: 2, col: 3, path: 'B' }, message: 'required variable NOPE is missing a value: needed' }]);
  });

  it('reports text after a closing quote where it starts', () => {
    const { issues } = parse('A="x\ny" junk\n');
    expect(issues.map((i) => `${i.location.line}:${i.location.col} ${i.message}`)).toEqual(['2:3 unexpected text after the closing quote (not shown)']);
  });

  it('accepts CRLF line ends', () => {
    expect(parse('A=1\r\nB=2\r\n').vars).toEqual({ A: '1', B: '2' });
  });
});
