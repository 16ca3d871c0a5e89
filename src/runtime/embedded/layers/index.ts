/** OCI layer tars both ways: applying one into a directory overlayfs can stack, and diffing an upper dir into one. */
export { applyLayer, type AppliedLayer, type ApplyOptions } from './apply-layer.js';
export { diffLayer, type DiffOptions, type LayerTar } from './diff-layer.js';
export { chainId, chainIds, isDigest, sha256, sha256Stream, type Digest, type LayerDigest } from './ids.js';
export { detectCompression, openLayerBlob, type ByteSource, type Compression } from './decompress.js';
export type { DevicePolicy, ExtractOptions } from './extractor.js';
export { LayerError } from './layer-error.js';
