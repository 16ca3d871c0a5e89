/**
 * Registry credentials from Docker's config file (`$DOCKER_CONFIG/config.json`, else
 * `~/.docker/config.json`): the `auths` entries `docker login` writes, base64 `user:password` in
 * `auth` or `username`/`password`. Credential helpers (`credsStore`, `credHelpers`) are not run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DOCKER_HUB } from './reference.js';

/** A user name and password (or token) for basic auth, and where they were found. */
export interface Credentials {
  username: string;
  password: string;
  /** For messages: the file they came from. */
  source: string;
}

/** Looks up credentials for a registry (as named in the reference: `docker.io`, `host:port`). */
export type CredentialLookup = (domain: string) => Credentials | undefined;

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
}

interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** Docker's config file, per DOCKER_CONFIG and HOME. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker'), 'config.json');
}

/** An `auths` key as a bare host: `https://index.docker.io/v1/` → `docker.io`, `http://h:5000/` → `h:5000`. */
export function authKeyHost(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB : host;
}

/** Decodes one `auths` entry; undefined when it holds no usable user and password. */
function decodeEntry(entry: AuthEntry, source: string): Credentials | undefined {
  if (entry.auth) {
    const text = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1), source };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password, source };
  return undefined;
}

/** The credentials in `file` for `domain`, if any (a missing or unreadable file has none). */
export function credentialsFromDockerConfig(file: string, domain: string): Credentials | undefined {
  let config: DockerConfig;
  try {
    config = JSON.parse(fs.readFileSync(file, 'utf8')) as DockerConfig;
  } catch {
    return undefined;
  }
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    if (authKeyHost(key) === domain && entry && typeof entry === 'object') {
      const found = decodeEntry(entry, file);
      if (found) return found;
    }
  }
  return undefined;
}

/** The default lookup: Docker's config file, read at each pull (so a `docker login` in between counts). */
export function dockerConfigCredentials(env: NodeJS.ProcessEnv = process.env): CredentialLookup {
  return (domain) => credentialsFromDockerConfig(dockerConfigPath(env), domain);
}
