/** The OCI whiteout conventions in a layer tar and their overlayfs form on disk. */

/** A tar entry `dir/.wh.NAME` deletes NAME from the layers below. */
export const WHITEOUT_PREFIX = '.wh.';
/** A tar entry `dir/.wh..wh..opq` hides everything the layers below have in `dir`. */
export const OPAQUE_MARKER = '.wh..wh..opq';
/** Names starting with this are whiteout metadata (aufs hardlink dirs etc.), not whiteouts. */
export const WHITEOUT_META_PREFIX = '.wh..wh.';
/** overlayfs marks an opaque directory with this xattr set to `y`. */
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';
/** overlayfs's own xattrs: never taken from a tar, never written into one. */
export const OVERLAY_XATTR_PREFIX = 'trusted.overlay.';
