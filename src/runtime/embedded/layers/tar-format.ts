/**
 * The tar format as OCI layers use it (POSIX ustar + PAX, reading GNU long names too), byte-exact:
 * PAX values stay Buffers, so binary xattrs such as `security.capability` survive both ways
 * (tar-stream decodes PAX values as UTF-8, which corrupts them).
 */
import { LayerError } from './layer-error.js';

export const BLOCK = 512;
/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);
/** A PAX, GNU long name or global header larger than this is refused rather than buffered. */
export const MAX_META_SIZE = 1 << 20;

/** The kinds of entries a layer holds. */
export type EntryType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

/** One tar entry with every extension header already applied. */
export interface TarEntry {
  /** The name as written in the tar (not yet cleaned). */
  name: string;
  type: EntryType;
  /** Permission bits including setuid, setgid and sticky (no file type bits). */
  mode: number;
  uid: number;
  gid: number;
  /** Body size; only files have a body. */
  size: number;
  /** Seconds since the epoch, fractional when a PAX record gave more precision. */
  mtime: number;
  atime?: number;
  /** Symlink target or hardlink target name; '' for other types. */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from PAX `SCHILY.xattr.*` (and `LIBARCHIVE.xattr.*`) records. */
  xattrs: Map<string, Buffer>;
}

/** Header kinds that modify the next entry instead of being one. */
export type MetaType = 'pax' | 'pax-global' | 'gnu-long-name' | 'gnu-long-link';

const TYPEFLAGS: Record<string, EntryType | MetaType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'link', '2': 'symlink', '3': 'char', '4': 'block',
  '5': 'dir', D: 'dir', '6': 'fifo', x: 'pax', g: 'pax-global', L: 'gnu-long-name', K: 'gnu-long-link',
};
const TYPEFLAG_OF: Record<EntryType, string> = {
  file: '0', link: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6',
};

/** A decoded 512-byte header before extension headers are applied. */
export interface RawHeader {
  name: string;
  type: EntryType | MetaType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
}

function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

function decodeString(block: Buffer, off: number, len: number): string {
  const end = block.indexOf(0, off);
  return block.toString('utf8', off, end < 0 || end > off + len ? off + len : end);
}

function decodeNumber(block: Buffer, off: number, len: number, field: string): number {
  const first = block[off]!;
  if (first & 0x80) {
    // GNU base-256: big-endian two's complement, marked by the top bit of the first byte.
    const negative = first === 0xff;
    let value = negative ? -1 : first & 0x7f;
    for (let i = 1; i < len; i++) value = value * 256 + (negative ? block[off + i]! - 255 : block[off + i]!);
    if (!Number.isSafeInteger(value)) throw new LayerError(`tar header field ${field} is out of range`);
    return value;
  }
  let i = off;
  const end = off + len;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let value = 0;
  for (; i < end; i++) {
    const c = block[i]!;
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) throw new LayerError(`tar header field ${field} is not an octal number`);
    value = value * 8 + (c - 0x30);
  }
  return value;
}

/** Decodes one header block; null for a zero block (the end of the archive). */
export function decodeHeader(block: Buffer): RawHeader | null {
  if (isZeroBlock(block)) return null;
  let unsigned = 8 * 0x20;
  let signed = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue;
    unsigned += block[i]!;
    signed += (block[i]! << 24) >> 24;
  }
  const stored = decodeNumber(block, 148, 8, 'checksum');
  if (stored !== unsigned && stored !== signed) {
    throw new LayerError('invalid tar header checksum: not a tar stream, or a corrupt one');
  }
  const flag = String.fromCharCode(block[156]!);
  const type = TYPEFLAGS[flag];
  let name = decodeString(block, 0, 100);
  if (!type) throw new LayerError(`unsupported tar entry type ${JSON.stringify(flag)}${flag === 'S' ? ' (GNU sparse file)' : ''}`, name);
  // POSIX ustar keeps a name prefix at 345; old GNU tars use that area for other fields.
  if (block.toString('latin1', 257, 263) === 'ustar\0' && block[345] !== 0) name = `${decodeString(block, 345, 155)}/${name}`;
  return {
    name,
    type: type === 'file' && name.endsWith('/') ? 'dir' : type,
    mode: decodeNumber(block, 100, 8, 'mode') & 0o7777,
    uid: decodeNumber(block, 108, 8, 'uid'),
    gid: decodeNumber(block, 116, 8, 'gid'),
    size: decodeNumber(block, 124, 12, 'size'),
    mtime: decodeNumber(block, 136, 12, 'mtime'),
    linkname: decodeString(block, 157, 100),
    devmajor: decodeNumber(block, 329, 8, 'devmajor'),
    devminor: decodeNumber(block, 337, 8, 'devminor'),
  };
}

/** Parses PAX records (`LEN KEY=VALUE\n`) with values kept as raw bytes. */
export function decodePax(body: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let off = 0;
  while (off < body.length) {
    if (body[off] === 0) break; // NUL padding some writers leave
    const space = body.indexOf(0x20, off);
    const len = space < 0 ? NaN : Number(body.toString('latin1', off, space));
    if (!Number.isInteger(len) || len <= 0 || off + len > body.length || body[off + len - 1] !== 0x0a) {
      throw new LayerError('malformed PAX extended header');
    }
    const eq = body.indexOf(0x3d, space + 1);
    if (eq < 0 || eq >= off + len) throw new LayerError('malformed PAX extended header');
    records.set(body.toString('utf8', space + 1, eq), body.subarray(eq + 1, off + len - 1));
    off += len;
  }
  return records;
}

function paxNumber(value: Buffer, key: string, integer: boolean): number {
  const text = value.toString('latin1');
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || (integer && (!Number.isSafeInteger(n) || n < 0))) {
    throw new LayerError(`PAX record ${key}=${JSON.stringify(text)} is not a valid number`);
  }
  return n;
}

/** Applies PAX records to a header, collecting xattrs. */
export function applyPax(entry: TarEntry, pax: Map<string, Buffer>): void {
  for (const [key, value] of pax) {
    if (key === 'path') entry.name = value.toString('utf8');
    else if (key === 'linkpath') entry.linkname = value.toString('utf8');
    else if (key === 'size') entry.size = paxNumber(value, key, true);
    else if (key === 'uid') entry.uid = paxNumber(value, key, true);
    else if (key === 'gid') entry.gid = paxNumber(value, key, true);
    else if (key === 'mtime') entry.mtime = paxNumber(value, key, false);
    else if (key === 'atime') entry.atime = paxNumber(value, key, false);
    else if (key.startsWith('SCHILY.xattr.')) entry.xattrs.set(key.slice('SCHILY.xattr.'.length), value);
    else if (key.startsWith('LIBARCHIVE.xattr.')) {
      entry.xattrs.set(decodeURIComponent(key.slice('LIBARCHIVE.xattr.'.length)), Buffer.from(value.toString('latin1'), 'base64'));
    } else if (key.startsWith('GNU.sparse.')) throw new LayerError('GNU sparse files are not supported', entry.name);
  }
}

// ---- writing ----

/** What the writer needs to know about one entry (uname/gname are never written). */
export type EntryHeader = Omit<TarEntry, 'xattrs' | 'atime'> & { xattrs?: ReadonlyMap<string, Buffer> };

const isAscii = (s: string) => /^[\x01-\x7f]*$/.test(s);

function writeOctal(block: Buffer, off: number, len: number, value: number): boolean {
  const digits = value.toString(8);
  if (value < 0 || !Number.isInteger(value) || digits.length > len - 1) return false;
  block.write(digits.padStart(len - 1, '0'), off, 'latin1');
  block[off + len - 1] = 0;
  return true;
}

function paxRecord(key: string, value: Buffer | string): Buffer {
  const payload = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8'), Buffer.from('\n')]);
  let len = payload.length + 1;
  while (String(len).length + payload.length !== len) len = String(len).length + payload.length;
  return Buffer.concat([Buffer.from(String(len), 'latin1'), payload]);
}

/** Splits an ASCII name into ustar's prefix (155) and name (100) fields, or null when it cannot. */
function splitUstarName(name: string): [string, string] | null {
  if (!isAscii(name)) return null;
  if (name.length <= 100) return ['', name];
  for (let i = name.indexOf('/'); i >= 0 && i <= 155; i = name.indexOf('/', i + 1)) {
    if (name.length - i - 1 <= 100 && name.length - i - 1 > 0) return [name.slice(0, i), name.slice(i + 1)];
  }
  return null;
}

function ustarBlock(h: { name: string; prefix: string; type: string; mode: number; uid: number; gid: number; size: number; mtime: number; linkname: string; devmajor: number; devminor: number }): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(h.name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, h.mode);
  writeOctal(block, 108, 8, h.uid);
  writeOctal(block, 116, 8, h.gid);
  writeOctal(block, 124, 12, h.size);
  writeOctal(block, 136, 12, h.mtime);
  block.write(h.type, 156, 1, 'latin1');
  block.write(h.linkname, 157, 100, 'utf8');
  block.write('ustar\x0000', 257, 8, 'latin1');
  writeOctal(block, 329, 8, h.devmajor);
  writeOctal(block, 337, 8, h.devminor);
  block.write(h.prefix, 345, 155, 'utf8');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i]!;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return block;
}

/**
 * Encodes one entry's header: a ustar block, preceded by a PAX header when a field does not fit
 * (long or non-ASCII names, big ids, sizes or times) or when there are xattrs. Deterministic:
 * no user or group names, PAX records in a fixed order, xattrs sorted by name.
 */
export function encodeHeader(e: EntryHeader): Buffer {
  const records: Buffer[] = [];
  const name = e.type === 'dir' && !e.name.endsWith('/') ? `${e.name}/` : e.name;
  let split = splitUstarName(name);
  if (!split) {
    records.push(paxRecord('path', name));
    split = ['', Buffer.from(name).subarray(0, 100).toString('latin1').replace(/[^\x01-\x7f]/g, '_')];
  }
  let linkname = e.linkname;
  if (!isAscii(linkname) || linkname.length > 100) {
    records.push(paxRecord('linkpath', linkname));
    linkname = '';
  }
  const fits = (v: number, len: number) => Number.isInteger(v) && v >= 0 && v.toString(8).length <= len - 1;
  const field = (key: string, v: number, len: number) => {
    if (fits(v, len)) return v;
    records.push(paxRecord(key, String(v)));
    return 0;
  };
  const uid = field('uid', e.uid, 8);
  const gid = field('gid', e.gid, 8);
  const size = field('size', e.size, 12);
  const mtime = field('mtime', e.mtime, 12);
  if (e.xattrs) {
    for (const key of [...e.xattrs.keys()].sort()) records.push(paxRecord(`SCHILY.xattr.${key}`, e.xattrs.get(key)!));
  }
  const header = ustarBlock({
    name: split[1], prefix: split[0], type: TYPEFLAG_OF[e.type], mode: e.mode & 0o7777, uid, gid, size, mtime,
    linkname, devmajor: e.devmajor, devminor: e.devminor,
  });
  if (records.length === 0) return header;
  const body = Buffer.concat(records);
  const pax = ustarBlock({
    name: '././@PaxHeader', prefix: '', type: 'x', mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: 0,
    linkname: '', devmajor: 0, devminor: 0,
  });
  return Buffer.concat([pax, body, Buffer.alloc(padding(body.length)), header]);
}

/** Zero bytes that follow a body of `size` bytes to fill its last block. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}
