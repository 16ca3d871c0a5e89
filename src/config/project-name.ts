/** Project names as Compose has them: lowercase letters, digits, `_` and `-`, starting with a letter or digit. */

const VALID = /^[a-z0-9][a-z0-9_-]*$/;

/** Whether a name given explicitly (`-p`, `name:`) can be used as is. */
export function isValidProjectName(name: string): boolean {
  return VALID.test(name);
}

/** What is wrong with an explicit name, for messages. */
export const PROJECT_NAME_RULE = 'use lowercase letters, digits, "_" and "-", starting with a letter or digit';

/**
 * A folder name made into a project name, as Compose does: lowercased, every other character
 * dropped, leading `_`/`-` trimmed. Empty when nothing usable is left.
 */
export function projectNameFromFolder(folder: string): string {
  return folder
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '')
    .replace(/^[_-]+/, '');
}
