/**
 * Images into the engines of a swarm's nodes without a registry (issue 18): each node's engine,
 * named by a `ships:` entry, gets a `docker save` archive through its API (`POST /images/load`),
 * unless it already has the image ID. Which swarm nodes no ship names is said, so a task placed
 * there failing with `No such image` has its cause told before it happens.
 */
import fs from 'node:fs';
import type Docker from 'dockerode';
import type { Stack } from '../../config/model.js';
import { RuntimeError } from '../../errors.js';
import { connectEngine } from '../docker/engine.js';

/** One node's engine, by the ship that names it. */
export interface NodeEngine {
  /** The ship's key in `ships:`. */
  ship: string;
  docker: Docker;
}

/** The engines of every `ships:` entry of the stack. */
export function shipEngines(stack: Pick<Stack, 'ships' | 'dir'>): NodeEngine[] {
  return Object.values(stack.ships).map((s) => ({ ship: s.name, docker: connectEngine({ docker: s.docker, ...(s.tls ? { tls: s.tls } : {}), baseDir: stack.dir }) }));
}

/** Whether the engine has the image `id` (`sha256:…`). */
export async function engineHasImage(docker: Docker, id: string): Promise<boolean> {
  try {
    await docker.getImage(id).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** Loads the docker-archive `file` into the engine; rejects with what the engine said when it refuses it. */
export async function loadIntoEngine(docker: Docker, file: string): Promise<void> {
  const stream = await docker.loadImage(fs.createReadStream(file), { quiet: true });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: { error?: string; errorDetail?: { message?: string } }[] = []) => {
      const refused = output.find((o) => o.error ?? o.errorDetail?.message);
      if (err) reject(err);
      else if (refused) reject(new Error(refused.errorDetail?.message ?? refused.error));
      else resolve();
    });
  });
}

/** What became of one image on one node. */
export interface NodeLoad {
  ship: string;
  outcome: 'loaded' | 'present';
}

/**
 * Makes sure every engine has image `id`: those without it load the archive `save(file)` writes
 * (written once, only when some engine needs it). Checked after: an engine that loaded the archive
 * but has no image of that ID is an error naming the ship.
 */
export async function deliverImage(engines: readonly NodeEngine[], id: string, archive: { file: string; save: (file: string) => Promise<void> }, onNode?: (l: NodeLoad) => void): Promise<void> {
  const lacking: NodeEngine[] = [];
  for (const e of engines) {
    const has = await engineHasImage(e.docker, id).catch((err: unknown) => {
      throw new RuntimeError(`ship ${e.ship}`, `cannot ask its engine for image ${id.slice(0, 19)}: ${(err as Error).message}`, { cause: err });
    });
    if (has) onNode?.({ ship: e.ship, outcome: 'present' });
    else lacking.push(e);
  }
  if (lacking.length === 0) return;
  await archive.save(archive.file);
  await Promise.all(
    lacking.map(async (e) => {
      try {
        await loadIntoEngine(e.docker, archive.file);
      } catch (err) {
        throw new RuntimeError(`ship ${e.ship}`, `its engine did not load image ${id.slice(0, 19)}: ${(err as Error).message}`, { cause: err });
      }
      if (!(await engineHasImage(e.docker, id))) throw new RuntimeError(`ship ${e.ship}`, `its engine loaded the archive but has no image ${id.slice(0, 19)}`);
      onNode?.({ ship: e.ship, outcome: 'loaded' });
    }),
  );
}

/** Hostnames of the swarm's nodes that no ship's engine is (their tasks would find no image loaded). */
export async function nodesWithoutShip(manager: Docker, engines: readonly NodeEngine[]): Promise<string[]> {
  const nodes = (await manager.listNodes()) as { ID: string; Description?: { Hostname?: string }; Status?: { State?: string } }[];
  const nodeOf = async (e: NodeEngine): Promise<string> => {
    try {
      return ((await e.docker.info()) as { Swarm?: { NodeID?: string } }).Swarm?.NodeID ?? '';
    } catch (err) {
      throw new RuntimeError(`ship ${e.ship}`, `its engine does not answer: ${(err as Error).message}`, { cause: err });
    }
  };
  const covered = new Set(await Promise.all(engines.map(nodeOf)));
  return nodes.filter((n) => n.Status?.State !== 'down' && !covered.has(n.ID)).map((n) => n.Description?.Hostname ?? n.ID.slice(0, 12));
}
