/**
 * Entry of the rootless network keeper (`node network-keeper-main.js CONFIG-JSON`, started detached
 * by startRootlessNetwork) and of its relay (`… relay`, started by the keeper inside the holder).
 */
import fs from 'node:fs';
import { runKeeper, type KeeperConfig } from './network-keeper.js';
import { networkFiles } from './network-record.js';
import { runRelayProcess } from './network-relay-process.js';

if (process.argv[2] === 'relay') {
  runRelayProcess();
} else {
  const config = JSON.parse(process.argv[2] ?? '{}') as KeeperConfig;
  // Its stdout carries the one `ready` line and its stderr goes nowhere: the log says what went wrong.
  const fail = (err: Error): never => {
    fs.appendFileSync(networkFiles(config.stateDir).log, `${new Date().toISOString()} keeper: ${err.stack ?? err.message}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', fail);
  runKeeper(config).catch(fail);
}
