// Column chunks of flat (top-level primitive) columns, encoded straight from the value arrays into the
// file: PLAIN values (dictionary for repetitive strings), RLE/bit-packed definition levels, data page
// V1 (what parquet-mr and arrow-rs write by default), footer statistics for non-byte-array columns.
// hyparquet-writer encodes through per-value objects and conversions; this path writes 1M rows
// several times faster, which is what makes the append benchmark's goal reachable.
import type { ParquetWriter } from 'hyparquet-writer'
import { compressPage, type ParquetCodec } from './codec.js'
import { writePageHeader, type PageHeader } from './footer.js'
import type { ByteBuffer } from './thrift-compact.js'
import { maxCompressedLength, snappyCompressInto } from './snappy.js'
import { int64MinMaxAt } from './stats.js'
import type { DeltaValue } from '../schema/values.js'
import { SchemaMismatchError } from '../errors.js'
import { writeUtf8 } from '../schema/utf8.js'

type RowGroup = ParquetWriter['row_groups'][number]
export type ColumnChunk = RowGroup['columns'][number]
type SchemaElement = ParquetWriter['schema'][number]
type Encoding = NonNullable<ColumnChunk['meta_data']>['encodings'][number]

/** Uncompressed bytes of values a data page holds before the next one starts (parquet-mr's default). */
export const PAGE_SIZE = 1 << 20
/** A string dictionary larger than this falls back to PLAIN (parquet-mr's dictionary page limit). */
const MAX_DICTIONARY_BYTES = 1 << 20
const MAX_DICTIONARY_ENTRIES = 1 << 16

export interface FlatChunkOptions {
  codec: ParquetCodec
  /** Footer min/max/null count (never for byte arrays: Delta's own file stats cover those). */
  statistics: boolean
  /** Column name for error messages. */
  column: string
}

/** A growable byte buffer reused across pages and files (one per process: encoding is synchronous). */
export class Scratch {
  bytes = new Uint8Array(1 << 16)
  view = new DataView(this.bytes.buffer)
  pos = 0
  ensure(extra: number): void {
    const need = this.pos + extra
    if (need <= this.bytes.length) return
    let size = this.bytes.length * 2
    while (size < need) size *= 2
    const next = new Uint8Array(size)
    next.set(this.bytes.subarray(0, this.pos))
    this.bytes = next
    this.view = new DataView(next.buffer)
  }
  varint(v: number): void {
    this.ensure(5)
    while (v >= 0x80) { this.bytes[this.pos++] = (v & 0x7f) | 0x80; v >>>= 7 }
    this.bytes[this.pos++] = v
  }
}

const values = new Scratch()
const levels = new Scratch()
const body = new Scratch()
const packed = new Scratch()

const isNull = (v: unknown): boolean => v === null || v === undefined

/** A page's header before compression fills in its sizes. */
export type PageTemplate = Omit<PageHeader, 'uncompressed_page_size' | 'compressed_page_size'>

/** What encoding a chunk found, for its metadata: footer statistics, null count, pages, dictionary. */
interface ChunkSummary { statistics?: ReturnType<MinMax['result']> & { null_count: bigint }; pages: number; dictionary: boolean }

/**
 * Encode the rows [start, end) of one flat column into pages, handing each finished page (its
 * uncompressed bytes are `page.bytes[0, page.pos)`) to `onPage` in file order. `onPage` must not keep
 * `page`: its buffer is reused for the next page.
 */
function encodeChunk(element: SchemaElement, column: ArrayLike<DeltaValue>, start: number, end: number, options: FlatChunkOptions,
  onPage: (page: Scratch, header: PageTemplate) => void): ChunkSummary {
  const type = element.type!
  const optional = element.repetition_type === 'OPTIONAL'
  const stats = options.statistics && type !== 'BYTE_ARRAY' && type !== 'FIXED_LEN_BYTE_ARRAY' ? new MinMax(type, element.converted_type === 'DECIMAL') : undefined
  let nulls = 0
  let pages = 0

  const dict = type === 'BYTE_ARRAY' && element.converted_type === 'UTF8' ? stringDictionary(column, start, end) : undefined
  if (dict) {
    values.pos = 0
    for (const s of dict.entries) writeString(s)
    onPage(values, { type: 'DICTIONARY_PAGE', dictionary_page_header: { num_values: dict.entries.length, encoding: 'PLAIN' } })
  }

  try {
    let row = start
    while (row < end) {
      values.pos = 0
      const pageEnd = dict ? writeIndexes(dict, end) : writeValues(type, element.type_length ?? 0, column, row, end, stats)
      let pageNulls = 0
      // A REQUIRED column's page is its values alone: no copy into the page body.
      let page = values
      if (optional) {
        page = body
        body.pos = 0
        levels.pos = 0
        pageNulls = writeDefinitionLevels(column, row, pageEnd)
        body.ensure(4 + levels.pos)
        body.view.setUint32(body.pos, levels.pos, true)
        body.bytes.set(levels.bytes.subarray(0, levels.pos), body.pos + 4)
        body.pos += 4 + levels.pos
        body.ensure(values.pos)
        body.bytes.set(values.bytes.subarray(0, values.pos), body.pos)
        body.pos += values.pos
      }
      onPage(page, {
        type: 'DATA_PAGE',
        data_page_header: { num_values: pageEnd - row, encoding: dict ? 'RLE_DICTIONARY' : 'PLAIN', definition_level_encoding: 'RLE', repetition_level_encoding: 'RLE' },
      })
      nulls += pageNulls
      pages++
      row = pageEnd
    }
  } catch (e) {
    if (e instanceof SchemaMismatchError) throw e
    throw new SchemaMismatchError(`cannot encode column ${options.column} as Parquet ${type}: ${(e as Error).message}`, { column: options.column, cause: e })
  }
  return { statistics: stats ? { ...stats.result(), null_count: BigInt(nulls) } : undefined, pages, dictionary: dict !== undefined }
}

/** Where a chunk's pages landed in the file, for its metadata. */
interface ChunkPlacement { chunkStart: number; chunkEnd: number; dictionaryOffset?: number; dataOffset: number; uncompressed: number }

function chunkMeta(element: SchemaElement, options: FlatChunkOptions, numValues: number, s: ChunkSummary, at: ChunkPlacement): ColumnChunk {
  const encoding_stats = [{ page_type: 'DATA_PAGE' as const, encoding: s.dictionary ? 'RLE_DICTIONARY' as const : 'PLAIN' as const, count: s.pages }]
  if (s.dictionary) encoding_stats.unshift({ page_type: 'DICTIONARY_PAGE' as never, encoding: 'PLAIN' as const, count: 1 })
  const encodings: Encoding[] = s.dictionary ? ['PLAIN', 'RLE', 'RLE_DICTIONARY'] : ['PLAIN', 'RLE']
  return {
    file_offset: BigInt(at.chunkStart),
    meta_data: {
      type: element.type!,
      encodings,
      path_in_schema: [element.name],
      codec: options.codec,
      num_values: BigInt(numValues),
      total_uncompressed_size: BigInt(at.uncompressed),
      total_compressed_size: BigInt(at.chunkEnd - at.chunkStart),
      data_page_offset: BigInt(at.dataOffset),
      dictionary_page_offset: at.dictionaryOffset === undefined ? undefined : BigInt(at.dictionaryOffset),
      statistics: s.statistics,
      encoding_stats,
    },
  } as ColumnChunk
}

/**
 * Write the chunk of rows [start, end) of one flat column at the writer's offset; returns its metadata.
 * `element` is the column's Parquet schema element (REQUIRED means the caller saw no null).
 */
export function writeFlatChunk(writer: ByteBuffer, element: SchemaElement, column: ArrayLike<DeltaValue>, start: number, end: number, options: FlatChunkOptions): ColumnChunk {
  const chunkStart = writer.offset
  let dictionaryOffset: number | undefined
  let dataOffset: number | undefined
  let uncompressed = 0
  const summary = encodeChunk(element, column, start, end, options, (page, header) => {
    if (header.type === 'DICTIONARY_PAGE') dictionaryOffset = writer.offset
    else dataOffset ??= writer.offset
    uncompressed += writePage(writer, header, page.pos, compressScratch(options.codec, page))
  })
  return chunkMeta(element, options, end - start, summary, { chunkStart, chunkEnd: writer.offset, dictionaryOffset, dataOffset: dataOffset ?? writer.offset, uncompressed })
}

/** A chunk encoded ahead of its place in the file: what its metadata needs besides the pages' sizes. */
export interface EncodedChunk {
  element: SchemaElement
  numValues: number
  summary: ChunkSummary
  pages: Array<{ type: PageTemplate['type']; rawLength: number }>
}

/**
 * Encode the rows [start, end) of one flat column, handing each page (`page.bytes[0, page.pos)`,
 * uncompressed) and its header to `onPage` in file order, which writes it elsewhere (a worker thread
 * compresses it and writes it as `writePage` does). `placedChunk` gives the chunk's metadata once
 * its pages' sizes are known; the file is byte for byte what writeFlatChunk writes.
 */
export function encodeFlatChunk(element: SchemaElement, column: ArrayLike<DeltaValue>, start: number, end: number, options: FlatChunkOptions,
  onPage: (page: Scratch, header: PageTemplate) => void): EncodedChunk {
  const pages: EncodedChunk['pages'] = []
  const summary = encodeChunk(element, column, start, end, options, (page, header) => {
    pages.push({ type: header.type, rawLength: page.pos })
    onPage(page, header)
  })
  return { element, numValues: end - start, summary, pages }
}

/**
 * Metadata of an encoded chunk written at file offset `at`, its pages' header and compressed sizes at
 * `sizes[2k], sizes[2k + 1]` from page `k`; returns it and the offset after the chunk.
 */
export function placedChunk(chunk: EncodedChunk, at: number, sizes: Int32Array, k: number, options: FlatChunkOptions): { meta: ColumnChunk; end: number } {
  const chunkStart = at
  let dictionaryOffset: number | undefined
  let dataOffset: number | undefined
  let uncompressed = 0
  for (const p of chunk.pages) {
    if (p.type === 'DICTIONARY_PAGE') dictionaryOffset = at
    else dataOffset ??= at
    const headerSize = sizes[2 * k]
    at += headerSize + sizes[2 * k + 1]
    uncompressed += headerSize + p.rawLength
    k++
  }
  const meta = chunkMeta(chunk.element, options, chunk.numValues, chunk.summary, { chunkStart, chunkEnd: at, dictionaryOffset, dataOffset: dataOffset ?? at, uncompressed })
  return { meta, end: at }
}

/** A page's compressed bytes in a buffer of their own. */
export function compressedCopy(codec: ParquetCodec, page: Scratch): Uint8Array {
  return compressScratch(codec, page).slice()
}

/** A page's compressed bytes, in a buffer reused by the next page (copy them before the next call). */
function compressScratch(codec: ParquetCodec, page: Scratch): Uint8Array {
  const raw = page.bytes.subarray(0, page.pos)
  if (codec !== 'SNAPPY') return compressPage(codec, raw)
  packed.pos = 0
  packed.ensure(maxCompressedLength(raw.length))
  return packed.bytes.subarray(0, snappyCompressInto(raw, packed.bytes))
}

/** Write a page's header and compressed bytes; returns the uncompressed size including the header. */
export function writePage(writer: ByteBuffer, header: PageTemplate, rawLength: number, data: Uint8Array): number {
  const headerStart = writer.offset
  writePageHeader(writer, { ...header, uncompressed_page_size: rawLength, compressed_page_size: data.length })
  const headerSize = writer.offset - headerStart
  writer.appendBytes(data)
  return headerSize + rawLength
}

// ───────────────────────────── values ─────────────────────────────

/** Bytes a fixed-width PLAIN value takes; 0 for byte arrays (measured as written). */
function fixedWidth(type: string, typeLength: number): number {
  switch (type) {
    case 'INT32': case 'FLOAT': return 4
    case 'INT64': case 'DOUBLE': return 8
    case 'FIXED_LEN_BYTE_ARRAY': return typeLength
    default: return 0
  }
}

/** PLAIN-encode the non-null values of rows [row, end) into `values` until a page is full; returns the page end. */
function writeValues(type: string, typeLength: number, column: ArrayLike<DeltaValue>, row: number, end: number, stats: MinMax | undefined): number {
  if (type === 'BOOLEAN') {
    // Bit-packed, LSB first; 8M rows fit a page, so a page holds the whole chunk.
    values.ensure(((end - row) >>> 3) + 1)
    const out = values.bytes
    out.fill(0, 0, ((end - row) >>> 3) + 1)
    let k = 0
    for (let i = row; i < end; i++) {
      const v = column[i]
      if (isNull(v)) continue
      if (typeof v !== 'boolean') throw new TypeError(`value ${String(v)} is not a boolean`)
      if (v) out[k >>> 3] |= 1 << (k & 7)
      stats?.add(v)
      k++
    }
    values.pos = (k + 7) >>> 3
    return end
  }
  const width = fixedWidth(type, typeLength)
  if (width === 0) return writeByteArrays(column, row, end)
  const pageEnd = Math.min(end, row + Math.max(1, Math.floor(PAGE_SIZE / width)))
  const n = pageEnd - row
  values.ensure(n * width)
  const buf = values.bytes.buffer
  if (ArrayBuffer.isView(column)) {
    // Typed input (no nulls): the page is its little-endian bytes.
    const src = column as unknown as Int32Array | Float64Array | BigInt64Array | Float32Array
    if ((type === 'INT32' && src instanceof Int32Array) || (type === 'INT64' && src instanceof BigInt64Array)
      || (type === 'DOUBLE' && src instanceof Float64Array) || (type === 'FLOAT' && src instanceof Float32Array)) {
      values.bytes.set(new Uint8Array(src.buffer, src.byteOffset + row * width, n * width))
      values.pos = n * width
      stats?.addTyped(src, row, pageEnd)
      return pageEnd
    }
  }
  let k = 0
  switch (type) {
    case 'INT32': {
      const out = new Int32Array(buf, 0, n)
      for (let i = row; i < pageEnd; i++) {
        const v = column[i]
        if (isNull(v)) continue
        // Decimals of up to 9 digits arrive as unscaled bigints.
        const x = typeof v === 'bigint' ? Number(v) : (v as number)
        if (typeof x !== 'number' || !Number.isInteger(x)) throw new TypeError(`value ${String(v)} is not an integer`)
        out[k++] = x
        stats?.add(x)
      }
      break
    }
    case 'INT64': {
      const out = new BigInt64Array(buf, 0, n)
      for (let i = row; i < pageEnd; i++) {
        const v = column[i]
        if (isNull(v)) continue
        // Integral numbers are accepted as longs (internal producers may hand them); else TypeError.
        const x = typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : (v as bigint)
        out[k++] = x
        stats?.add(x)
      }
      break
    }
    case 'DOUBLE': case 'FLOAT': {
      const out = type === 'DOUBLE' ? new Float64Array(buf, 0, n) : new Float32Array(buf, 0, n)
      for (let i = row; i < pageEnd; i++) {
        const v = column[i]
        if (isNull(v)) continue
        if (typeof v !== 'number') throw new TypeError(`value ${String(v)} is not a number`)
        out[k++] = v
        stats?.add(type === 'FLOAT' ? Math.fround(v) : v)
      }
      break
    }
    case 'FIXED_LEN_BYTE_ARRAY': {
      // Decimals beyond 18 digits: big-endian two's complement of the unscaled value.
      const out = values.bytes
      for (let i = row; i < pageEnd; i++) {
        const v = column[i]
        if (isNull(v)) continue
        if (typeof v !== 'bigint') throw new TypeError(`value ${String(v)} is not a decimal`)
        let x = BigInt.asUintN(width * 8, v)
        for (let b = width - 1; b >= 0; b--) { out[k * width + b] = Number(x & 0xffn); x >>= 8n }
        k++
      }
      break
    }
  }
  values.pos = k * width
  return pageEnd
}

/** Length-prefixed byte arrays (strings as UTF-8) until the page is full; returns the page end. */
function writeByteArrays(column: ArrayLike<DeltaValue>, row: number, end: number): number {
  let i = row
  for (; i < end && values.pos < PAGE_SIZE; i++) {
    const v = column[i]
    if (isNull(v)) continue
    if (typeof v === 'string') writeString(v)
    else if (v instanceof Uint8Array) {
      values.ensure(4 + v.length)
      values.view.setUint32(values.pos, v.length, true)
      values.bytes.set(v, values.pos + 4)
      values.pos += 4 + v.length
    } else throw new TypeError(`value ${String(v)} is not a string or binary`)
  }
  return i
}

function writeString(s: string): void {
  values.ensure(4 + s.length * 3)
  const at = values.pos + 4
  const len = writeUtf8(s, values.bytes, at)
  values.view.setUint32(values.pos, len, true)
  values.pos = at + len
}

// ───────────────────────────── dictionary ─────────────────────────────

interface StringDictionary { entries: string[]; indexes: Int32Array; bitWidth: number }

/** A dictionary for a string chunk whose sample repeats (else undefined: PLAIN is smaller and faster). */
function stringDictionary(column: ArrayLike<DeltaValue>, start: number, end: number): StringDictionary | undefined {
  const n = end - start
  const sample = Math.min(n, 1000)
  const seen = new Set<unknown>()
  for (let s = 0; s < sample; s++) seen.add(column[start + Math.floor((s * n) / sample)])
  if (seen.size * 2 >= sample) return undefined
  const ids = new Map<string, number>()
  const entries: string[] = []
  const indexes = new Int32Array(n)
  let bytes = 0
  let k = 0
  for (let i = start; i < end; i++) {
    const v = column[i]
    if (isNull(v)) continue
    if (typeof v !== 'string') return undefined
    let id = ids.get(v)
    if (id === undefined) {
      id = entries.length
      ids.set(v, id)
      entries.push(v)
      bytes += 4 + v.length * 3
      if (entries.length > MAX_DICTIONARY_ENTRIES || bytes > MAX_DICTIONARY_BYTES) return undefined
    }
    indexes[k++] = id
  }
  if (entries.length === 0) return undefined // all null: no dictionary page to write
  return { entries, indexes: indexes.subarray(0, k), bitWidth: Math.max(1, 32 - Math.clz32(entries.length - 1)) }
}

/** Dictionary indexes of the whole chunk as one page (at most 16 bits a row, so it stays page-sized). */
function writeIndexes(dict: StringDictionary, end: number): number {
  values.ensure(1)
  values.bytes[values.pos++] = dict.bitWidth
  writeHybrid(values, dict.indexes, 0, dict.indexes.length, dict.bitWidth)
  return end
}

// ───────────────────────────── levels ─────────────────────────────

const defs = { a: new Uint8Array(1 << 16) }

/** RLE/bit-packed definition levels (bit width 1) of rows [row, end) into `levels`; returns the null count. */
function writeDefinitionLevels(column: ArrayLike<DeltaValue>, row: number, end: number): number {
  const n = end - row
  if (defs.a.length < n) defs.a = new Uint8Array(n)
  const a = defs.a
  let nulls = 0
  for (let i = 0; i < n; i++) {
    const present = isNull(column[row + i]) ? 0 : 1
    a[i] = present
    nulls += 1 - present
  }
  writeHybrid(levels, a, 0, n, 1)
  return nulls
}

/**
 * The RLE / bit-packing hybrid (Parquet Encodings.md): runs of 8 or more equal values as RLE runs,
 * the rest bit-packed in groups of 8 (the last group padded with zeros; readers stop at num_values).
 */
function writeHybrid(out: Scratch, a: ArrayLike<number>, from: number, to: number, bitWidth: number): void {
  const valueBytes = (bitWidth + 7) >>> 3
  let i = from
  while (i < to) {
    const v = a[i]
    let run = 1
    while (i + run < to && a[i + run] === v) run++
    if (run >= 8) {
      out.varint(run << 1)
      out.ensure(valueBytes)
      for (let b = 0; b < valueBytes; b++) out.bytes[out.pos++] = (v >>> (8 * b)) & 0xff
      i += run
      continue
    }
    // Bit-pack groups of 8 until a run of 8 starts at a group boundary (at most 63 groups a header).
    const groupStart = i
    let groups = 0
    for (;;) {
      groups++
      i += 8
      if (i >= to || groups === 63) break
      const w = a[i]
      let r = 1
      while (r < 8 && i + r < to && a[i + r] === w) r++
      if (r === 8) break
    }
    out.varint((groups << 1) | 1)
    out.ensure(groups * bitWidth)
    let acc = 0
    let bits = 0
    const last = groupStart + groups * 8
    for (let j = groupStart; j < last; j++) {
      acc |= (j < to ? a[j] : 0) << bits
      bits += bitWidth
      while (bits >= 8) { out.bytes[out.pos++] = acc & 0xff; acc >>>= 8; bits -= 8 }
    }
    if (i > to) i = to
  }
}

// ───────────────────────────── statistics ─────────────────────────────

/** Min/max of a chunk in Parquet's order: NaN skipped, a zero min written as -0 and max as +0. */
class MinMax {
  private min: number | bigint | boolean | undefined
  private max: number | bigint | boolean | undefined
  /** `decimal`: bounds go to the footer as unscaled bigints (a number would be read as a scaled value). */
  constructor(private readonly type: string, private readonly decimal = false) {}
  add(v: number | bigint | boolean): void {
    if (typeof v === 'number' && Number.isNaN(v)) return
    if (this.min === undefined || v < this.min) this.min = v
    if (this.max === undefined || v > this.max) this.max = v
  }
  /** Typed arrays without allocating: int64 compared by 32-bit halves, the winners converted once. */
  addTyped(src: Int32Array | Float64Array | Float32Array | BigInt64Array, from: number, to: number): void {
    if (to <= from) return
    if (src instanceof BigInt64Array) {
      const [lo, hi] = int64MinMaxAt(src, from, to)
      this.add(src[lo])
      this.add(src[hi])
      return
    }
    let mn = Infinity
    let mx = -Infinity
    let any = false
    for (let i = from; i < to; i++) {
      const v = src[i] as number
      if (v !== v) continue
      any = true
      if (v < mn) mn = v
      if (v > mx) mx = v
    }
    if (any) { this.add(mn); this.add(mx) }
  }
  result(): { min_value?: number | bigint | boolean; max_value?: number | bigint | boolean } {
    if (this.min === undefined) return {}
    let { min, max } = this
    if (this.type === 'FLOAT' || this.type === 'DOUBLE') {
      if (min === 0) min = -0
      if (max === 0) max = 0
    }
    if (this.decimal) return { min_value: BigInt(min as number | bigint), max_value: BigInt(max as number | bigint) }
    return { min_value: min, max_value: max }
  }
}
