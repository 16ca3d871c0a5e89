/** cgroups v1 and v2: which hierarchy serves each controller, and containers' cgroups with limits and stats. */
export { Cgroup, createCgroup, createCgroupAsync, openCgroup, type CgroupStats } from './cgroup.js';
export { CONTROLLERS, cgroupDirs, detectCgroups, layoutFrom, type CgroupLayout, type Controller, type ControllerMount } from './detect.js';
export { CPU_PERIOD_US, limitWrites, subtreeWrites, type CgroupLimits, type CgroupWrite } from './limits.js';
export { CgroupRemoveError, cgroupPids, emptyCgroups, projectCgroupDir, removeCgroupDirs, removeEmptyParents, type RemoveTimeouts } from './remove-cgroup.js';
export { ALLOW_ALL_DEVICES, DEFAULT_DEVICE_RULES, deviceAllowed, normalizeDeviceRules, type DeviceRule } from './device-rules.js';
