import { crc32, deflateRawSync } from 'node:zlib';

/** A one-entry ZIP archive (deflated), as data.binance.vision serves its CSVs. */
export function makeZip(name: string, data: Buffer): Buffer {
  const comp = deflateRawSync(data);
  const nm = Buffer.from(name);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(comp.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(nm.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(comp.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(nm.length, 28);
  central.writeUInt32LE(0, 42);
  const cdOffset = 30 + nm.length + comp.length;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(46 + nm.length, 12);
  eocd.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, nm, comp, central, nm, eocd]);
}
