import { describe, expect, it } from 'vitest';
import { IdleExit, idleGraceMs, type IdleFacts } from './idle-exit.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

function facts(state: { busy: boolean; running: boolean }): IdleFacts & { exits: number } {
  const f = {
    exits: 0,
    busy: () => state.busy,
    anyRunning: async () => state.running,
    exit: () => void f.exits++,
  };
  return f;
}

describe('IdleExit', () => {
  it('exits once the grace period passed with nothing to do', async () => {
    const f = facts({ busy: false, running: false });
    const idle = new IdleExit(f, 20);
    idle.poke();
    await tick(5);
    expect(f.exits).toBe(0); // still within the grace period
    await tick(40);
    expect(f.exits).toBe(1);
    idle.poke();
    await tick(40);
    expect(f.exits).toBe(1); // once
  });

  it('stays while busy, and looks again when poked after the work ended', async () => {
    const state = { busy: true, running: false };
    const f = facts(state);
    const idle = new IdleExit(f, 10);
    idle.poke();
    await tick(30);
    expect(f.exits).toBe(0);
    state.busy = false;
    idle.poke();
    await tick(30);
    expect(f.exits).toBe(1);
  });

  it('stays when work began during the grace period or during its last look', async () => {
    const state = { busy: false, running: false };
    const f = facts(state);
    f.anyRunning = async () => {
      state.busy = true; // a command connected while the look ran
      return false;
    };
    const idle = new IdleExit(f, 10);
    idle.poke();
    await tick(30);
    expect(f.exits).toBe(0);
  });

  it('stays while a container runs, and never exits after stop() or with no grace period', async () => {
    const running = facts({ busy: false, running: true });
    new IdleExit(running, 10).poke();
    const stopped = facts({ busy: false, running: false });
    const s = new IdleExit(stopped, 10);
    s.poke();
    s.stop();
    const never = facts({ busy: false, running: false });
    new IdleExit(never, undefined).poke();
    await tick(40);
    expect([running.exits, stopped.exits, never.exits]).toEqual([0, 0, 0]);
  });

  it('reads its grace period from HAFEN_SUPERVISOR_IDLE_MS', () => {
    expect(idleGraceMs({})).toBe(2000);
    expect(idleGraceMs({ HAFEN_SUPERVISOR_IDLE_MS: '150' })).toBe(150);
    expect(idleGraceMs({ HAFEN_SUPERVISOR_IDLE_MS: '0' })).toBeUndefined();
    expect(idleGraceMs({ HAFEN_SUPERVISOR_IDLE_MS: 'soon' })).toBe(2000);
  });
});
