/**
 * hafen's own version: in a bundle, the one scripts/bundle.mjs put in (HAFEN_VERSION, so no
 * package.json is read at start-up, issue 16); else read once from its package.json (found upward
 * from this module).
 */
import { ownPackage } from './package-files.js';

declare const HAFEN_VERSION: string | undefined;

export const version: string = (typeof HAFEN_VERSION === 'string' ? HAFEN_VERSION : undefined) ?? ownPackage()?.version ?? '0.0.0-unknown';
