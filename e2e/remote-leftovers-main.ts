/**
 * Prints (JSON) what stackLeftovers finds of a project under a state root, as seen from where it
 * runs: e2e/remote-ships.test.ts runs it inside the ssh lab's namespaces (the "remote" host's
 * links, netns and mounts are only visible there).
 *
 *   node --import src/testing/ts-register.mjs e2e/remote-leftovers-main.ts PROJECT ROOT
 */
import { stackLeftovers } from './stack-leftovers.js';

process.stdout.write(JSON.stringify(stackLeftovers(process.argv[2]!, process.argv[3]!)));
