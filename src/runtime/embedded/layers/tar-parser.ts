/**
 * A push parser for tar streams: feed it chunks as they arrive; it calls its handler for each entry
 * (extension headers applied) and hands file bodies over as zero-copy slices of those chunks, so
 * nothing is buffered beyond one header.
 */
import { applyPax, BLOCK, decodeHeader, decodePax, MAX_META_SIZE, padding, type MetaType, type RawHeader, type TarEntry } from './tar-format.js';
import { LayerError } from './layer-error.js';

/** Receives a tar's entries in order, synchronously; throwing stops the parse. */
export interface TarHandler {
  /** A new entry; for files its body follows through `data`. */
  entry(entry: TarEntry): void;
  /** The next slice of the current file's body (only valid during the call). */
  data(chunk: Buffer): void;
  /** The current entry is complete. */
  entryEnd(): void;
}

type State = 'header' | 'body' | 'meta' | 'skip' | 'end';

/** Parses one tar stream; `push` its bytes, then `finish`. */
export class TarParser {
  private state: State = 'header';
  private need = BLOCK;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private deliver = false;
  private bodySize = 0;
  private metaType: MetaType | null = null;
  private pax: Map<string, Buffer> | null = null;
  private longName: string | null = null;
  private longLink: string | null = null;
  /** Entries seen so far. */
  entries = 0;
  /** Where in the stream the current entry's body starts (valid during `entry`): skeletons of layers use it. */
  bodyStart = 0;
  private consumed = 0;

  constructor(private readonly handler: TarHandler) {}

  /** Feeds the next chunk of the (uncompressed) tar stream. */
  push(chunk: Buffer): void {
    const base = this.consumed;
    this.consumed += chunk.length;
    let off = 0;
    while (off < chunk.length) {
      const avail = chunk.length - off;
      switch (this.state) {
        case 'header':
        case 'meta': {
          // Collect exactly `need` bytes, without copying when one chunk holds them all.
          const n = Math.min(this.need - this.heldBytes, avail);
          this.bodyStart = base + off + n;
          if (this.heldBytes === 0 && n === this.need) {
            this.complete(chunk.subarray(off, off + n));
          } else {
            this.held.push(chunk.subarray(off, off + n));
            this.heldBytes += n;
            if (this.heldBytes === this.need) {
              const whole = Buffer.concat(this.held, this.heldBytes);
              this.held = [];
              this.heldBytes = 0;
              this.complete(whole);
            }
          }
          off += n;
          break;
        }
        case 'body': {
          const n = Math.min(this.need, avail);
          if (this.deliver) this.handler.data(chunk.subarray(off, off + n));
          off += n;
          this.need -= n;
          if (this.need === 0) this.endBody();
          break;
        }
        case 'skip': {
          const n = Math.min(this.need, avail);
          off += n;
          this.need -= n;
          if (this.need === 0) this.expectHeader();
          break;
        }
        case 'end':
          return; // whatever follows the end-of-archive block (padding to a record size) is ignored
      }
    }
  }

  /** Ends the stream; throws if it stopped inside an entry. */
  finish(): void {
    if (this.state === 'end') return;
    if (this.state === 'header' && this.heldBytes === 0 && !this.pax && this.longName === null && this.longLink === null) return;
    throw new LayerError('the tar stream ends in the middle of an entry (truncated layer)');
  }

  private expectHeader(): void {
    this.state = 'header';
    this.need = BLOCK;
  }

  private complete(bytes: Buffer): void {
    if (this.state === 'meta') return this.completeMeta(bytes);
    const raw = decodeHeader(bytes);
    if (!raw) {
      this.state = 'end';
      return;
    }
    switch (raw.type) {
      case 'pax':
      case 'pax-global':
      case 'gnu-long-name':
      case 'gnu-long-link':
        if (raw.size > MAX_META_SIZE) throw new LayerError(`extension header of ${raw.size} bytes is too large`, raw.name);
        this.metaType = raw.type;
        if (raw.size === 0) return this.completeMeta(Buffer.alloc(0));
        this.state = 'meta';
        this.need = raw.size;
        return;
      default:
        return this.startEntry(raw);
    }
  }

  private completeMeta(body: Buffer): void {
    const trim = (b: Buffer) => b.toString('utf8', 0, b.indexOf(0) < 0 ? b.length : b.indexOf(0));
    if (this.metaType === 'pax') this.pax = decodePax(body);
    else if (this.metaType === 'gnu-long-name') this.longName = trim(body);
    else if (this.metaType === 'gnu-long-link') this.longLink = trim(body);
    // Global PAX headers ('g') carry archive comments in practice; they are ignored.
    this.skip(padding(body.length));
  }

  private startEntry(raw: RawHeader): void {
    const entry: TarEntry = {
      name: this.longName ?? raw.name,
      type: raw.type as TarEntry['type'],
      mode: raw.mode,
      uid: raw.uid,
      gid: raw.gid,
      size: raw.size,
      mtime: raw.mtime,
      linkname: this.longLink ?? raw.linkname,
      devmajor: raw.devmajor,
      devminor: raw.devminor,
      xattrs: new Map(),
    };
    if (this.pax) applyPax(entry, this.pax);
    this.pax = null;
    this.longName = null;
    this.longLink = null;
    this.entries++;
    this.handler.entry(entry);
    this.deliver = entry.type === 'file';
    this.bodySize = entry.size;
    if (entry.size > 0) {
      this.state = 'body';
      this.need = entry.size;
    } else {
      this.endBody();
    }
  }

  private endBody(): void {
    this.handler.entryEnd();
    this.skip(padding(this.bodySize));
  }

  private skip(n: number): void {
    if (n === 0) return this.expectHeader();
    this.state = 'skip';
    this.need = n;
  }
}
