/** A build's context as one tar (issue 19): what the remote agent unpacks and builds from. .dockerignore applies here, as `docker build` applies it before sending. */
import type { BuildSpec } from '../runtime/runtime.js';
import { buildContext } from '../runtime/docker/build-context.js';

/** The context of `spec` as tar bytes, and the Dockerfile's name inside it. */
export async function packContext(spec: BuildSpec): Promise<{ tar: Buffer; dockerfile: string }> {
  const { tar, dockerfile } = await buildContext(spec.contextDir, spec.dockerfile, spec.dockerfileInline);
  const chunks: Buffer[] = [];
  for await (const chunk of tar as AsyncIterable<Buffer>) chunks.push(chunk);
  return { tar: Buffer.concat(chunks), dockerfile };
}
