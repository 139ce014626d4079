// A growable byte buffer that also writes Thrift's compact protocol (the encoding of Parquet page
// headers and footers): what our flat-column Parquet files need, so writing them loads no
// hyparquet-writer (≈ 50 modules with its own copy of hyparquet, ~40 ms of CPU in a fresh process:
// issue 15). Compact protocol: a field header is (id delta << 4 | type) when the delta is 1..15, else
// the type and a zigzag varint id; integers are zigzag varints; a struct ends with a 0 byte.

/** Compact protocol element types. */
export const T = { TRUE: 1, FALSE: 2, I32: 5, I64: 6, BINARY: 8, LIST: 9, STRUCT: 12 } as const

const utf8 = new TextEncoder()

export class ByteBuffer {
  private bytes: Uint8Array
  private view: DataView
  /** Bytes written so far. */
  offset = 0
  /** Last field id of each open struct (ids are delta-encoded within a struct). */
  private lastIds: number[] = []
  private lastId = 0

  constructor(initialSize = 1 << 16) {
    this.bytes = new Uint8Array(Math.max(16, initialSize))
    this.view = new DataView(this.bytes.buffer)
  }

  /** A buffer that goes on writing at `offset` of `bytes` (a buffer another thread filled). */
  static over(bytes: Uint8Array, offset: number): ByteBuffer {
    const b = new ByteBuffer(16)
    b.bytes = bytes
    b.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    b.offset = offset
    return b
  }

  private ensure(extra: number): void {
    const need = this.offset + extra
    if (need <= this.bytes.length) return
    let size = this.bytes.length * 2
    while (size < need) size *= 2
    const next = new Uint8Array(size)
    next.set(this.bytes.subarray(0, this.offset))
    this.bytes = next
    this.view = new DataView(next.buffer)
  }

  appendBytes(b: Uint8Array): void {
    this.ensure(b.length)
    this.bytes.set(b, this.offset)
    this.offset += b.length
  }

  appendUint32(v: number): void {
    this.ensure(4)
    this.view.setUint32(this.offset, v, true)
    this.offset += 4
  }

  /** The bytes written (a view of the buffer: no copy). */
  getBytes(): Uint8Array {
    return this.bytes.subarray(0, this.offset)
  }

  private byte(v: number): void {
    this.ensure(1)
    this.bytes[this.offset++] = v
  }

  /** Unsigned varint of a non-negative safe integer. */
  private varint(v: number): void {
    this.ensure(10)
    while (v >= 0x80) {
      this.bytes[this.offset++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }
    this.bytes[this.offset++] = v
  }

  private zigzag64(v: bigint): void {
    let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n))
    this.ensure(10)
    while (z >= 0x80n) {
      this.bytes[this.offset++] = Number(z & 0x7fn) | 0x80
      z >>= 7n
    }
    this.bytes[this.offset++] = Number(z)
  }

  private fieldHeader(id: number, type: number): void {
    const delta = id - this.lastId
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type)
    else {
      this.byte(type)
      this.varint(id >= 0 ? id * 2 : -id * 2 - 1) // i16 zigzag
    }
    this.lastId = id
  }

  // Fields; an undefined value writes nothing (an absent optional field).

  i32(id: number, v: number | undefined): void {
    if (v === undefined) return
    this.fieldHeader(id, T.I32)
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1)
  }

  i64(id: number, v: bigint | number | undefined): void {
    if (v === undefined) return
    this.fieldHeader(id, T.I64)
    this.zigzag64(BigInt(v))
  }

  bool(id: number, v: boolean | undefined): void {
    if (v === undefined) return
    this.fieldHeader(id, v ? T.TRUE : T.FALSE)
  }

  binary(id: number, v: Uint8Array | string | undefined): void {
    if (v === undefined) return
    this.fieldHeader(id, T.BINARY)
    this.binaryValue(v)
  }

  /** A list field's header; then write `size` elements (structs with beginElement/end, values with the *Value calls). */
  list(id: number, elementType: number, size: number): void {
    this.fieldHeader(id, T.LIST)
    if (size < 15) this.byte((size << 4) | elementType)
    else { this.byte(0xf0 | elementType); this.varint(size) }
  }

  i32Value(v: number): void {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1)
  }

  binaryValue(v: Uint8Array | string): void {
    const b = typeof v === 'string' ? utf8.encode(v) : v
    this.varint(b.length)
    this.appendBytes(b)
  }

  /** Open a struct field; close it with end(). */
  struct(id: number): void {
    this.fieldHeader(id, T.STRUCT)
    this.beginElement()
  }

  /** Open a struct that is a list element or the top-level value; close it with end(). */
  beginElement(): void {
    this.lastIds.push(this.lastId)
    this.lastId = 0
  }

  end(): void {
    this.byte(0)
    this.lastId = this.lastIds.pop() ?? 0
  }
}
