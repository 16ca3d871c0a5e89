/** How an `include:` or `-f` names an OCI artifact, and its fetch: oci-remote.ts, loaded only then (it needs node:crypto). */
export const OCI_PREFIX = 'oci://';

/** Fetches an `oci://` artifact into the cache beside `gitCache` (oci-remote.ts); resolves to its file. */
export async function fetchOci(text: string, gitCache: string): Promise<string> {
  const { fetchOciInclude, ociCacheDir } = await import('./oci-remote.js');
  return fetchOciInclude(text, ociCacheDir(gitCache));
}
