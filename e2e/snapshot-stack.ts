/** The stack the snapshot e2e files run (issue 20): one idle service `app` with the named volume `data` at /data. */

/** The stack file, on `image`. */
export const volumeStack = (image: string): string => `services:
  app:
    image: ${image}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]
    volumes: ["data:/data"]
volumes:
  data: {}
`;
