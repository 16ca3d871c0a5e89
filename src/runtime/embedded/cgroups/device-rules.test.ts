import { describe, expect, it } from 'vitest';
import { parseDeviceCgroupRule } from '../../../config/device-cgroup-rule.js';
import { ALLOW_ALL_DEVICES, DEFAULT_DEVICE_RULES, deviceAllowed, deviceWrites, normalizeDeviceRules } from './device-rules.js';

const rules = (...texts: string[]) => texts.map(parseDeviceCgroupRule);

describe('device rules', () => {
  it("writes Docker's default set to a v1 devices cgroup, as devices.list shows it under Docker", () => {
    const writes = deviceWrites('/cg/devices/hafen/p/c', DEFAULT_DEVICE_RULES);
    expect(writes[0]).toEqual({ dir: '/cg/devices/hafen/p/c', file: 'devices.deny', value: 'a' });
    expect(writes.slice(1).every((w) => w.file === 'devices.allow')).toBe(true);
    // `docker run` here: /sys/fs/cgroup/devices/docker/ID/devices.list, sorted the same way.
    expect(writes.slice(1).map((w) => w.value).sort()).toEqual([
      'b *:* m', 'c *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm',
      'c 10:200 rwm', 'c 136:* rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm',
    ].sort());
  });

  it('writes a single "a" for everything', () => {
    expect(deviceWrites('/d', [...DEFAULT_DEVICE_RULES, ALLOW_ALL_DEVICES]).map((w) => `${w.file} ${w.value}`)).toEqual(['devices.deny a', 'devices.allow a']);
  });

  it('splits a partial "a" rule into b and c, and joins rules of one device', () => {
    expect(normalizeDeviceRules(rules('a 7:* r', 'c 1:3 m', 'c 1:3 r', 'b 7:* w'))).toEqual(rules('c 7:* r', 'b 7:* rw', 'c 1:3 rm'));
    // `a *:* r` is not everything: the v1 kernel would read it as "a", so it is written as b and c.
    expect(normalizeDeviceRules(rules('a *:* r'))).toEqual(rules('c *:* r', 'b *:* r'));
  });

  it('answers what a request may do', () => {
    expect(deviceAllowed(DEFAULT_DEVICE_RULES, 'b', 254, 0, 'm')).toBe(true);
    expect(deviceAllowed(DEFAULT_DEVICE_RULES, 'b', 254, 0, 'rm')).toBe(false);
    expect(deviceAllowed([...DEFAULT_DEVICE_RULES, ...rules('b 254:0 r')], 'b', 254, 0, 'r')).toBe(true);
    // One rule must cover the whole request, as in the v1 kernel: m from one and r from another is not enough.
    expect(deviceAllowed([...DEFAULT_DEVICE_RULES, ...rules('b 254:0 r')], 'b', 254, 0, 'rm')).toBe(false);
    expect(deviceAllowed([ALLOW_ALL_DEVICES], 'b', 254, 0, 'rwm')).toBe(true);
  });
});
