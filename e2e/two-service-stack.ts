/**
 * The smallest stack that shows an installed hafen works: `b` starts after `a` and reaches it by
 * name on the project's network, saying "b reached a" in its log. Used by the install tests.
 */
export const TWO_SERVICE_STACK = [
  'services:',
  '  a:',
  '    image: host',
  '    command: ["busybox", "sleep", "600"]',
  '  b:',
  '    image: host',
  '    depends_on: [a]',
  '    command: ["busybox", "sh", "-c", "busybox ping -c1 -W2 a >/dev/null && echo b reached a; exec busybox sleep 600"]',
  '',
].join('\n');
