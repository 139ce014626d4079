// A lean Parquet reader for checkpoint files. hyparquet's generic nested assembly builds an array per
// row per leaf column, which made a 100,000-file checkpoint take over a second, mostly in GC. Delta's
// checkpoint schema only nests structs, maps and lists one level deep, so we decode each leaf column
// with hyparquet's page decoders and assemble rows ourselves from definition/repetition levels.
// Anything outside that shape (a repeated field inside a repeated field) makes the caller fall back
// to hyparquet's own `parquetReadObjects`.
import type { ColumnMetaData, Compressors, FileMetaData, ParquetParsers, SchemaElement, SchemaTree } from 'hyparquet'
import type { ColumnDecoder } from 'hyparquet/src/types.js'
import { parquetSchema } from 'hyparquet'
import { parquetHeader } from 'hyparquet/src/column.js'
import { convert, convertWithDictionary, DEFAULT_PARSERS } from 'hyparquet/src/convert.js'
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js'
import { readPlain } from 'hyparquet/src/plain.js'
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js'
import type { AsyncBufferLike } from '../storage/async-buffer.js'
import { decimalText, ParsedDecimal } from './stats-parsed.js'
import { pathKey } from '../schema/column-path.js'

/** Thrown when a file's shape needs the generic reader. */
export class UnsupportedShapeError extends Error {}

interface Leaf {
  def: Uint8Array
  rep: Uint8Array
  values: unknown[]
  maxDef: number
  pos: number
  vpos: number
}

interface Node {
  name: string
  /** Definition level at which this node is present. */
  def: number
  /** Repetition level of this node (1 for a repeated node or below it). */
  rep: number
  kind: 'leaf' | 'struct' | 'map' | 'list' | 'repeatedLeaf'
  children: Node[]
  /** Leaves under (or equal to) this node, in file order. */
  leaves: Leaf[]
  /** For leaves: the dotted path that names the column chunk. */
  path?: string
  leaf?: Leaf
  /** For `partitionValues` maps: the last object built, reused while rows repeat it (see `sharedMap`). */
  shared?: { obj: Record<string, unknown>; keys: unknown[]; values: unknown[] }
  /** For structs: a private copy of the first object built, cloned for the next rows. */
  template?: Record<string, unknown>
}

/** Maps whose objects are shared, frozen, between rows with equal entries. */
const SHARED_MAPS = new Set(['add.partitionValues', 'remove.partitionValues'])

function isMap(t: SchemaTree): boolean {
  const e = t.element
  return (e.converted_type === 'MAP' || e.converted_type === 'MAP_KEY_VALUE' || e.logical_type?.type === 'MAP') &&
    t.children.length === 1 && t.children[0].element.repetition_type === 'REPEATED' && t.children[0].children.length === 2
}

function isList(t: SchemaTree): boolean {
  const e = t.element
  return (e.converted_type === 'LIST' || e.logical_type?.type === 'LIST') &&
    t.children.length === 1 && t.children[0].element.repetition_type === 'REPEATED'
}

/** Build the assembly tree of one top-level column; leaves are filled in later. */
function buildNode(t: SchemaTree, parentDef: number, parentRep: number, leaves: Map<string, Node>, prune?: Set<string>): Node {
  const rt = t.element.repetition_type
  const def = parentDef + (rt === 'REQUIRED' ? 0 : 1)
  const rep = parentRep + (rt === 'REPEATED' ? 1 : 0)
  if (rep > 1) throw new UnsupportedShapeError(`nested repetition at ${t.path.join('.')}`)
  const name = t.element.name
  if (t.children.length === 0) {
    const node: Node = { name, def, rep, kind: rt === 'REPEATED' ? 'repeatedLeaf' : 'leaf', children: [], leaves: [], path: pathKey(t.path) }
    leaves.set(node.path as string, node)
    return node
  }
  if (rt === 'REPEATED') throw new UnsupportedShapeError(`repeated group ${t.path.join('.')} outside a list or map`)
  if (isMap(t) || isList(t)) {
    const r = t.children[0]
    const rDef = def + 1
    if (r.children.length === 0) {
      // A list whose repeated node is the element itself.
      const el: Node = { name: r.element.name, def: rDef, rep: 1, kind: 'leaf', children: [], leaves: [], path: pathKey(r.path) }
      leaves.set(el.path as string, el)
      return { name, def, rep, kind: 'list', children: [el], leaves: [] }
    }
    const kids = r.children.map((c) => buildNode(c, rDef, 1, leaves))
    if (isMap(t)) {
      const shareable = SHARED_MAPS.has(t.path.join('.')) && kids.every((k) => k.kind === 'leaf')
      return { name, def, rep, kind: 'map', children: kids, leaves: [], ...(shareable ? { shared: { obj: Object.freeze({}), keys: [], values: [] } } : {}) }
    }
    // 3-level list: list.element (one child) ; 2-level legacy list of structs: the repeated group is the element.
    const element = kids.length === 1 ? kids[0] : { name: r.element.name, def: rDef, rep: 1, kind: 'struct' as const, children: kids, leaves: [] }
    return { name, def, rep, kind: 'list', children: [element], leaves: [] }
  }
  const kept = prune ? t.children.filter((c) => !prune.has(pathKey(c.path))) : t.children
  if (kept.length === 0) throw new UnsupportedShapeError(`every child of ${t.path.join('.')} pruned`)
  return { name, def, rep, kind: 'struct', children: kept.map((c) => buildNode(c, def, rep, leaves, prune)), leaves: [] }
}

function collectLeaves(n: Node): Leaf[] {
  if (n.leaf) n.leaves = [n.leaf]
  else n.leaves = n.children.flatMap(collectLeaves)
  return n.leaves
}

function curDef(l: Leaf): number {
  return l.def[l.pos]
}

function skip(n: Node): void {
  for (const l of n.leaves) l.pos++
}

/** Value of `n` at the current position of its leaves (one occurrence). */
function build(n: Node): unknown {
  const first = n.leaves[0]
  const d = curDef(first)
  if (d < n.def) { skip(n); return null }
  switch (n.kind) {
    case 'leaf': {
      const l = n.leaf as Leaf
      const v = d >= l.maxDef ? l.values[l.vpos++] : null
      l.pos++
      return v
    }
    case 'struct': {
      // Rows after the first are clones of a template with every field: V8 then makes each object
      // with its fields in place (an empty literal has room for four; an add has seven or more,
      // which otherwise go to a second, out-of-object array per file).
      const o: Record<string, unknown> = n.template ? { ...n.template } : {}
      for (const c of n.children) o[c.name] = build(c)
      n.template ??= { ...o }
      return o
    }
    case 'map': {
      if (n.shared) return sharedMap(n, n.shared, d)
      const o: Record<string, unknown> = {}
      if (d < n.def + 1) { skip(n); return o }
      // Entries go straight into the object (no key and value arrays per row: a million rows each).
      do {
        const k = build(n.children[0])
        o[String(k)] = build(n.children[1])
      } while (first.pos < first.def.length && first.rep[first.pos] === 1)
      return o
    }
    case 'list': {
      if (d < n.def + 1) { skip(n); return [] }
      const vals: unknown[] = []
      // Continue while the next entry repeats at this level (repetition level 1).
      do vals.push(build(n.children[0]))
      while (first.pos < first.def.length && first.rep[first.pos] === 1)
      return vals
    }
    default:
      throw new UnsupportedShapeError(`unsupported node ${n.name}`)
  }
}

/**
 * A map of two leaves (a file's partition values) as a frozen object shared with the previous row
 * when their entries are equal: files of one partition are written, and so checkpointed, together,
 * and unpartitioned tables have `{}` on every file. A million files then hold as many objects as
 * runs of equal partition values, not a million. The entries are compared in place in the leaves'
 * values before anything is built.
 */
function sharedMap(n: Node, last: NonNullable<Node['shared']>, d: number): Record<string, unknown> {
  const kl = n.children[0].leaf as Leaf
  const vl = n.children[1].leaf as Leaf
  if (d < n.def + 1) {
    kl.pos++; vl.pos++
    if (last.keys.length !== 0) { last.obj = Object.freeze({}); last.keys = []; last.values = [] }
    return last.obj
  }
  // Compare without consuming: walk copies of the leaf positions.
  let kp = kl.pos, kv = kl.vpos, vp = vl.pos, vv = vl.vpos
  let i = 0
  let equal = true
  do {
    // A key is required; a null key (damaged file) takes the generic path below.
    if (kl.def[kp] < kl.maxDef) { equal = false; break }
    const k = kl.values[kv]
    const present = vl.def[vp] >= vl.maxDef
    const v = present ? vl.values[vv] : null
    if (i >= last.keys.length || last.keys[i] !== k || last.values[i] !== v) { equal = false; break }
    kp++; kv++; vp++; i++
    if (present) vv++
  } while (kp < kl.def.length && kl.rep[kp] === 1)
  if (equal && i === last.keys.length) {
    kl.pos = kp; kl.vpos = kv; vl.pos = vp; vl.vpos = vv
    return last.obj
  }
  const o: Record<string, unknown> = {}
  const keys: unknown[] = []
  const values: unknown[] = []
  const first = kl
  do {
    const k = build(n.children[0])
    const v = build(n.children[1])
    keys.push(k)
    values.push(v)
    o[String(k)] = v
  } while (first.pos < first.def.length && first.rep[first.pos] === 1)
  last.obj = Object.freeze(o)
  last.keys = keys
  last.values = values
  return last.obj
}

/**
 * hyparquet trusts a V2 page header's level lengths and counts; a damaged one can make its level
 * decoder spin forever, so they are checked against the page first.
 */
function checkPageV2(h: { num_values: number; num_nulls: number; num_rows: number; encoding: unknown; definition_levels_byte_length: number; repetition_levels_byte_length: number }, size: number, decoder: ColumnDecoder): void {
  const ok = (n: unknown, max: number) => Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= max
  if (!ok(h.num_values, MAX_LEVELS) || !ok(h.num_nulls, h.num_values) || !ok(h.num_rows, h.num_values) || h.encoding === undefined ||
    !ok(h.definition_levels_byte_length, size) || !ok(h.repetition_levels_byte_length, size - h.definition_levels_byte_length)) {
    throw new Error(`damaged data page header in column ${decoder.pathInSchema.join('.')}`)
  }
}

/** More levels than this in one column chunk is a damaged footer, not a checkpoint (caps the level buffers). */
const MAX_LEVELS = 1 << 28

/** Decode every page of one column chunk into levels and dense values. */
function decodeChunk(bytes: Uint8Array, decoder: ColumnDecoder, numValues: number): Leaf {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const reader = { view, offset: 0 }
  let dictionary: unknown
  // Levels fit in a byte (checkpoint schemas nest a few levels). Values go into one array of at most
  // one value per level, made when the first value comes (a column of nulls makes none) and cut to
  // length at the end: no array per page, no second copy of a million values.
  const def = new Uint8Array(numValues)
  const rep = new Uint8Array(numValues)
  const sink: Sink = { values: EMPTY, total: 0, size: numValues }
  let levels = 0
  let maxDef = 0
  let maxRep = 0
  for (const t of decoder.schemaPath.slice(1)) {
    if (t.element.repetition_type !== 'REQUIRED') maxDef++
    if (t.element.repetition_type === 'REPEATED') maxRep++
  }
  if (!Number.isSafeInteger(numValues) || numValues < 0 || numValues > MAX_LEVELS) {
    throw new Error(`column chunk ${decoder.pathInSchema.join('.')} declares ${numValues} values`)
  }
  while (levels < numValues && reader.offset < view.byteLength - 1) {
    const header = parquetHeader(reader)
    // A damaged header must not send the reader backwards (an endless loop) or past the chunk.
    const size = header.compressed_page_size
    if (!Number.isSafeInteger(size) || size < 0 || reader.offset + size > view.byteLength) {
      throw new Error(`page of ${decoder.pathInSchema.join('.')} at offset ${reader.offset} has invalid size ${size}`)
    }
    const compressed = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size)
    reader.offset += header.compressed_page_size
    let page: { definitionLevels: ArrayLike<number> | undefined; repetitionLevels: ArrayLike<number>; dataPage: ArrayLike<unknown> }
    let encoding: string
    let count: number
    if (header.type === 'DICTIONARY_PAGE' && header.dictionary_page_header) {
      const raw = decompressPage(compressed, Number(header.uncompressed_page_size), decoder.codec, decoder.compressors)
      const r = { view: new DataView(raw.buffer, raw.byteOffset, raw.byteLength), offset: 0 }
      dictionary = convert(readPlain(r, decoder.type, header.dictionary_page_header.num_values, decoder.element.type_length), decoder)
      continue
    } else if (header.type === 'DATA_PAGE' && header.data_page_header) {
      const raw = decompressPage(compressed, Number(header.uncompressed_page_size), decoder.codec, decoder.compressors)
      encoding = header.data_page_header.encoding
      count = header.data_page_header.num_values
      if (levels + count <= numValues && (encoding === 'PLAIN' || encoding.endsWith('_DICTIONARY'))) {
        // Levels straight into the chunk's byte arrays, strings sliced from one decoded page.
        const vals = readPageV1(raw, count, encoding, decoder, def, rep, levels, maxDef, maxRep, sink)
        if (vals !== undefined) append(sink, convertWithDictionary(vals as never, dictionary as never, encoding as never, decoder))
        levels += count
        continue
      }
      page = readDataPage(raw, header.data_page_header, decoder) as typeof page
    } else if (header.type === 'DATA_PAGE_V2' && header.data_page_header_v2) {
      checkPageV2(header.data_page_header_v2, size, decoder)
      page = readDataPageV2(compressed, header, decoder) as typeof page
      encoding = header.data_page_header_v2.encoding
      count = header.data_page_header_v2.num_values
    } else {
      continue // index pages and the like carry no values
    }
    if (!Number.isSafeInteger(count) || count < 0) throw new Error(`page of ${decoder.pathInSchema.join('.')} declares ${count} values`)
    if (levels + count > numValues) throw new UnsupportedShapeError(`more levels than the chunk declares in ${decoder.pathInSchema.join('.')}`)
    append(sink, convertWithDictionary(page.dataPage as never, dictionary as never, encoding as never, decoder))
    const dl = page.definitionLevels ?? []
    // hyparquet drops the definition levels of a page without nulls: every entry is then at maxDef.
    if (dl.length === 0) def.fill(maxDef, levels, levels + count)
    else def.set(dl, levels)
    const rl = page.repetitionLevels
    if (rl.length) rep.set(rl, levels)
    levels += count
  }
  if (levels !== numValues) throw new UnsupportedShapeError(`column chunk ${decoder.pathInSchema.join('.')} ends early`)
  const values = sink.values
  if (values.length !== sink.total) values.length = sink.total
  return { def, rep, values, maxDef: 0, pos: 0, vpos: 0 }
}

/** Where a chunk's values go: `values` (made on first use, `size` long) filled up to `total`. */
interface Sink {
  values: unknown[]
  total: number
  size: number
}

const EMPTY: unknown[] = []

/** Room for `n` more values at `sink.total`. */
function reserve(sink: Sink, n: number): unknown[] {
  if (sink.values === EMPTY && n > 0) sink.values = new Array(sink.size)
  if (sink.total + n > sink.values.length) throw new Error('more values than levels in a column chunk')
  return sink.values
}

function append(sink: Sink, vals: ArrayLike<unknown>): void {
  const out = reserve(sink, vals.length)
  let k = sink.total
  for (let i = 0; i < vals.length; i++) out[k++] = vals[i]
  sink.total = k
}

const bitWidth = (max: number): number => 32 - Math.clz32(max)
const utf8 = new TextDecoder()

/**
 * One V1 data page (PLAIN or dictionary-encoded values): repetition and definition levels decoded
 * into `rep`/`def` at `at`, and the page's values. hyparquet would build a JS array per level section
 * and a Uint8Array view per string; at a million rows per column chunk that was most of the open.
 */
function readPageV1(raw: Uint8Array, count: number, encoding: string, decoder: ColumnDecoder, def: Uint8Array, rep: Uint8Array, at: number, maxDef: number, maxRep: number, sink: Sink): ArrayLike<unknown> | undefined {
  const reader = { view: new DataView(raw.buffer, raw.byteOffset, raw.byteLength), offset: 0 }
  if (maxRep > 0) readRleBitPackedHybrid(reader, bitWidth(maxRep), rep.subarray(at, at + count))
  let n = count
  if (maxDef > 0) {
    const d = def.subarray(at, at + count)
    readRleBitPackedHybrid(reader, bitWidth(maxDef), d)
    n = 0
    for (let i = 0; i < count; i++) if (d[i] === maxDef) n++
  }
  const e = decoder.element
  if (encoding === 'PLAIN' && decoder.type === 'BYTE_ARRAY' && (e.converted_type === 'UTF8' || e.logical_type?.type === 'STRING')) {
    readStrings(raw, reader.offset, n, decoder.codec !== 'UNCOMPRESSED', reserve(sink, n), sink.total)
    sink.total += n
    return undefined
  }
  if (encoding === 'PLAIN' && decoder.type === 'INT64' && !e.converted_type && !e.logical_type) {
    // Sizes, times and versions as numbers when they fit: a BigInt per value is a heap object each.
    // Written straight into the sink (hyparquet's conversion leaves plain int64 as it is).
    if (readSafeInt64(reader, n, reserve(sink, n), sink.total)) { sink.total += n; return undefined }
  }
  if (encoding === 'PLAIN') return readPlain(reader, decoder.type, n, e.type_length)
  const width = raw[reader.offset++]
  const indexes = new Array(n)
  if (width) readRleBitPackedHybrid(reader, width, indexes, raw.length - reader.offset)
  else indexes.fill(0)
  return indexes
}

/** `n` PLAIN int64 values as numbers, or undefined (reader untouched) when one is not a safe integer. */
function readSafeInt64(reader: { view: DataView; offset: number }, n: number, out: unknown[], to: number): boolean {
  const { view } = reader
  let at = reader.offset
  for (let i = 0; i < n; i++, at += 8) {
    const hi = view.getInt32(at + 4, true)
    if (hi >= 0x200000 || hi < -0x200000) return false
    out[to + i] = hi * 4294967296 + view.getUint32(at, true)
  }
  reader.offset = at
  return true
}

/** Values up to this many bytes equal to the previous value are that same string (see `readStrings`). */
const SHARE_MAX = 32

/**
 * `n` PLAIN strings from `offset`. The value bytes are packed together and decoded at once; when
 * every byte became one UTF-16 unit (ASCII, as paths and JSON stats nearly always are) the values are
 * slices of that one string, which V8 keeps as views: a million stats strings are not a million
 * copies for the garbage collector to move. Otherwise each value is decoded on its own. A short value
 * whose bytes equal the previous value's is the previous string itself: partition values and map
 * keys repeat row after row, and a checkpoint of a million files would otherwise hold a million
 * copies of `"day"`. With `inPlace` (a page buffer the caller owns) the values are packed inside
 * `raw` itself: a packed copy of every page was as many bytes again of short-lived buffers.
 */
function readStrings(raw: Uint8Array, offset: number, n: number, inPlace: boolean, out: unknown[], to: number): void {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  // Packing moves each value left by 4 bytes per value before it, so in place never overwrites unread bytes.
  const packed = inPlace ? raw.subarray(offset) : raw.slice(offset)
  const ends = new Uint32Array(n)
  // same[i]: value i has the bytes of value i - 1 (and is short).
  const same = new Uint8Array(n)
  let p = 0
  let q = 0
  let prevLen = -1
  for (let i = 0; i < n; i++) {
    const len = view.getUint32(offset + p, true)
    if (p + 4 + len > packed.length) throw new Error(`string value ${i} runs past its page`)
    if (len === prevLen && len <= SHARE_MAX && equalBytes(packed, q - len, p + 4, len)) {
      same[i] = 1
    } else {
      packed.copyWithin(q, p + 4, p + 4 + len)
      q += len
    }
    prevLen = len
    p += 4 + len
    ends[i] = q
  }
  const text = utf8.decode(packed.subarray(0, q))
  if (text.length === q) {
    let start = 0
    for (let i = 0; i < n; i++) {
      out[to + i] = same[i] ? out[to + i - 1] : text.slice(start, ends[i])
      start = ends[i]
    }
  } else {
    let start = 0
    for (let i = 0; i < n; i++) {
      out[to + i] = same[i] ? out[to + i - 1] : utf8.decode(packed.subarray(start, ends[i]))
      start = ends[i]
    }
  }
}

function equalBytes(b: Uint8Array, at: number, other: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (b[at + k] !== b[other + k]) return false
  return true
}

/**
 * Read the given top-level columns of a Parquet file column-wise: for each column, one value per
 * row (`null` where absent), with structs as objects, maps as plain objects and lists as arrays,
 * leaf values converted as hyparquet converts them.
 */
export async function readCheckpointRows(
  file: AsyncBufferLike,
  metadata: FileMetaData,
  columns: string[],
  options: { compressors?: Compressors; parsers?: Partial<ParquetParsers>; prune?: Set<string> },
): Promise<Record<string, unknown[]>> {
  const schema = parquetSchema(metadata)
  const parsers = { ...DEFAULT_PARSERS, ...options.parsers } as ParquetParsers
  const tops = schema.children.filter((c) => columns.includes(c.element.name))
  const out: Record<string, unknown[]> = {}
  for (const t of tops) out[t.element.name] = []
  for (const group of metadata.row_groups) {
    const n = Number(group.num_rows)
    const leafNodes = new Map<string, Node>()
    const trees = tops.map((t) => buildNode(t, 0, 0, leafNodes, options.prune))
    const chunks = group.columns.filter((c) => c.meta_data && leafNodes.has(pathKey(c.meta_data.path_in_schema)))
    await Promise.all(chunks.map(async (chunk) => {
      const meta = chunk.meta_data as ColumnMetaData
      const start = Number(meta.dictionary_page_offset || meta.data_page_offset)
      const end = start + Number(meta.total_compressed_size)
      const bytes = new Uint8Array(await file.slice(start, end))
      const node = leafNodes.get(pathKey(meta.path_in_schema)) as Node
      const schemaPath = pathTo(schema, meta.path_in_schema)
      const element = schemaPath[schemaPath.length - 1].element
      const decoder = {
        pathInSchema: meta.path_in_schema, type: meta.type, element, schemaPath, codec: meta.codec,
        parsers, compressors: options.compressors,
      } as ColumnDecoder
      const dec = decimalOf(element)
      // Decimals (only in stats_parsed / partitionValues_parsed) are decoded raw and kept exact.
      const leaf = dec ? decodeChunk(bytes, { ...decoder, element: { ...element, converted_type: undefined, logical_type: undefined }, utf8: false }, Number(meta.num_values))
        : decodeChunk(bytes, decoder, Number(meta.num_values))
      if (dec) leaf.values = leaf.values.map((v) => new ParsedDecimal(decimalText(unscaled(v), dec.scale)))
      leaf.maxDef = node.kind === 'leaf' || node.kind === 'repeatedLeaf' ? node.def : 0
      node.leaf = leaf
    }))
    for (const [, node] of leafNodes) if (!node.leaf) throw new UnsupportedShapeError(`no column chunk for ${node.path}`)
    trees.forEach(collectLeaves)
    for (const t of trees) {
      const col = out[t.name]
      for (let r = 0; r < n; r++) col.push(build(t))
    }
  }
  return out
}

function decimalOf(e: SchemaElement): { scale: number } | undefined {
  if (e.logical_type?.type === 'DECIMAL') return { scale: e.logical_type.scale }
  if (e.converted_type === 'DECIMAL') return { scale: e.scale ?? 0 }
  return undefined
}

/** The unscaled integer of a raw decimal: int32/int64 or big-endian two's complement bytes. */
function unscaled(v: unknown): bigint {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number') return BigInt(v)
  const b = v as Uint8Array
  let x = 0n
  for (const byte of b) x = (x << 8n) | BigInt(byte)
  if (b.length && b[0] & 0x80) x -= 1n << BigInt(8 * b.length)
  return x
}

function pathTo(schema: SchemaTree, path: string[]): SchemaTree[] {
  const out: SchemaTree[] = [schema]
  let cur = schema
  for (const name of path) {
    const next = cur.children.find((c) => c.element.name === name)
    if (!next) throw new UnsupportedShapeError(`column ${path.join('.')} not in schema`)
    out.push(next)
    cur = next
  }
  return out
}
