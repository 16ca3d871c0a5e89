import { ExitCode, StackError } from '../../../errors.js';

/** A layer tar that cannot be applied or an upper dir that cannot be exported; names the entry when there is one. */
export class LayerError extends StackError {
  /** The tar entry or upper-dir path the failure is about, as written in the tar. */
  readonly entry: string | undefined;
  constructor(message: string, entry?: string, options?: { cause?: unknown }) {
    super('E_LAYER', entry === undefined ? message : `layer entry ${JSON.stringify(entry)}: ${message}`, ExitCode.serviceFailed, options);
    this.entry = entry;
  }
}
