/** EXPOSE values checked and expanded as Docker's `nat.ParsePortSpecs` does: `80`, `80/tcp`, `53/udp`, `8000-8010/tcp`. */

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

/** The `port/proto` keys one EXPOSE value stands for (a range gives one key per port); throws on a bad value. */
export function exposedPortKeys(spec: string): string[] {
  const parts = spec.split('/');
  let port = parts[0] ?? '';
  const proto = (parts.length > 1 && parts[1] !== '' ? parts[1]! : 'tcp').toLowerCase();
  if (spec === '' || port === '') throw new Error(`no port specified: ${spec}<empty>`);
  if (!PROTOCOLS.has(proto)) throw new Error(`invalid proto: ${proto}`);
  // `ip:hostPort:containerPort` is a publishing spec; EXPOSE only keeps the container port.
  const colon = port.lastIndexOf(':');
  if (colon >= 0) port = port.slice(colon + 1);
  const m = /^(\d+)(?:-(\d+))?$/.exec(port);
  const start = m ? Number(m[1]) : NaN;
  const end = m?.[2] !== undefined ? Number(m[2]) : start;
  if (!m || start > 65535 || end > 65535) throw new Error(`invalid containerPort: ${port}`);
  if (end < start) throw new Error(`invalid range specified for container port: ${port}`);
  const keys: string[] = [];
  for (let p = start; p <= end; p++) keys.push(`${p}/${proto}`);
  return keys;
}
