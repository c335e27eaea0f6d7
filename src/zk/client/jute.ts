/**
 * Jute, ZooKeeper's wire encoding: big-endian ints and longs, length-prefixed
 * buffers and strings where length -1 means null. Only the shapes the client
 * below sends and reads are covered.
 */

/** Builds one request body. */
export class JuteWriter {
  private readonly parts: Buffer[] = [];

  int(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    this.parts.push(b);
    return this;
  }

  long(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(value);
    this.parts.push(b);
    return this;
  }

  bool(value: boolean): this {
    this.parts.push(Buffer.from([value ? 1 : 0]));
    return this;
  }

  buffer(value: Buffer | null): this {
    if (value === null) return this.int(-1);
    this.int(value.length);
    this.parts.push(value);
    return this;
  }

  string(value: string | null): this {
    return this.buffer(value === null ? null : Buffer.from(value, "utf8"));
  }

  /** The body with its 4-byte length prefix, ready for the socket. */
  frame(): Buffer {
    const body = Buffer.concat(this.parts);
    const head = Buffer.alloc(4);
    head.writeInt32BE(body.length);
    return Buffer.concat([head, body]);
  }
}

/** Reads one response body; throws when the body is shorter than its fields say. */
export class JuteReader {
  private offset = 0;
  constructor(private readonly data: Buffer) {}

  private need(n: number): void {
    if (this.offset + n > this.data.length) throw new RangeError(`jute: need ${n} bytes at ${this.offset}, have ${this.data.length - this.offset}`);
  }

  int(): number {
    this.need(4);
    const v = this.data.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  long(): bigint {
    this.need(8);
    const v = this.data.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  bool(): boolean {
    this.need(1);
    return this.data[this.offset++] !== 0;
  }

  buffer(): Buffer | null {
    const len = this.int();
    if (len < 0) return null;
    this.need(len);
    const v = this.data.subarray(this.offset, this.offset + len);
    this.offset += len;
    return Buffer.from(v);
  }

  string(): string | null {
    const b = this.buffer();
    return b === null ? null : b.toString("utf8");
  }

  get remaining(): number {
    return this.data.length - this.offset;
  }
}

/** A znode's metadata (org.apache.zookeeper.data.Stat). */
export interface ZnodeStat {
  czxid: bigint;
  mzxid: bigint;
  ctime: bigint;
  mtime: bigint;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: bigint;
}

export function readStat(r: JuteReader): ZnodeStat {
  return {
    czxid: r.long(),
    mzxid: r.long(),
    ctime: r.long(),
    mtime: r.long(),
    version: r.int(),
    cversion: r.int(),
    aversion: r.int(),
    ephemeralOwner: r.long(),
    dataLength: r.int(),
    numChildren: r.int(),
    pzxid: r.long(),
  };
}
