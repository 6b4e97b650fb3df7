/**
 * Minimal ZIP reader for data.binance.vision downloads (`BTCUSDT-1h-2025-01.zip` holds one CSV).
 * Stored and deflated entries via node:zlib; ZIP64 and encryption are refused.
 *
 * Nothing is inflated before the archive has been checked from its central directory: exactly one
 * file entry, every offset inside the file, a declared size under {@link MAX_ENTRY_BYTES} and a
 * compression ratio a real CSV can have (a 1 MB archive declaring 1 GB is refused). Inflating is
 * streamed and stops as soon as the output passes the declared size.
 */
import { closeSync, createReadStream, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { createInflateRaw } from 'node:zlib';
import { DataError, UserError } from '../../core/errors.js';

/** The one file entry of an archive, located and checked. */
export interface ZipEntryInfo {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  /** Bytes of compressed data at `dataStart`. */
  compSize: number;
  /** Declared uncompressed size. */
  size: number;
  dataStart: number;
}

/** Largest entry accepted, bytes (ZIP32 cannot declare more than 4 GiB anyway). */
export const MAX_ENTRY_BYTES = 0xffff_fffe;
/**
 * Largest declared size / compressed size accepted. Exchange CSVs deflate 5-15×; deflate's own
 * limit is ~1032×, reached only by degenerate (bomb-like) content.
 */
export const MAX_RATIO = 200;

function readAt(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, b, got, len - got, pos + got);
    if (n <= 0) break;
    got += n;
  }
  return b.subarray(0, got);
}

/**
 * Find and check the archive's single file entry (directories and `__MACOSX/` resource forks are
 * ignored). Reads only the end of the file and the central directory.
 */
export function openZipEntry(file: string): ZipEntryInfo {
  if (!existsSync(file)) throw new DataError(file, 'file not found');
  if (statSync(file).isDirectory()) throw new DataError(file, 'is a directory, expected a file');
  const fd = openSync(file, 'r');
  try {
    return locateEntry(file, fd, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

function locateEntry(file: string, fd: number, fileSize: number): ZipEntryInfo {
  const corrupt = (what: string): never => {
    throw new DataError(file, `corrupt ZIP archive: ${what}`);
  };
  // End of central directory: 22 bytes + comment (≤ 65535), signature 0x06054b50.
  const tailLen = Math.min(fileSize, 22 + 65535);
  const tail = readAt(fd, fileSize - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new DataError(file, 'not a ZIP archive (no end-of-central-directory record)');
  const count = tail.readUInt16LE(eocd + 10);
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdStart = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdStart === 0xffffffff) throw new DataError(file, 'ZIP64 archives are not supported; unzip it first');
  if (count > 1000) throw new DataError(file, `ZIP archive lists ${count} entries; expected one CSV`);
  if (cdStart + cdSize > fileSize - tailLen + eocd || cdSize < 46 * count) corrupt(`central directory (${cdSize} bytes at ${cdStart}) lies outside the file (${fileSize} bytes)`);
  const cd = readAt(fd, cdStart, cdSize);
  const files: ZipEntryInfo[] = [];
  const names: string[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) corrupt(`central directory entry ${k + 1} at offset ${cdStart + p}`);
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const compSize = cd.readUInt32LE(p + 20);
    const size = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const local = cd.readUInt32LE(p + 42);
    if (p + 46 + nameLen > cd.length) corrupt(`entry ${k + 1}: name runs past the central directory`);
    const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith('/') || name.startsWith('__MACOSX/')) continue;
    names.push(name);
    if (flags & 1) throw new DataError(file, `ZIP entry ${name} is encrypted`);
    if (compSize === 0xffffffff || size === 0xffffffff || local === 0xffffffff) throw new DataError(file, 'ZIP64 archives are not supported; unzip it first');
    if (method !== 0 && method !== 8) throw new DataError(file, `ZIP entry ${name} uses unsupported compression method ${method}`);
    if (local + 30 > cdStart) corrupt(`entry ${name}: local header offset ${local} outside the data area`);
    const lh = readAt(fd, local, 30);
    if (lh.length < 30 || lh.readUInt32LE(0) !== 0x04034b50) corrupt(`entry ${name}: no local header at offset ${local}`);
    const dataStart = local + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
    if (dataStart + compSize > cdStart) corrupt(`entry ${name}: ${compSize} compressed bytes at ${dataStart} run past the data area (${cdStart} bytes)`);
    files.push({ name, method, compSize, size, dataStart });
  }
  if (files.length !== 1) throw new DataError(file, `expected one file in the ZIP archive, found ${files.length}${names.length ? ` (${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''})` : ''}`);
  const e = files[0]!;
  if (e.method === 0 && e.size !== e.compSize) corrupt(`stored entry ${e.name} declares ${e.size} bytes but holds ${e.compSize}`);
  if (e.size > MAX_ENTRY_BYTES) throw new DataError(file, `ZIP entry ${e.name} declares ${e.size} bytes; the limit is ${MAX_ENTRY_BYTES}`);
  if (e.method === 8 && e.size > Math.max(1 << 20, e.compSize * MAX_RATIO)) {
    throw new DataError(file, `ZIP entry ${e.name} declares ${e.size} bytes from ${e.compSize} compressed (ratio ${Math.round(e.size / Math.max(1, e.compSize))}:1, limit ${MAX_RATIO}:1): refusing to inflate what looks like a ZIP bomb; unzip it yourself if it is genuine`);
  }
  return e;
}

/**
 * Inflate `entry` as a stream, handing each output chunk to `onChunk`. Output beyond the declared
 * size stops the inflater at once; output short of it, or corrupt deflate data, is an error.
 */
export async function inflateZipEntry(file: string, entry: ZipEntryInfo, onChunk: (chunk: Uint8Array) => void): Promise<void> {
  if (entry.compSize === 0) {
    if (entry.size !== 0) throw new DataError(file, `ZIP entry ${entry.name}: no data, header says ${entry.size} bytes`);
    return;
  }
  const raw = createReadStream(file, { start: entry.dataStart, end: entry.dataStart + entry.compSize - 1, highWaterMark: 1 << 20 });
  const src = entry.method === 8 ? raw.pipe(createInflateRaw({ chunkSize: 1 << 20 })) : raw;
  raw.on('error', (e) => src.destroy(e));
  let out = 0;
  try {
    for await (const chunk of src as AsyncIterable<Buffer>) {
      out += chunk.length;
      if (out > entry.size) throw new DataError(file, `ZIP entry ${entry.name}: inflates past the ${entry.size} bytes its header declares; stopped`);
      onChunk(chunk);
    }
  } catch (e) {
    raw.destroy();
    src.destroy();
    // Parse errors from onChunk and bugs pass through; zlib/fs failures (with a code) are the file's fault.
    if (e instanceof UserError || typeof (e as NodeJS.ErrnoException).code !== 'string') throw e;
    throw new DataError(file, `cannot inflate ZIP entry ${entry.name} (${(e as Error).message})`);
  }
  if (out !== entry.size) throw new DataError(file, `ZIP entry ${entry.name}: ${out} bytes after inflating, header says ${entry.size}`);
}
