/**
 * A minimal ustar writer plus gzip (node:zlib), enough for a handful of small files. The
 * npm tar packages are far bigger than this need, and nothing here may need a compiler.
 * Pure: entries in, bytes out.
 */
import { gzipSync } from "node:zlib";

export interface TarEntry {
  /** Relative path; directories end with `/`. At most 100 bytes (no long-name extension). */
  path: string;
  type: "file" | "directory";
  mode: number;
  content?: Buffer;
}

const BLOCK = 512;

function writeString(header: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length > length) throw new RangeError(`tar field too long: ${value}`);
  bytes.copy(header, offset);
}

/** Octal numbers, zero-padded, NUL-terminated, as ustar wants them. */
function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  writeString(header, offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
}

function headerFor(entry: TarEntry, size: number, mtimeSeconds: number): Buffer {
  const header = Buffer.alloc(BLOCK);
  writeString(header, 0, 100, entry.path);
  writeOctal(header, 100, 8, entry.mode);
  writeOctal(header, 108, 8, 0); // uid
  writeOctal(header, 116, 8, 0); // gid
  writeOctal(header, 124, 12, size);
  writeOctal(header, 136, 12, mtimeSeconds);
  header.fill(0x20, 148, 156); // checksum counts as spaces while it is computed
  writeString(header, 156, 1, entry.type === "directory" ? "5" : "0");
  writeString(header, 257, 6, "ustar\0");
  writeString(header, 263, 2, "00");
  let sum = 0;
  for (const byte of header) sum += byte;
  writeString(header, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return header;
}

/** Builds a gzip-compressed tar archive. */
export function createTarGz(entries: TarEntry[], mtime: Date): Buffer {
  const mtimeSeconds = Math.floor(mtime.getTime() / 1000);
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.type === "file" ? (entry.content ?? Buffer.alloc(0)) : Buffer.alloc(0);
    blocks.push(headerFor(entry, content.length, mtimeSeconds));
    if (content.length > 0) {
      blocks.push(content);
      const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
      if (padding > 0) blocks.push(Buffer.alloc(padding));
    }
  }
  blocks.push(Buffer.alloc(BLOCK * 2)); // end of archive
  return gzipSync(Buffer.concat(blocks));
}
