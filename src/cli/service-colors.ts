/** One colour per service, the same in every command, so a service's lines are recognisable. */
import type { ChalkInstance } from 'chalk';

const PALETTE = ['cyan', 'yellow', 'green', 'magenta', 'blue', 'redBright', 'cyanBright', 'yellowBright'] as const;

export function colorOfService(chalk: ChalkInstance, service: string): (text: string) => string {
  let h = 0;
  for (const ch of service) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const name = PALETTE[h % PALETTE.length]!;
  return (text) => chalk[name](text);
}
