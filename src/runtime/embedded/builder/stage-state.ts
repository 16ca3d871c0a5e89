/**
 * Where a stage stands while it is built: its image config so far (OCI, with history and
 * DiffIDs), its layers, the cache key chain, and whether it stands on the host's directories.
 */
import { cloneConfig } from '../build/image-config.js';
import { chainId, type Digest } from '../layers/index.js';
import type { Descriptor, HistoryEntry, ImageConfig, Store, StoredImage } from '../store/index.js';
import { hostArchitecture } from '../store/index.js';
import { isHostBased } from './host-image.js';
import { fromContainerConfig, startConfig, toContainerConfig, type ConfigState } from './oci-config.js';
import { DEFAULT_PATH } from '../build/index.js';

export interface StageState {
  /** Cache key of the last step (or of the base); null for scratch before any step. */
  key: Digest | null;
  config: ImageConfig;
  /** Manifest descriptors of the layers, base first. */
  layers: Descriptor[];
  /** ChainIDs, base first (the same length as layers). */
  chain: Digest[];
  hostBased: boolean;
  /** The Dockerfile model of the runtime config, kept in step with `config.config`. */
  model: ConfigState;
}

/** A stage FROM scratch. */
export function scratchState(): StageState {
  const model = startConfig({}, DEFAULT_PATH);
  return {
    key: null,
    config: { architecture: hostArchitecture(), os: 'linux', config: toContainerConfig(model.config), rootfs: { type: 'layers', diff_ids: [] }, history: [] },
    layers: [],
    chain: [],
    hostBased: false,
    model,
  };
}

/** A stage FROM a stored image; `key` is what the first step's key chains from. */
export function imageState(image: StoredImage, key: Digest): StageState {
  const config = structuredClone(image.config);
  const model = startConfig(fromContainerConfig(config.config), DEFAULT_PATH);
  config.config = toContainerConfig(model.config);
  config.history ??= [];
  return { key, config, layers: [...image.manifest.layers], chain: [...image.chainIds], hostBased: isHostBased(image.config), model };
}

/** A stage FROM an earlier stage: a copy of where that one ended. */
export function stageCopy(from: StageState): StageState {
  return {
    key: from.key,
    config: structuredClone(from.config),
    layers: [...from.layers],
    chain: [...from.chain],
    hostBased: from.hostBased,
    model: { config: cloneConfig(from.model.config), cmdSet: false },
  };
}

/** The stage's layer folders, top-most first (the order overlayfs wants). */
export function lowerDirs(store: Store, state: StageState): string[] {
  return state.chain.map((id) => store.layers.diffDir(id)).reverse();
}

/** The ChainID a layer with `diffId` gets on top of this stage. */
export function nextChainId(state: StageState, diffId: Digest): Digest {
  return chainId(state.chain.at(-1) ?? null, diffId);
}

/** Records a step's outcome: a history entry, and its layer when it made one. */
export function addStep(state: StageState, history: HistoryEntry, layer?: { descriptor: Descriptor; diffId: Digest; chainId: Digest }): void {
  state.config.config = toContainerConfig(state.model.config);
  state.config.history = [...(state.config.history ?? []), layer ? history : { ...history, empty_layer: true }];
  if (history.created) state.config.created = history.created;
  if (!layer) return;
  state.config.rootfs = { type: 'layers', diff_ids: [...state.config.rootfs.diff_ids, layer.diffId] };
  state.layers.push(layer.descriptor);
  state.chain.push(layer.chainId);
}
