/**
 * `network_mode` on ships of the embedded runtime (issue 19), checked at load so `up` refuses
 * before anything is made. A service sharing another's network namespace (`service:X`) must run on
 * X's host: a namespace does not span hosts. A dependent on a service of another host is served in
 * its own namespace (its networks' bridges) or the host's (`host`, on loopback), or in X's for
 * `service:X`, whose bridges hafen knows; `none` reaches no other host, and `container:NAME`
 * names a container whose networks hafen cannot know before it runs, so both are refused.
 */
import type { Issues } from './issues.js';
import type { Stack } from './model.js';

/** The host a service runs on: its embedded ship's `host:` (`''`: this machine). */
function hostOf(stack: Stack, service: string): string {
  const ship = stack.services[service]?.ship;
  return (ship === undefined ? undefined : stack.ships[ship]?.embedded?.host) ?? '';
}

/** Where a service runs, said in a message. */
function where(stack: Stack, service: string): string {
  const ship = stack.services[service]?.ship;
  return ship === undefined || hostOf(stack, service) === '' ? 'this machine' : `ship ${ship} (${hostOf(stack, service)})`;
}

/** Adds a problem for each `network_mode` that a stack spread over embedded ships cannot honour. */
export function checkShipNetworkModes(stack: Stack, issues: Issues): void {
  if (!Object.values(stack.ships).some((s) => s.embedded)) return;
  for (const [name, s] of Object.entries(stack.services)) {
    const mode = s.network_mode;
    if (!mode) continue;
    const at = `services.${name}.network_mode`;
    const host = hostOf(stack, name);
    if (mode.kind === 'service') {
      if (stack.services[mode.service] && hostOf(stack, mode.service) !== host) {
        issues.value(at, `service ${mode.service} runs on ${where(stack, mode.service)}, ${name} on ${where(stack, name)}: a network namespace is shared on one host only; put both on one ship`);
      }
      continue;
    }
    if (mode.kind === 'host') continue;
    const deps = [...Object.keys(s.depends_on), ...s.links.map((l) => l.service)];
    const far = deps.find((d) => stack.services[d] && hostOf(stack, d) !== host);
    if (far === undefined) continue;
    const why = mode.kind === 'none' ? 'network_mode none reaches no other host' : `hafen cannot tell which networks container ${mode.container} is on, to serve it there`;
    issues.value(at, `${name} depends on ${far}, which runs on ${where(stack, far)}: ${why}; use the stack's networks, host or service:NAME`);
  }
}
