/** The name the host image is tagged with in the store (the image made of the host's own binaries). */
export const HOST_IMAGE_NAME = 'host';
