/**
 * Minimal ZIP reader for data.binance.vision downloads (`BTCUSDT-1h-2025-01.zip` holds one CSV).
 * Supports stored and deflated entries via node:zlib; ZIP64 and encryption are refused.
 */
import { inflateRawSync } from 'node:zlib';
import { DataError } from '../../core/errors.js';

/** One file inside a ZIP archive. */
export interface ZipEntry {
  name: string;
  data: Buffer;
}

/** Read every file entry of a ZIP archive held in memory. */
export function readZipEntries(file: string, buf: Buffer): ZipEntry[] {
  // End of central directory: 22 bytes + comment (≤ 65535), signature 0x06054b50.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new DataError(file, 'not a ZIP archive (no end-of-central-directory record)');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || p === 0xffffffff) throw new DataError(file, 'ZIP64 archives are not supported; unzip it first');
  const out: ZipEntry[] = [];
  for (let k = 0; k < count; k++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new DataError(file, 'corrupt ZIP central directory');
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const compSize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith('/')) continue; // directory
    if (flags & 1) throw new DataError(file, `ZIP entry ${name} is encrypted`);
    if (buf.readUInt32LE(local) !== 0x04034b50) throw new DataError(file, `corrupt ZIP local header for ${name}`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + compSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) {
      try {
        data = inflateRawSync(raw);
      } catch (e) {
        throw new DataError(file, `cannot inflate ZIP entry ${name} (${(e as Error).message})`);
      }
    } else throw new DataError(file, `ZIP entry ${name} uses unsupported compression method ${method}`);
    if (data.length !== size) throw new DataError(file, `ZIP entry ${name}: ${data.length} bytes after inflating, header says ${size}`);
    out.push({ name, data });
  }
  return out;
}
