/** Images in and out of the embedded store: `docker save` archives and OCI image layouts. */
export { importDockerArchive, type DockerArchiveImportOptions } from './import-docker-archive.js';
export { importOciLayout, type OciLayoutImportOptions } from './import-oci-layout.js';
export { saveDockerArchive, type SavedArchive } from './export-docker-archive.js';
export { saveOciLayout } from './export-oci-layout.js';
export { parseImageSource, type ImageSource } from './image-sources.js';
export { familiarName, qualifiedName } from './image-names.js';
export { commitImage, tagImages, type CommittedImage, type PendingImage } from './commit-image.js';
