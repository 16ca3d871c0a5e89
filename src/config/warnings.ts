/** Warnings the loader gives while reading a stack file: things Compose warns of, told once each. */

/** Receives one warning's text (no "warning:" prefix; the caller prints it in its own style). */
export type OnWarning = (message: string) => void;

/** Compose's words for a variable that `$NAME` or `${NAME}` names and that is not set. */
export function unsetVariableWarning(name: string): string {
  return `The "${name}" variable is not set. Defaulting to a blank string.`;
}

/** Passes each distinct message on once: a variable used in ten places is named once. */
export function onceEach(onWarning: OnWarning | undefined): OnWarning {
  const told = new Set<string>();
  return (message) => {
    if (told.has(message)) return;
    told.add(message);
    onWarning?.(message);
  };
}
