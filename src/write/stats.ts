// Per-file statistics of a data file we write (PROTOCOL.md "Per-file Statistics"), as the JSON
// string of `add.stats`: numRecords, minValues, maxValues, nullCount nested like the schema, keyed by
// physical names under column mapping, with the truncation rules Spark's StatisticsCollection uses.
import { compareNumbers, compareStrings, type DeltaValue } from '../schema/values.js'
import { formatDate } from '../schema/temporal.js'
import { formatDecimal } from '../schema/decimal.js'
import { pathKey, quoteName, splitPathList } from '../schema/column-path.js'
import {
  decimalParams, isStruct, physicalName,
  type ColumnMappingMode, type DataType, type StructField, type StructType,
} from '../schema/types.js'
import type { ColumnValues } from './parquet-write.js'
import { floorDiv } from '../schema/temporal.js'

/** Spark's `delta.dataSkippingStringPrefixLength` default: string bounds keep 32 UTF-16 units. */
export const STRING_PREFIX_LENGTH = 32
export const DEFAULT_NUM_INDEXED_COLS = 32

export interface StatsOptions {
  mode?: ColumnMappingMode
  /** Leaf columns (by dotted logical path) that get stats; from `statsColumnSelection`. */
  selected: Set<string>
  /** Write `tightBounds: true` (tables that support deletion vectors, as Spark does). */
  tightBounds?: boolean
}

/**
 * The leaf columns that get statistics: `delta.dataSkippingStatsColumns` when set, else the first
 * `delta.dataSkippingNumIndexedCols` (default 32, -1 = all) leaves of the data schema in order.
 * Partition columns never get stats (their value is in `partitionValues`).
 */
export function statsColumnSelection(dataSchema: StructType, configuration: Record<string, string>): Set<string> {
  const leaves: string[] = []
  const walk = (fields: StructField[], prefix: string) => {
    for (const f of fields) {
      const path = prefix ? `${prefix}.${quoteName(f.name)}` : quoteName(f.name)
      if (isStruct(f.type)) walk(f.type.fields, path)
      else leaves.push(path)
    }
  }
  walk(dataSchema.fields, '')
  const explicit = configuration['delta.dataSkippingStatsColumns']
  if (explicit !== undefined && explicit.trim() !== '') {
    // a listed struct selects all its leaves; names match case-insensitively
    const wanted = splitPathList(explicit).map((p) => pathKey(p).toLowerCase())
    return new Set(leaves.filter((l) => wanted.some((w) => l.toLowerCase() === w || l.toLowerCase().startsWith(`${w}.`))))
  }
  const raw = configuration['delta.dataSkippingNumIndexedCols']
  const n = raw === undefined ? DEFAULT_NUM_INDEXED_COLS : Number.parseInt(raw, 10)
  if (!Number.isFinite(n) || n < 0) return new Set(leaves)
  return new Set(leaves.slice(0, n))
}

// ───────────────────────────── bounds ─────────────────────────────

/** Spark's truncateMinStringAgg: a prefix that does not split a surrogate pair. */
export function truncateMinString(s: string, prefix = STRING_PREFIX_LENGTH): string {
  if (s.length <= prefix) return s
  const hi = s.charCodeAt(prefix - 1)
  const lo = s.charCodeAt(prefix)
  const split = hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff
  return s.slice(0, split ? prefix + 1 : prefix)
}

const UTF8_MAX = String.fromCodePoint(0x10ffff)
const ASCII_MAX = '\u007f'

/**
 * Spark's truncateMaxStringAgg: the prefix plus a tie-breaker that sorts after the cut character
 * (U+007F when that character is ASCII below it, else U+10FFFF), extending the prefix past
 * characters that are themselves U+10FFFF; undefined when no bound fits in twice the prefix.
 */
export function truncateMaxString(s: string, prefix = STRING_PREFIX_LENGTH): string | undefined {
  if (s.length <= prefix) return s
  const limit = 2 * prefix
  let len = truncateMinString(s, prefix).length
  while (len <= limit) {
    if (len >= s.length) return s
    if (len + 1 < s.length && s.slice(len, len + 2) === UTF8_MAX) { len += 2; continue }
    return s.slice(0, len) + (s.charCodeAt(len) < 0x7f ? ASCII_MAX : UTF8_MAX)
  }
  return undefined
}


/**
 * Timestamps in stats have millisecond precision (Spark's JSON form). The min is truncated down; the
 * max is rounded up, so it stays an upper bound for readers that do not widen it by 1 ms as Spark's
 * DataSkippingReader does.
 */
function formatTimestampBound(micros: bigint, isMax: boolean, ntz: boolean): string | undefined {
  let ms = floorDiv(micros, 1000n)
  if (isMax && ms * 1000n !== micros) ms += 1n
  // Years outside 0000–9999 have no `yyyy-MM-dd` form other engines parse: no bound is safer.
  if (ms < MIN_ISO_MS || ms > MAX_ISO_MS) return undefined
  const iso = new Date(Number(ms)).toISOString()
  return ntz ? iso.slice(0, -1) : iso
}

const MIN_ISO_DAY = -719_528 // 0000-01-01
const MAX_ISO_DAY = 2_932_896 // 9999-12-31
const MIN_ISO_MS = -62_167_219_200_000n // 0000-01-01T00:00:00Z
const MAX_ISO_MS = 253_402_300_799_999n // 9999-12-31T23:59:59.999Z

// ───────────────────────────── collection ─────────────────────────────

/** One leaf's running statistics. */
interface LeafStats { nulls: number; min?: DeltaValue; max?: DeltaValue; noBounds?: boolean }

function hasBounds(t: DataType): boolean {
  if (typeof t !== 'string') return false
  if (decimalParams(t)) return true
  return ['byte', 'short', 'integer', 'long', 'float', 'double', 'date', 'timestamp', 'timestamp_ntz', 'string'].includes(t)
}

const HIGH_UNITS = /[\ud800-\uffff]/

function collectLeaf(values: ColumnValues, type: DataType, bounds: boolean): LeafStats {
  const n = values.length
  let nulls = 0
  if (!bounds) {
    for (let i = 0; i < n; i++) if (values[i] === null || values[i] === undefined) nulls++
    return { nulls }
  }
  if (type === 'string') {
    // JS `<` orders UTF-16 code units, which is code point (UTF-8 byte) order unless two strings first
    // differ at a surrogate against a unit at U+E000 and above. Then the bound `<` picked holds such a
    // unit where it differs from the true one; so when neither bound has a unit ≥ U+D800 both are
    // exact, and otherwise an exact second pass decides.
    let min: string | undefined
    let max: string | undefined
    for (let i = 0; i < n; i++) {
      const v = values[i] as string | null
      if (v === null || v === undefined) { nulls++; continue }
      if (min === undefined) { min = max = v; continue }
      if (v < min) min = v
      else if (v > max!) max = v
    }
    if (min !== undefined && (HIGH_UNITS.test(min) || HIGH_UNITS.test(max!))) {
      min = max = undefined
      for (let i = 0; i < n; i++) {
        const v = values[i] as string | null
        if (v === null || v === undefined) continue
        if (min === undefined) { min = max = v; continue }
        if (v !== min && compareStrings(v, min) < 0) min = v
        else if (v !== max && compareStrings(v, max!) > 0) max = v
      }
    }
    return { nulls, min, max }
  }
  if (type === 'float' || type === 'double') {
    let min: number | undefined
    let max: number | undefined
    let noBounds = false
    for (let i = 0; i < n; i++) {
      const v = values[i] as number | null
      if (v === null || v === undefined) { nulls++; continue }
      // NaN sorts above +∞ in Spark, and ±∞ have no JSON form: such a column gets no bounds.
      if (!Number.isFinite(v)) { noBounds = true; continue }
      if (min === undefined || compareNumbers(v, min) < 0) min = v
      if (max === undefined || compareNumbers(v, max) > 0) max = v
    }
    return noBounds ? { nulls, noBounds } : { nulls, min, max }
  }
  if (values instanceof BigInt64Array) return { nulls: 0, ...int64Bounds(values) }
  // integers, long, decimal (unscaled bigint), date, timestamps: plain `<` on number or bigint
  let min: number | bigint | undefined
  let max: number | bigint | undefined
  for (let i = 0; i < n; i++) {
    const v = values[i] as number | bigint | null
    if (v === null || v === undefined) { nulls++; continue }
    if (min === undefined) { min = max = v; continue }
    if (v < min) min = v
    else if (v > max!) max = v
  }
  return { nulls, min, max }
}

/**
 * Min and max of a 64-bit column compared on its 32-bit halves (signed high, unsigned low): reading a
 * BigInt64Array element allocates a BigInt, so only the two winners are read as bigints.
 */
function int64Bounds(values: BigInt64Array): { min?: bigint; max?: bigint } {
  if (values.length === 0) return {}
  const [minI, maxI] = int64MinMaxAt(values, 0, values.length)
  return { min: values[minI], max: values[maxI] }
}

/** Indexes of the least and the greatest of `values[from..to)` (from < to), compared on 32-bit halves. */
export function int64MinMaxAt(values: BigInt64Array, from: number, to: number): [number, number] {
  const w = new Int32Array(values.buffer, values.byteOffset, 2 * values.length)
  let minI = from
  let maxI = from
  let minHi = w[2 * from + 1]
  let minLo = w[2 * from] >>> 0
  let maxHi = minHi
  let maxLo = minLo
  for (let i = from + 1; i < to; i++) {
    const hi = w[2 * i + 1]
    const lo = w[2 * i] >>> 0
    if (hi < minHi || (hi === minHi && lo < minLo)) { minHi = hi; minLo = lo; minI = i }
    else if (hi > maxHi || (hi === maxHi && lo > maxLo)) { maxHi = hi; maxLo = lo; maxI = i }
  }
  return [minI, maxI]
}

/** JSON text of a bound, or undefined when the value has none. */
function boundJson(v: DeltaValue, type: DataType, isMax: boolean): string | undefined {
  if (v === null || v === undefined) return undefined
  switch (type) {
    case 'string': {
      const s = isMax ? truncateMaxString(v as string) : truncateMinString(v as string)
      return s === undefined ? undefined : JSON.stringify(s)
    }
    case 'long': return (v as bigint).toString()
    case 'date': return (v as number) < MIN_ISO_DAY || (v as number) > MAX_ISO_DAY ? undefined : JSON.stringify(formatDate(v as number))
    case 'timestamp': case 'timestamp_ntz': {
      const text = formatTimestampBound(v as bigint, isMax, type === 'timestamp_ntz')
      return text === undefined ? undefined : JSON.stringify(text)
    }
  }
  const dec = decimalParams(type)
  if (dec) return formatDecimal(v as bigint, dec.scale)
  return JSON.stringify(v)
}

interface StatsNode { min: string[]; max: string[]; nulls: string[] }

/** Values of `field` for every row, given the parent column's values (structs: null parent → null). */
function childValues(parent: ColumnValues, name: string): DeltaValue[] {
  const out = new Array<DeltaValue>(parent.length)
  for (let i = 0; i < parent.length; i++) {
    const p = parent[i] as Record<string, DeltaValue> | null
    out[i] = p === null || p === undefined ? null : (p[name] ?? null)
  }
  return out
}

function collectFields(fields: StructField[], columns: (name: string) => ColumnValues | undefined, prefix: string, opts: StatsOptions, numRows: number): StatsNode {
  const node: StatsNode = { min: [], max: [], nulls: [] }
  const mode = opts.mode ?? 'none'
  for (const f of fields) {
    const path = prefix ? `${prefix}.${quoteName(f.name)}` : quoteName(f.name)
    const key = JSON.stringify(physicalName(f, mode))
    const values = columns(f.name)
    if (isStruct(f.type)) {
      const structValues = values
      const sub = collectFields(f.type.fields, (n) => (structValues === undefined ? undefined : childValues(structValues, n)), path, opts, numRows)
      if (sub.min.length) node.min.push(`${key}:{${sub.min.join(',')}}`)
      if (sub.max.length) node.max.push(`${key}:{${sub.max.join(',')}}`)
      if (sub.nulls.length) node.nulls.push(`${key}:{${sub.nulls.join(',')}}`)
      continue
    }
    if (!opts.selected.has(path)) continue
    // A column absent from the data (void, or missing from the input) is all null.
    if (values === undefined) { node.nulls.push(`${key}:${numRows}`); continue }
    const leaf = collectLeaf(values, f.type, hasBounds(f.type))
    node.nulls.push(`${key}:${leaf.nulls}`)
    if (leaf.noBounds) continue
    const lo = boundJson(leaf.min ?? null, f.type, false)
    const hi = boundJson(leaf.max ?? null, f.type, true)
    if (lo !== undefined) node.min.push(`${key}:${lo}`)
    if (hi !== undefined) node.max.push(`${key}:${hi}`)
  }
  return node
}

/**
 * The `add.stats` JSON of one data file. `columns` maps each data (non-partition) field's logical
 * name to its values; key order follows the schema, as Spark's to_json does, so output is stable.
 */
export function fileStatsJson(dataFields: StructField[], columns: Map<string, ColumnValues>, numRows: number, opts: StatsOptions): string {
  const node = collectFields(dataFields, (n) => columns.get(n), '', opts, numRows)
  const parts = [`"numRecords":${numRows}`]
  parts.push(`"minValues":{${node.min.join(',')}}`)
  parts.push(`"maxValues":{${node.max.join(',')}}`)
  parts.push(`"nullCount":{${node.nulls.join(',')}}`)
  if (opts.tightBounds) parts.push('"tightBounds":true')
  return `{${parts.join(',')}}`
}
