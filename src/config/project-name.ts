/** Project names as Compose has them: lowercase letters, digits, `_` and `-`, starting with a letter or digit. */

const VALID = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * The longest project name: a DNS label's 63 characters. The name begins every container, network,
 * volume and image name and names the project's state folder, lock file and network namespaces
 * (`/run/netns/hafen.<project>.<project>-<service>-<n>`: two project names and a service name of
 * 63 each stay within a file name's 255 bytes); the schema's project_name says the same.
 */
export const PROJECT_NAME_MAX = 63;

/** Whether a name given explicitly (`-p`, `name:`) can be used as is. */
export function isValidProjectName(name: string): boolean {
  return VALID.test(name) && name.length <= PROJECT_NAME_MAX;
}

/** What is wrong with an explicit name, for messages. */
export const PROJECT_NAME_RULE = `use lowercase letters, digits, "_" and "-", starting with a letter or digit, at most ${PROJECT_NAME_MAX} characters`;

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
