/**
 * Arguments that exist without an ARG line: BuildKit's platform args (global scope, usable in a
 * stage once redeclared with `ARG NAME`) and the proxy args, which reach RUN without being declared.
 */

/** An OCI platform. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const NODE_ARCH: Readonly<Record<string, Platform>> = {
  x64: { os: 'linux', architecture: 'amd64' },
  arm64: { os: 'linux', architecture: 'arm64' },
  arm: { os: 'linux', architecture: 'arm', variant: 'v7' },
  ia32: { os: 'linux', architecture: '386' },
  ppc64: { os: 'linux', architecture: 'ppc64le' },
  s390x: { os: 'linux', architecture: 's390x' },
  riscv64: { os: 'linux', architecture: 'riscv64' },
  loong64: { os: 'linux', architecture: 'loong64' },
};

/** The platform this process runs on, in OCI terms. */
export function hostPlatform(arch: string = process.arch): Platform {
  return NODE_ARCH[arch] ?? { os: 'linux', architecture: arch };
}

/** `os/arch[/variant]`. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, ...(p.variant ? [p.variant] : [])].join('/');
}

/** BuildKit's default global args; a build arg of the same name overrides each. */
export function platformArgs(build: Platform, target: Platform, targetStage: string): [string, string][] {
  return [
    ['BUILDPLATFORM', formatPlatform(build)],
    ['BUILDOS', build.os],
    ['BUILDARCH', build.architecture],
    ['BUILDVARIANT', build.variant ?? ''],
    ['TARGETPLATFORM', formatPlatform(target)],
    ['TARGETOS', target.os],
    ['TARGETARCH', target.architecture],
    ['TARGETVARIANT', target.variant ?? ''],
    ['TARGETSTAGE', targetStage],
  ];
}

const PROXY_ARGS = new Set(['http_proxy', 'https_proxy', 'ftp_proxy', 'no_proxy', 'all_proxy']);

/** Whether a build arg is a proxy setting (any case), passed to RUN without an ARG. */
export function isProxyArg(name: string): boolean {
  return PROXY_ARGS.has(name.toLowerCase());
}

/** Build args Docker knows without an ARG line, which never count as "not consumed". */
export function isPredefinedArg(name: string): boolean {
  return (
    isProxyArg(name) ||
    /^(BUILD|TARGET)(PLATFORM|OS|ARCH|VARIANT|OSVERSION)$/.test(name) ||
    name === 'TARGETSTAGE' ||
    name === 'SOURCE_DATE_EPOCH' ||
    name.startsWith('BUILDKIT_')
  );
}
