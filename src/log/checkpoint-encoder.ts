// Column chunks of a checkpoint, shredded straight from the action objects. The checkpoint schema
// (checkpoint-write.ts) nests optional structs and, at most one level deep, maps and lists of
// primitives, so each leaf needs only a walk down its path: definition levels count the optional
// ancestors present, repetition levels mark a map's or list's later entries. Values are PLAIN,
// levels RLE/bit-packed, pages data page V1 cut at record boundaries. hyparquet-writer's generic
// Dremel encoder built an object per value and took ~3 s for a 100,000-file checkpoint.
import type { ByteWriter, ParquetWriter } from 'hyparquet-writer'
import { ByteWriter as LevelWriter } from 'hyparquet-writer'
import { writePageHeader } from 'hyparquet-writer/src/datapage.js'
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js'
import { compressPage, type ParquetCodec } from '../write/codec.js'
import { maxCompressedLength, snappyCompressInto } from '../write/snappy.js'
import { writeUtf8 } from '../schema/utf8.js'

type SchemaElement = ParquetWriter['schema'][number]
type ColumnChunk = ParquetWriter['row_groups'][number]['columns'][number]
type PageHeader = Parameters<typeof writePageHeader>[1]

/** Uncompressed value bytes a page holds before the next record starts a new one. */
const PAGE_SIZE = 1 << 20

/** Rows of one top-level column, in file order; every other top-level column is null there. */
export interface Segment {
  column: string
  values: readonly unknown[]
}

interface Step {
  name: string
  optional: boolean
  kind: 'struct' | 'map' | 'list' | 'repeated' | 'leaf'
}

/** One leaf column: its path from the top-level column down. */
interface LeafPath {
  element: SchemaElement
  path: string[]
  steps: Step[]
  maxDef: number
  maxRep: number
}

/** The leaves of a flat (preorder) schema, in column-chunk order. */
export function leafPaths(schema: readonly SchemaElement[]): LeafPath[] {
  const out: LeafPath[] = []
  let i = 1
  const walk = (steps: Step[]): void => {
    const e = schema[i++]
    const n = e.num_children ?? 0
    const kind: Step['kind'] = e.repetition_type === 'REPEATED' ? 'repeated'
      : n === 0 ? 'leaf'
      : e.converted_type === 'MAP' ? 'map' : e.converted_type === 'LIST' ? 'list' : 'struct'
    const here = [...steps, { name: e.name, optional: e.repetition_type === 'OPTIONAL', kind }]
    if (n === 0) {
      const maxDef = here.filter((s) => s.optional || s.kind === 'repeated').length
      const maxRep = here.filter((s) => s.kind === 'repeated').length
      // Deeper shapes never occur in a checkpoint; refuse them rather than write wrong levels.
      const r = here.findIndex((s) => s.kind === 'repeated')
      if (maxRep > 1 || (r >= 0 && r !== here.length - 2)) throw new Error(`checkpoint column ${here.map((s) => s.name).join('.')} nests repetition too deep`)
      out.push({ element: e, path: here.map((s) => s.name), steps: here, maxDef, maxRep })
      return
    }
    for (let c = 0; c < n; c++) walk(here)
  }
  const top = schema[0].num_children ?? 0
  for (let c = 0; c < top; c++) walk([])
  return out
}

/** Growable levels and the dense values of one leaf. */
class Shredded {
  def: Uint8Array
  rep: Uint8Array
  n = 0
  values: unknown[] = []
  /** Level buffers are reused from leaf to leaf (zeroed where the last leaf wrote); both keep one length. */
  constructor(size: number, readonly repeated: boolean, reuse?: Shredded) {
    const capacity = Math.max(16, size, reuse?.def.length ?? 0)
    this.def = reuse && reuse.def.length === capacity ? reuse.def.fill(0, 0, reuse.n) : new Uint8Array(capacity)
    this.rep = !repeated ? new Uint8Array(0)
      : reuse && reuse.rep.length === capacity ? reuse.rep.fill(0, 0, reuse.n) : new Uint8Array(capacity)
  }
  private grow(): void {
    const def = new Uint8Array(this.def.length * 2)
    def.set(this.def)
    this.def = def
    if (this.repeated) {
      const rep = new Uint8Array(this.rep.length * 2)
      rep.set(this.rep)
      this.rep = rep
    }
  }
  level(d: number, r: number): void {
    if (this.n === this.def.length) this.grow()
    this.def[this.n] = d
    if (this.repeated) this.rep[this.n] = r
    this.n++
  }
  value(d: number, r: number, v: unknown): void {
    this.level(d, r)
    this.values.push(v)
  }
  /** `count` rows where the top-level column is null: levels 0 (the arrays start zeroed). */
  nulls(count: number): void {
    while (this.n + count > this.def.length) this.grow()
    this.n += count
  }
}

const isNull = (v: unknown): boolean => v === null || v === undefined

function shred(leaf: LeafPath, v: unknown, out: Shredded): void {
  const steps = leaf.steps
  let d = 0
  let cur = v
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]
    if (i > 0) cur = (cur as Record<string, unknown>)[s.name]
    if (isNull(cur)) {
      if (!s.optional) throw new TypeError(`required field ${leaf.path.slice(0, i + 1).join('.')} is missing`)
      out.level(d, 0)
      return
    }
    if (s.optional) d++
    if (s.kind === 'map' || s.kind === 'list') {
      shredEntries(s.kind, cur, steps[i + 2], d, out, leaf)
      return
    }
  }
  out.value(d, 0, cur)
}

/** The entries of a map (plain object or Map) or list; an empty one is present with no entries. */
function shredEntries(kind: 'map' | 'list', cur: unknown, leafStep: Step, d: number, out: Shredded, leaf: LeafPath): void {
  const isKey = leafStep.name === 'key'
  let rep = 0
  if (kind === 'list') {
    for (const x of cur as unknown[]) emitEntry(x, rep++, leafStep, d, out, leaf)
  } else if (cur instanceof Map) {
    for (const [k, x] of cur) emitEntry(isKey ? k : x, rep++, leafStep, d, out, leaf)
  } else {
    const o = cur as Record<string, unknown>
    for (const k of Object.keys(o)) emitEntry(isKey ? k : o[k], rep++, leafStep, d, out, leaf)
  }
  if (rep === 0) out.level(d, 0)
}

function emitEntry(x: unknown, index: number, leafStep: Step, d: number, out: Shredded, leaf: LeafPath): void {
  const entryDef = d + 1 // the repeated key_value / list node is present
  const r = index === 0 ? 0 : 1
  if (isNull(x)) {
    if (!leafStep.optional) throw new TypeError(`${leaf.path.join('.')} holds a null`)
    out.level(entryDef, r)
  } else out.value(leafStep.optional ? entryDef + 1 : entryDef, r, x)
}

/** Write one row group of `segments` (rows [0, total)) at the writer's offset; returns its metadata. */
export function writeCheckpointRowGroup(writer: ByteWriter, schema: readonly SchemaElement[], segments: readonly Segment[], codec: ParquetCodec): ParquetWriter['row_groups'][number] {
  const start = writer.offset
  let rows = 0
  for (const s of segments) rows += s.values.length
  const columns: ColumnChunk[] = []
  let uncompressed = 0n
  let last: Shredded | undefined
  for (const leaf of leafPaths(schema)) {
    // One leaf at a time: its values are garbage before the next one starts.
    const top = leaf.path[0]
    const out = new Shredded(rows, leaf.maxRep > 0, last)
    last = out
    for (const seg of segments) {
      if (seg.column !== top) { out.nulls(seg.values.length); continue }
      for (const v of seg.values) shred(leaf, v, out)
    }
    const chunk = writeChunk(writer, leaf, out, codec)
    uncompressed += chunk.meta_data?.total_uncompressed_size ?? 0n
    columns.push(chunk)
  }
  return { columns, total_byte_size: uncompressed, num_rows: BigInt(rows), total_compressed_size: BigInt(writer.offset - start) }
}

// ───────────────────────────── pages ─────────────────────────────

/** A growable byte buffer for one page's values. */
class Bytes {
  bytes = new Uint8Array(1 << 16)
  view = new DataView(this.bytes.buffer)
  pos = 0
  ensure(extra: number): void {
    if (this.pos + extra <= this.bytes.length) return
    let size = this.bytes.length * 2
    while (size < this.pos + extra) size *= 2
    const next = new Uint8Array(size)
    next.set(this.bytes.subarray(0, this.pos))
    this.bytes = next
    this.view = new DataView(next.buffer)
  }
}

const TWO32 = 2 ** 32
const utf8 = new TextEncoder()

const values = new Bytes() // one page's values; reused (encoding is synchronous)

function writeChunk(writer: ByteWriter, leaf: LeafPath, s: Shredded, codec: ParquetCodec): ColumnChunk {
  const type = leaf.element.type as string
  const chunkStart = writer.offset
  let nulls = 0
  let uncompressed = 0
  let pages = 0
  let i = 0
  let k = 0 // next value
  while (i < s.n || pages === 0) {
    const first = i
    values.pos = 0
    let bits = 0 // booleans: bit-packed, LSB first
    for (; i < s.n; i++) {
      // A page ends between records (repetition level 0) once it holds enough value bytes.
      if (i > first && values.pos >= PAGE_SIZE && (!s.repeated || s.rep[i] === 0)) break
      if (s.def[i] < leaf.maxDef) { nulls++; continue }
      const v = s.values[k++]
      if (type === 'BOOLEAN') {
        if (typeof v !== 'boolean') throw badValue(leaf, v)
        if ((bits & 7) === 0) { values.ensure(1); values.bytes[values.pos++] = 0 }
        if (v) values.bytes[values.pos - 1] |= 1 << (bits & 7)
        bits++
      } else writeValue(type, v, values, leaf)
    }
    const raw = pageBody(s, first, i, leaf, values)
    const data = compress(codec, raw)
    const header = {
      type: 'DATA_PAGE', uncompressed_page_size: raw.length, compressed_page_size: data.length,
      data_page_header: { num_values: i - first, encoding: 'PLAIN', definition_level_encoding: 'RLE', repetition_level_encoding: 'RLE' },
    } as PageHeader
    const headerStart = writer.offset
    writePageHeader(writer, header)
    uncompressed += writer.offset - headerStart + raw.length
    writer.appendBytes(data)
    pages++
  }
  return {
    file_offset: BigInt(chunkStart),
    meta_data: {
      type: type as never,
      encodings: ['PLAIN', 'RLE'],
      path_in_schema: leaf.path,
      codec,
      num_values: BigInt(s.n),
      total_uncompressed_size: BigInt(uncompressed),
      total_compressed_size: BigInt(writer.offset - chunkStart),
      data_page_offset: BigInt(chunkStart),
      // Readers use the null counts (checkpoint-read.ts tells from them whether every add has JSON stats).
      statistics: { null_count: BigInt(nulls) },
      encoding_stats: [{ page_type: 'DATA_PAGE', encoding: 'PLAIN', count: pages }],
    },
  } as ColumnChunk
}

const levelWriter = new LevelWriter(1 << 16) // reused: index and offset reset per level section
const body = new Bytes()
const packed = new Bytes()

/** Levels of entries [from, to) (repetition, then definition, each length-prefixed) and the values. */
function pageBody(s: Shredded, from: number, to: number, leaf: LeafPath, values: Bytes): Uint8Array {
  body.pos = 0
  const levels = (a: Uint8Array, max: number): void => {
    levelWriter.index = 0
    levelWriter.offset = 0
    writeRleBitPackedHybrid(levelWriter, a.subarray(from, to), 32 - Math.clz32(max))
    body.ensure(4 + levelWriter.index)
    body.view.setUint32(body.pos, levelWriter.index, true)
    body.bytes.set(levelWriter.getBytes(), body.pos + 4)
    body.pos += 4 + levelWriter.index
  }
  if (leaf.maxRep > 0) levels(s.rep, leaf.maxRep)
  if (leaf.maxDef > 0) levels(s.def, leaf.maxDef)
  body.ensure(values.pos)
  body.bytes.set(values.bytes.subarray(0, values.pos), body.pos)
  body.pos += values.pos
  return body.bytes.subarray(0, body.pos)
}

/** Page-sized allocations per page drive V8 into full collections: Snappy writes into one reused buffer. */
function compress(codec: ParquetCodec, raw: Uint8Array): Uint8Array {
  if (codec !== 'SNAPPY') return compressPage(codec, raw)
  packed.pos = 0
  packed.ensure(maxCompressedLength(raw.length))
  return packed.bytes.subarray(0, snappyCompressInto(raw, packed.bytes))
}

function writeValue(type: string, v: unknown, out: Bytes, leaf: LeafPath): void {
  switch (type) {
    case 'BYTE_ARRAY': {
      if (typeof v !== 'string') throw badValue(leaf, v)
      out.ensure(4 + v.length * 3)
      // Long strings (paths, JSON stats) go through the native encoder: ~8x faster than a JS loop.
      const len = v.length > 32 ? utf8.encodeInto(v, out.bytes.subarray(out.pos + 4)).written : writeUtf8(v, out.bytes, out.pos + 4)
      out.view.setUint32(out.pos, len, true)
      out.pos += 4 + len
      return
    }
    case 'INT64': {
      out.ensure(8)
      if (typeof v === 'bigint') out.view.setBigInt64(out.pos, v, true)
      else if (typeof v === 'number' && Number.isSafeInteger(v)) {
        // Split into 32-bit halves: no BigInt per value.
        const hi = Math.floor(v / TWO32)
        out.view.setUint32(out.pos, v - hi * TWO32, true)
        out.view.setInt32(out.pos + 4, hi, true)
      } else throw badValue(leaf, v)
      out.pos += 8
      return
    }
    case 'INT32': {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw badValue(leaf, v)
      out.ensure(4)
      out.view.setInt32(out.pos, v, true)
      out.pos += 4
      return
    }
    default:
      throw new TypeError(`checkpoint column ${leaf.path.join('.')} has unsupported type ${type}`)
  }
}

function badValue(leaf: LeafPath, v: unknown): TypeError {
  return new TypeError(`checkpoint column ${leaf.path.join('.')} (${leaf.element.type}) cannot hold ${typeof v} ${String(v).slice(0, 80)}`)
}
