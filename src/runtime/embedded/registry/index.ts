/** Images from registries over the OCI distribution API, into the embedded store. */
export { pullFromRegistry, type PullOptions, type PullResult } from './pull.js';
export { RegistryError, type RegistryFailure } from './registry-error.js';
export { formatReference, isInsecureRegistry, parseReference, type ImageReference } from './reference.js';
export { dockerConfigCredentials, type CredentialLookup, type Credentials } from './credentials.js';
export { pushToRegistry, chunkSizeFrom, type PushEvent, type PushOptions, type PushResult } from './push.js';
