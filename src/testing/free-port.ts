/** A free TCP port on 127.0.0.1 for a test's own server (bound, read and released at once). */
export { freeLocalPort as freePort } from '../free-port.js';
