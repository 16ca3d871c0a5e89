/** hafen's own version, read once from its package.json (found upward from this module, built or not). */
import { ownPackage } from './package-files.js';

export const version: string = ownPackage()?.version ?? '0.0.0-unknown';
