/**
 * Key paths of the stack file whose values may be secret: a service's environment (passwords,
 * tokens) and a config's inline content. Messages about them name the place, never the text.
 */

const SECRET_PATHS = [/^services\.[^.]+\.environment(\.|\[|$)/, /^configs\.[^.]+\.content$/];

/** Whether the value at `path` (`services.db.environment.PASSWORD`) may hold a secret. */
export function mayBeSecret(path: string): boolean {
  return SECRET_PATHS.some((p) => p.test(path));
}
