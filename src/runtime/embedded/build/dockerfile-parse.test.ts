import { describe, expect, test } from 'vitest';
import { DockerfileError } from './dockerfile-error.js';
import { parseDockerfile } from './dockerfile-parse.js';
import type { Instruction } from './instructions.js';

const parse = (text: string) => parseDockerfile(text, { file: 'Dockerfile' });
/** The instructions of a one-stage Dockerfile after its FROM, without location fields. */
const body = (text: string): Partial<Instruction>[] =>
  parse(`FROM alpine\n${text}`).stages[0]!.instructions.map(({ line: _l, endLine: _e, source: _s, ...rest }) => rest);
const first = (text: string) => body(text)[0];
const errorOf = (text: string): string => {
  try {
    parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(DockerfileError);
    return (err as Error).message;
  }
  throw new Error('expected a DockerfileError');
};

describe('instructions', () => {
  test.each<[string, string, Partial<Instruction>]>([
    ['RUN shell form', 'RUN apt-get update && apt-get install -y curl', { kind: 'run', command: { form: 'shell', command: 'apt-get update && apt-get install -y curl' }, heredocs: [] }],
    ['RUN exec form', 'RUN ["/bin/bash", "-c", "echo hi"]', { kind: 'run', command: { form: 'exec', args: ['/bin/bash', '-c', 'echo hi'] } }],
    ['RUN malformed JSON falls back to shell form', "RUN ['echo', 'hi']", { kind: 'run', command: { form: 'shell', command: "['echo', 'hi']" } }],
    ['RUN unterminated JSON is shell form', 'RUN ["echo", "hi"', { kind: 'run', command: { form: 'shell', command: '["echo", "hi"' } }],
    ['RUN --network=host kept', 'RUN --network=host curl x', { kind: 'run', network: 'host', command: { form: 'shell', command: 'curl x' } }],
    ['RUN --network=none', 'RUN --network=none true', { kind: 'run', network: 'none' }],
    ['RUN --mount=type=secret defaults', 'RUN --mount=type=secret,id=token cat /run/secrets/token', { kind: 'run', mounts: [{ type: 'secret', id: 'token', target: '/run/secrets/token', required: false }] }],
    [
      'RUN --mount=type=secret with every field',
      'RUN --mount=type=secret,id=npmrc,dst=/root/.npmrc,required,mode=0440,uid=1000,gid=1000 --mount=type=secret,id=tok npm ci',
      {
        kind: 'run',
        mounts: [
          { type: 'secret', id: 'npmrc', target: '/root/.npmrc', required: true, mode: 0o440, uid: 1000, gid: 1000 },
          { type: 'secret', id: 'tok', target: '/run/secrets/tok', required: false },
        ],
        command: { form: 'shell', command: 'npm ci' },
      },
    ],
    ['RUN --mount=type=secret id from target', 'RUN --mount=type=secret,target=/etc/key,required=false true', { kind: 'run', mounts: [{ type: 'secret', id: 'key', target: '/etc/key', required: false }] }],
    ['RUN --mount=type=secret as a variable only', 'RUN --mount=type=secret,id=tok,env=TOKEN true', { kind: 'run', mounts: [{ type: 'secret', id: 'tok', target: undefined, env: 'TOKEN', required: false }] }],
    ['RUN --mount=type=secret as a variable and a file', 'RUN --mount=type=secret,id=tok,env=TOKEN,target=/t true', { kind: 'run', mounts: [{ type: 'secret', id: 'tok', target: '/t', env: 'TOKEN', required: false }] }],
    ['RUN --mount=type=ssh parsed', 'RUN --mount=type=ssh git clone x', { kind: 'run', mounts: [{ type: 'ssh', id: 'default', required: false }] }],
    ['lowercase instruction', 'run echo hi', { kind: 'run', command: { form: 'shell', command: 'echo hi' } }],
    ['mixed-case instruction', 'Cmd echo hi', { kind: 'cmd', command: { form: 'shell', command: 'echo hi' } }],
    ['CMD JSON with escaped quotes', 'CMD ["echo", "say \\"hi\\"", "a\\\\b"]', { kind: 'cmd', command: { form: 'exec', args: ['echo', 'say "hi"', 'a\\b'] } }],
    ['CMD empty array', 'CMD []', { kind: 'cmd', command: { form: 'exec', args: [] } }],
    ['CMD JSON, text after the array ignored (Go JSON decoder)', 'CMD ["a"] b', { kind: 'cmd', command: { form: 'exec', args: ['a'] } }],
    ['ENTRYPOINT exec', 'ENTRYPOINT ["/docker-entrypoint.sh"]', { kind: 'entrypoint', command: { form: 'exec', args: ['/docker-entrypoint.sh'] } }],
    ['COPY', 'COPY a.txt b.txt /dest/', { kind: 'copy', sources: ['a.txt', 'b.txt'], dest: '/dest/', link: false, inline: [] }],
    ['COPY JSON form with spaces', 'COPY ["my file.txt", "/dest dir/"]', { kind: 'copy', sources: ['my file.txt'], dest: '/dest dir/' }],
    [
      'COPY flags',
      'COPY --from=builder --chown=app:app --chmod=0755 --link /out/app /usr/bin/app',
      { kind: 'copy', from: 'builder', chown: 'app:app', chmod: '0755', link: true, sources: ['/out/app'], dest: '/usr/bin/app' },
    ],
    ['COPY --link=false', 'COPY --link=false a b', { kind: 'copy', link: false }],
    ['ADD with chown', 'ADD --chown=1:1 app.tar.gz /opt/', { kind: 'add', chown: '1:1', sources: ['app.tar.gz'], dest: '/opt/' }],
    ['ADD --unpack=false', 'ADD --unpack=false app.tar /opt/', { kind: 'add', unpack: false }],
    ['ENV pairs with quotes kept for substitution', 'ENV k=v k2="v 2" k3=a\\ b', { kind: 'env', pairs: [{ key: 'k', value: 'v' }, { key: 'k2', value: '"v 2"' }, { key: 'k3', value: 'a\\ b' }] }],
    ['ENV legacy form takes the rest of the line', 'ENV MY_NAME John  Doe', { kind: 'env', pairs: [{ key: 'MY_NAME', value: 'John  Doe' }] }],
    ['ENV empty value', 'ENV EMPTY=', { kind: 'env', pairs: [{ key: 'EMPTY', value: '' }] }],
    ['ARG several per line', 'ARG a b=2 c="x y"', { kind: 'arg', args: [{ name: 'a' }, { name: 'b', default: '2' }, { name: 'c', default: '"x y"' }] }],
    ['ARG empty default', 'ARG a=', { kind: 'arg', args: [{ name: 'a', default: '' }] }],
    [
      'LABEL pairs with quotes',
      'LABEL "com.example.vendor"="ACME Incorporated" version="1.0" description="multi word \\"quoted\\""',
      {
        kind: 'label',
        labels: [
          { key: '"com.example.vendor"', value: '"ACME Incorporated"' },
          { key: 'version', value: '"1.0"' },
          { key: 'description', value: '"multi word \\"quoted\\""' },
        ],
      },
    ],
    ['LABEL legacy', 'LABEL maintainer someone@example.com', { kind: 'label', labels: [{ key: 'maintainer', value: 'someone@example.com' }] }],
    ['WORKDIR keeps spaces', 'WORKDIR /my dir', { kind: 'workdir', path: '/my dir' }],
    ['USER', 'USER app:app', { kind: 'user', user: 'app:app' }],
    ['EXPOSE', 'EXPOSE 80 443/tcp 53/udp 8000-8010', { kind: 'expose', ports: ['80', '443/tcp', '53/udp', '8000-8010'] }],
    ['STOPSIGNAL', 'STOPSIGNAL SIGQUIT', { kind: 'stopsignal', signal: 'SIGQUIT' }],
    ['SHELL', 'SHELL ["/bin/bash", "-eo", "pipefail", "-c"]', { kind: 'shell', shell: ['/bin/bash', '-eo', 'pipefail', '-c'] }],
    ['VOLUME JSON', 'VOLUME ["/data", "/var/log"]', { kind: 'volume', paths: ['/data', '/var/log'] }],
    ['VOLUME list', 'VOLUME /data /var/log', { kind: 'volume', paths: ['/data', '/var/log'] }],
    ['MAINTAINER', 'MAINTAINER Jane <jane@example.com>', { kind: 'maintainer', maintainer: 'Jane <jane@example.com>' }],
    [
      'HEALTHCHECK with every option',
      'HEALTHCHECK --interval=5m --timeout=3s --start-period=1m30s --start-interval=500ms --retries=3 CMD curl -f http://localhost/ || exit 1',
      {
        kind: 'healthcheck',
        healthcheck: {
          test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'],
          intervalNs: 300e9,
          timeoutNs: 3e9,
          startPeriodNs: 90e9,
          startIntervalNs: 500e6,
          retries: 3,
        },
      },
    ],
    [
      'HEALTHCHECK exec form',
      'HEALTHCHECK CMD ["pg_isready", "-U", "postgres"]',
      { kind: 'healthcheck', healthcheck: { test: ['CMD', 'pg_isready', '-U', 'postgres'], intervalNs: 0, timeoutNs: 0, startPeriodNs: 0, startIntervalNs: 0, retries: 0 } },
    ],
    ['HEALTHCHECK NONE', 'HEALTHCHECK none', { kind: 'healthcheck', healthcheck: { test: ['NONE'], intervalNs: 0, timeoutNs: 0, startPeriodNs: 0, startIntervalNs: 0, retries: 0 } }],
  ])('%s', (_name, line, expected) => {
    expect(first(line)).toMatchObject(expected);
  });
});

describe('FROM', () => {
  test.each([
    ['FROM alpine', { image: 'alpine' }],
    ['FROM golang:1.22 AS Builder', { image: 'golang:1.22', stageName: 'builder' }],
    ['from node:20 as build', { image: 'node:20', stageName: 'build' }],
    ['FROM --platform=$BUILDPLATFORM golang AS build', { image: 'golang', platform: '$BUILDPLATFORM', stageName: 'build' }],
    ['FROM ${BASE}:${TAG}', { image: '${BASE}:${TAG}' }],
  ])('%s', (line, expected) => {
    expect(parse(line).stages[0]!.from).toMatchObject({ kind: 'from', ...expected });
  });
});

describe('lines, comments and continuations', () => {
  test('continuation lines are joined, comments and empty lines inside are skipped, lines are 1-based', () => {
    const df = parse(
      [
        '# a comment',
        'FROM debian:12',
        '',
        'RUN apt-get update \\',
        '    # install the tools',
        '    && apt-get install -y \\',
        '',
        '       curl \\',
        '       git',
        'CMD ["bash"]',
      ].join('\n'),
    );
    expect(df.instructions.map((i) => [i.kind, i.line, i.endLine])).toEqual([
      ['from', 2, 2],
      ['run', 4, 9],
      ['cmd', 10, 10],
    ]);
    expect(df.instructions[1]).toMatchObject({
      command: { form: 'shell', command: 'apt-get update     && apt-get install -y        curl        git' },
    });
    expect(df.warnings).toEqual([{ line: 4, message: expect.stringContaining('empty continuation line') }]);
  });

  test('a continuation with trailing blanks after the backslash still continues; an escaped backslash does not', () => {
    const df = parse('FROM a\nRUN echo a \\   \n  b\nRUN echo c\\\\\nRUN echo d');
    expect(df.instructions.map((i) => i.kind === 'run' && i.command)).toEqual([
      false,
      { form: 'shell', command: 'echo a   b' },
      { form: 'shell', command: 'echo c\\\\' },
      { form: 'shell', command: 'echo d' },
    ]);
  });

  test('CRLF line endings and a byte-order mark', () => {
    const df = parse('\uFEFFFROM alpine\r\nRUN echo a \\\r\n  b\r\n');
    expect(df.instructions[1]).toMatchObject({ line: 2, endLine: 3, command: { form: 'shell', command: 'echo a   b' } });
  });

  test('indented comments are comments, a # inside a line is not', () => {
    expect(body('   # indented comment\nRUN echo "#not a comment" # nor this')).toEqual([
      { kind: 'run', command: { form: 'shell', command: 'echo "#not a comment" # nor this' }, heredocs: [] },
    ]);
  });

  test('the last line may end in a continuation', () => {
    expect(first('RUN echo a \\')).toMatchObject({ command: { form: 'shell', command: 'echo a' } });
  });
});

describe('parser directives', () => {
  test('escape=` on a Windows-style Dockerfile: backslashes are plain, backtick continues lines', () => {
    const df = parse(
      ['# escape=`', '', 'FROM mcr.microsoft.com/windows/servercore', 'COPY testfile.txt c:\\', 'RUN dir c:\\ `', '    && echo done'].join('\n'),
    );
    expect(df.escape).toBe('`');
    expect(df.instructions.map((i) => i.kind)).toEqual(['from', 'copy', 'run']);
    expect(df.instructions[1]).toMatchObject({ sources: ['testfile.txt'], dest: 'c:\\' });
    expect(df.instructions[2]).toMatchObject({ line: 5, endLine: 6, command: { form: 'shell', command: 'dir c:\\     && echo done' } });
  });

  test('without the directive the same file reads the backslash as a continuation', () => {
    const df = parse(['FROM windows', 'COPY testfile.txt c:\\', 'RUN dir c:\\'].join('\n'));
    expect(df.instructions.map((i) => i.kind)).toEqual(['from', 'copy']);
    expect(df.instructions[1]).toMatchObject({ sources: ['testfile.txt', 'c:RUN', 'dir'], dest: 'c:' });
  });

  test.each([
    ['# syntax=docker/dockerfile:1\n# escape=`\nFROM a', '`', 'docker/dockerfile:1'],
    ['#ESCAPE = `\nFROM a', '`', undefined],
    ['# comment\n# escape=`\nFROM a', '\\', undefined],
    ['\n# escape=`\nFROM a', '\\', undefined],
    ['# unknowndirective=x\n# escape=`\nFROM a', '\\', undefined],
    ['FROM a\n# escape=`', '\\', undefined],
  ])('%j → escape %s', (text, escape, syntax) => {
    const df = parse(text);
    expect(df.escape).toBe(escape);
    expect(df.syntax).toBe(syntax);
  });

  test.each([
    ['# escape=x\nFROM a', 'Dockerfile:1: invalid escape token \'x\' does not match ` or \\'],
    ['# escape=`\n# escape=\\\nFROM a', 'Dockerfile:2: only one escape parser directive can be used'],
  ])('%j fails', (text, message) => {
    expect(errorOf(text)).toBe(message);
  });
});

describe('heredocs', () => {
  test('RUN <<EOF reads the body up to the delimiter', () => {
    const df = parse('FROM alpine\nRUN <<EOF\napk add curl\necho "$HOME"\nEOF\nCMD ["sh"]');
    expect(df.instructions.map((i) => [i.kind, i.line, i.endLine])).toEqual([
      ['from', 1, 1],
      ['run', 2, 5],
      ['cmd', 6, 6],
    ]);
    expect(df.instructions[1]).toMatchObject({
      command: { form: 'shell', command: '<<EOF' },
      heredocs: [{ name: 'EOF', content: 'apk add curl\necho "$HOME"\n', expand: true, chomp: false }],
    });
  });

  test('<<- strips tabs from the delimiter line; a quoted delimiter turns expansion off', () => {
    const df = parse("FROM a\nRUN cat <<-'END' > /x\n\tline\n\tEND\n");
    expect(df.instructions[1]).toMatchObject({ heredocs: [{ name: 'END', chomp: true, expand: false, content: '\tline\n' }] });
  });

  test('COPY <<EOF makes an inline source', () => {
    const df = parse('FROM a\nCOPY <<EOF /etc/app.conf\nkey=value\nEOF\n');
    expect(df.instructions[1]).toMatchObject({ kind: 'copy', sources: [], inline: [{ name: 'EOF', content: 'key=value\n' }], dest: '/etc/app.conf' });
  });

  test('<< inside quotes or arithmetic is not a heredoc', () => {
    expect(body('RUN echo "a <<b" && echo $((1<<2))\nRUN true')).toHaveLength(2);
  });

  test('an unterminated heredoc names its line', () => {
    expect(errorOf('FROM a\nRUN <<EOF\necho hi\n')).toBe('Dockerfile:2: unterminated heredoc <<EOF (no line "EOF" ends it)');
  });
});

describe('errors name the file and line', () => {
  test.each([
    ['FROM a\n\nRUNN echo hi', 'Dockerfile:3: unknown instruction "RUNN" (did you mean "RUN"?)'],
    ['FROM a\nCOPPY a b', 'Dockerfile:2: unknown instruction "COPPY" (did you mean "COPY"?)'],
    ['FROM a\nFOO bar', 'Dockerfile:2: unknown instruction "FOO"'],
    ['FROM a\nRUN --mount=type=cache,target=/root/.cache pip install x', 'Dockerfile:2: --mount=type=cache: cache mounts in RUN are not supported by hafen builds (secret mounts are)'],
    ['FROM a\nRUN --mount=target=/src make', 'Dockerfile:2: --mount=type=bind: bind mounts in RUN are not supported by hafen builds (secret mounts are)'],
    ['FROM a\nRUN --mount=type=secret cat x', 'Dockerfile:2: invalid secret mount: id or target is required'],
    ['FROM a\nRUN --mount=type=secret,id=a,colour=red true', "Dockerfile:2: unexpected key 'colour' in 'colour=red'"],
    ['FROM a\nRUN --mount=type=secret,id=a,mode=rw true', 'Dockerfile:2: invalid mode "rw" for the secret mount (expected octal, e.g. 0400)'],
    ['FROM a\nRUN --mount=type=secret,id=a,source=x true', 'Dockerfile:2: secret mount should not have a source or from'],
    ['FROM a\nRUN --mount=type=secret,id=a,env=A-B true', 'Dockerfile:2: invalid env "A-B" for the secret mount (expected a variable name)'],
    ['FROM a\nRUN --network=bridge true', 'Dockerfile:2: unsupported network mode "bridge" (use default, none or host)'],
    ['FROM a\nRUN --security=insecure true', 'Dockerfile:2: --security: RUN --security is not supported by hafen builds'],
    ['FROM a\nCOPY --chwon=1 a b', 'Dockerfile:2: unknown flag: --chwon (did you mean --chown?)'],
    ['FROM a\nCOPY --from a b', 'Dockerfile:2: missing a value on flag: --from'],
    ['FROM a\nCOPY --from=x --from=y a b', 'Dockerfile:2: duplicate flag specified: --from'],
    ['FROM a\nCOPY --parents a b/', 'Dockerfile:2: --parents: COPY --parents is not supported by hafen builds'],
    ['FROM a\nADD --checksum=sha256:abc a b', 'Dockerfile:2: --checksum: ADD --checksum is for URL sources, which hafen builds do not fetch (no network)'],
    ['FROM a\nWORKDIR --x /a', 'Dockerfile:2: unknown flag: --x'],
    ['FROM a\nCOPY onlyone', 'Dockerfile:2: COPY requires at least two arguments, but only one was provided. Destination could not be determined.'],
    ['FROM a\nRUN ["echo", 1]', 'Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only'],
    ['FROM a\nSHELL /bin/bash -c', 'Dockerfile:2: SHELL requires the arguments to be in JSON form'],
    ['FROM a\nSHELL []', 'Dockerfile:2: SHELL requires at least one argument'],
    ['FROM a\nENV', 'Dockerfile:2: ENV requires at least one argument'],
    ['FROM a\nENV ONLYKEY', 'Dockerfile:2: ENV must have two arguments'],
    ['FROM a\nENV a=1 b', 'Dockerfile:2: Syntax error - can\'t find = in "b". Must be of the form: name=value'],
    ['FROM a\nENV =x', 'Dockerfile:2: ENV names can not be blank'],
    ['FROM a\nARG =x', 'Dockerfile:2: ARG names can not be blank'],
    ['FROM a\nWORKDIR', 'Dockerfile:2: WORKDIR requires exactly one argument'],
    ['FROM a\nEXPOSE', 'Dockerfile:2: EXPOSE requires at least one argument'],
    ['FROM a\nVOLUME []', 'Dockerfile:2: VOLUME requires at least one argument'],
    ['FROM a\nVOLUME ["/a", " "]', 'Dockerfile:2: VOLUME specified can not be an empty string'],
    ['FROM a\nHEALTHCHECK', 'Dockerfile:2: HEALTHCHECK requires at least one argument'],
    ['FROM a\nHEALTHCHECK NONE x', 'Dockerfile:2: HEALTHCHECK NONE takes no arguments'],
    ['FROM a\nHEALTHCHECK CMD', 'Dockerfile:2: Missing command after HEALTHCHECK CMD'],
    ['FROM a\nHEALTHCHECK RUN x', 'Dockerfile:2: Unknown type "RUN" in HEALTHCHECK (try CMD)'],
    ['FROM a\nHEALTHCHECK --interval=10 CMD x', 'Dockerfile:2: time: missing unit in duration "10"'],
    ['FROM a\nHEALTHCHECK --interval=1us CMD x', 'Dockerfile:2: Interval "interval" cannot be less than 1ms'],
    ['FROM a\nHEALTHCHECK --retries=-1 CMD x', 'Dockerfile:2: --retries cannot be negative (-1)'],
    ['FROM a\nONBUILD RUN echo hi', 'Dockerfile:2: ONBUILD is not supported by hafen builds (its triggers would only run in images built FROM this one)'],
    ['FROM', 'Dockerfile:1: FROM requires either one or three arguments'],
    ['FROM a AS', 'Dockerfile:1: FROM requires either one or three arguments'],
    ['FROM a AS 1st', 'Dockerfile:1: invalid name for build stage: "1st", name can\'t start with a number or contain symbols'],
    ['FROM a TO b', 'Dockerfile:1: FROM requires either one or three arguments'],
    ['RUN echo hi\nFROM a', 'Dockerfile:1: RUN before the first FROM: no build stage in current context'],
    ['', 'Dockerfile: file with no instructions'],
    ['# only a comment\n\n', 'Dockerfile: file with no instructions'],
    ['ARG A=1', 'Dockerfile: dockerfile contains no stages to build'],
  ])('%j', (text, message) => {
    expect(errorOf(text)).toBe(message);
  });

  test('the error carries code, file and line', () => {
    expect.assertions(1);
    try {
      parse('FROM a\nRUNN x');
    } catch (err) {
      expect(err).toMatchObject({ code: 'E_BUILD', exitCode: 2, file: 'Dockerfile', line: 2, detail: 'unknown instruction "RUNN" (did you mean "RUN"?)' });
    }
  });
});

describe('stages', () => {
  test('global ARGs, stages and their instructions', () => {
    const df = parse(
      [
        'ARG GO_VERSION=1.22',
        'ARG ALPINE=3.19',
        'FROM golang:${GO_VERSION} AS builder',
        'WORKDIR /src',
        'COPY . .',
        'RUN go build -o /out/app ./cmd/app',
        '',
        'FROM alpine:${ALPINE}',
        'COPY --from=builder /out/app /usr/local/bin/app',
        'ENTRYPOINT ["app"]',
      ].join('\n'),
    );
    expect(df.globalArgs.map((a) => a.args)).toEqual([[{ name: 'GO_VERSION', default: '1.22' }], [{ name: 'ALPINE', default: '3.19' }]]);
    expect(df.stages.map((s) => [s.index, s.from.stageName, s.from.line, s.instructions.map((i) => i.kind)])).toEqual([
      [0, 'builder', 3, ['workdir', 'copy', 'run']],
      [1, undefined, 8, ['copy', 'entrypoint']],
    ]);
  });

  test('a repeated stage name is a warning, as in BuildKit', () => {
    const df = parse('FROM a AS x\nFROM b AS X');
    expect(df.warnings).toEqual([{ line: 2, message: 'duplicate stage name "x", first defined on line 1: stage names should be unique' }]);
  });

  test('MAINTAINER and the legacy ENV form are warned about', () => {
    expect(parse('FROM a\nMAINTAINER me\nENV a b').warnings.map((w) => w.line)).toEqual([2, 3]);
  });
});
