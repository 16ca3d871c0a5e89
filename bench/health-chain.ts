/** The five-service health-gated chain that bench/compose.ts and bench/up-profile.ts time (s1 <- s2 <- … <- s5). */

export const SERVICES = 5;

/** The stack file: `image` for every service; `startInterval` adds hafen's start_interval. */
export function healthChainFile(image: string, startInterval: boolean): string {
  const lines = ['services:'];
  for (let i = 1; i <= SERVICES; i++) {
    lines.push(
      `  s${i}:`,
      `    image: ${image}`,
      `    command: ["sh", "-c", "mkdir -p /www; echo s${i} > /www/index.html; trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"]`,
      '    healthcheck:',
      '      test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/"]',
      `      interval: 500ms${startInterval ? '\n      start_interval: 100ms' : ''}`,
      '      timeout: 2s',
      '      retries: 60',
    );
    if (i > 1) lines.push('    depends_on:', `      s${i - 1}: {condition: service_healthy}`);
  }
  return `${lines.join('\n')}\n`;
}
