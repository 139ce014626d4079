// Per-file statistics (PROTOCOL.md "Per-file Statistics"): the `add.stats` JSON parsed into Delta
// values keyed by LOGICAL column path, typed by the schema, physical names mapped back under
// column mapping. Stats are hints: a value that does not fit its column is dropped, never fatal.
import { decimalParams, isStruct, physicalName, type ColumnMappingMode, type DataType, type StructType } from './types.js'
import type { DeltaValue } from './values.js'
import { quoteName } from './column-path.js'
import { fitsPrecision, parseDecimalParts, pow10 } from './decimal.js'
import { parseDate, parseTimestamp } from './temporal.js'

export interface FileStats {
  /** Physical rows in the data file (deletion vectors not subtracted). */
  numRecords?: number
  /** Lower bounds by logical path key (`a.b`, see column-path.ts). Strings may be truncated prefixes; timestamps are ms-truncated. */
  minValues: Record<string, DeltaValue>
  /** Upper bounds by logical dotted path. Strings may be truncated; timestamps are ms-truncated (see file-skipping). */
  maxValues: Record<string, DeltaValue>
  /** Null counts by logical dotted path (leaf columns, and arrays/maps as a whole). */
  nullCount: Record<string, number>
  /** False when deletion vectors made the bounds wide; absent means tight. */
  tightBounds?: boolean
}

/** A JSON number kept as its source text (longs and decimals beyond 2^53 must not round). */
class RawNumber {
  constructor(readonly text: string) {}
}
type Json = null | boolean | number | string | RawNumber | Json[] | { [k: string]: Json }

/**
 * Parse `add.stats`. Returns undefined for absent, empty or unparseable stats (the file is then
 * simply never skipped by stats).
 */
export function parseStats(json: string | null | undefined, schema: StructType, mode: ColumnMappingMode = 'none'): FileStats | undefined {
  if (json === null || json === undefined || json === '') return undefined
  let obj: Json
  try {
    // JSON.parse rounds numbers beyond 2^53, and rejects Jackson's NaN/Infinity: use the exact parser then.
    obj = /\d{16,}|NaN|Infinity/.test(json) ? parseJsonExact(json) : (JSON.parse(json) as Json)
  } catch {
    return undefined
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || obj instanceof RawNumber) return undefined
  const out: FileStats = {
    minValues: Object.create(null) as Record<string, DeltaValue>,
    maxValues: Object.create(null) as Record<string, DeltaValue>,
    nullCount: Object.create(null) as Record<string, number>,
  }
  const n = toNumber(obj.numRecords)
  if (n !== undefined && Number.isInteger(n) && n >= 0) out.numRecords = n
  if (typeof obj.tightBounds === 'boolean') out.tightBounds = obj.tightBounds
  walk(obj.minValues, schema, mode, '', (path, type, v) => {
    const d = toDelta(v, type, 'min')
    if (d !== undefined) out.minValues[path] = d
  })
  walk(obj.maxValues, schema, mode, '', (path, type, v) => {
    const d = toDelta(v, type, 'max')
    if (d !== undefined) out.maxValues[path] = d
  })
  walk(obj.nullCount, schema, mode, '', (path, _type, v) => {
    const c = toNumber(v)
    if (c !== undefined && Number.isInteger(c) && c >= 0) out.nullCount[path] = c
  }, true)
  return out
}

/** Visit the leaves of a stats object that mirrors the schema by physical names. */
function walk(node: Json | undefined, schema: StructType, mode: ColumnMappingMode, prefix: string,
  visit: (path: string, type: DataType, v: Json) => void, countsForNested = false): void {
  if (node === null || node === undefined || typeof node !== 'object' || Array.isArray(node) || node instanceof RawNumber) return
  for (const f of schema.fields) {
    const phys = physicalName(f, mode)
    const v = Object.prototype.hasOwnProperty.call(node, phys) ? node[phys] : undefined
    if (v === undefined || v === null) continue
    const path = prefix ? `${prefix}.${quoteName(f.name)}` : quoteName(f.name)
    if (isStruct(f.type)) walk(v, f.type, mode, path, visit, countsForNested)
    else if (typeof f.type === 'string' || countsForNested) visit(path, f.type, v)
  }
}

function toNumber(v: Json | undefined): number | undefined {
  if (typeof v === 'number') return v
  if (v instanceof RawNumber) return Number(v.text)
  return undefined
}

function numberText(v: Json): string | undefined {
  if (v instanceof RawNumber) return v.text
  if (typeof v === 'number') return String(v)
  if (typeof v === 'string' && /^[+-]?[\d.]+(?:[eE][+-]?\d+)?$/.test(v)) return v
  return undefined
}

const INT_BOUNDS: Record<string, [bigint, bigint]> = {
  byte: [-128n, 127n], short: [-32768n, 32767n], integer: [-2147483648n, 2147483647n], long: [-(2n ** 63n), 2n ** 63n - 1n],
}

/** A stats JSON value as a Delta value of `type`; `side` picks the safe rounding direction for inexact text. */
function toDelta(v: Json, type: DataType, side: 'min' | 'max'): DeltaValue | undefined {
  if (typeof type !== 'string') return undefined
  switch (type) {
    case 'string': return typeof v === 'string' ? v : undefined
    case 'boolean': return typeof v === 'boolean' ? v : undefined
    case 'float': case 'double': {
      let n: number | undefined
      if (typeof v === 'number') n = v
      else if (v instanceof RawNumber || typeof v === 'string') {
        const t = v instanceof RawNumber ? v.text : v
        n = t === 'NaN' ? NaN : t === 'Infinity' ? Infinity : t === '-Infinity' ? -Infinity : Number(t)
        if (Number.isNaN(n) && t !== 'NaN') return undefined
      }
      if (n === undefined) return undefined
      if (type === 'float') {
        // widen to the float32 neighbour on the safe side when the text was not a float32 exactly
        const f = Math.fround(n)
        if (f === n || Number.isNaN(n)) return f
        return side === 'min' ? (f < n ? f : nextFloat32(f, -1)) : f > n ? f : nextFloat32(f, 1)
      }
      return n
    }
    case 'byte': case 'short': case 'integer': case 'long': {
      const t = numberText(v)
      if (t === undefined) return undefined
      const p = parseDecimalParts(t)
      if (!p) return undefined
      let i: bigint
      if (p.scale <= 0) i = p.unscaled * pow10(-p.scale)
      else {
        const div = pow10(p.scale)
        i = floorBig(p.unscaled, div)
        if (side === 'max' && i * div !== p.unscaled) i += 1n
      }
      const [lo, hi] = INT_BOUNDS[type]
      if (i < lo || i > hi) return undefined
      return type === 'long' ? i : Number(i)
    }
    case 'date': return typeof v === 'string' ? parseDate(v) ?? dateOfTimestamp(v) : undefined
    case 'timestamp': case 'timestamp_ntz': {
      if (typeof v !== 'string') return undefined
      const ts = parseTimestamp(v)
      return ts?.micros
    }
  }
  const dec = decimalParams(type)
  if (dec) {
    const t = numberText(v)
    const p = t === undefined ? undefined : parseDecimalParts(t)
    if (!p) return undefined
    let u: bigint
    if (p.scale <= dec.scale) u = p.unscaled * pow10(dec.scale - p.scale)
    else {
      const div = pow10(p.scale - dec.scale)
      u = floorBig(p.unscaled, div)
      if (side === 'max' && u * div !== p.unscaled) u += 1n
    }
    return fitsPrecision(u, dec.precision) ? u : undefined
  }
  return undefined
}

function dateOfTimestamp(s: string): number | undefined {
  const ts = parseTimestamp(s)
  return ts ? Number(floorBig(ts.micros, 86_400_000_000n)) : undefined
}

function floorBig(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n ? q - 1n : q
}

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)
/** The adjacent float32 value in direction `dir`. */
function nextFloat32(f: number, dir: 1 | -1): number {
  if (!Number.isFinite(f)) return f
  if (f === 0) return dir * 1.401298464324817e-45
  f32[0] = f
  u32[0] += (f > 0) === (dir > 0) ? 1 : -1
  return f32[0]
}

/** A small JSON parser that keeps numbers as text and accepts NaN/Infinity tokens (Jackson output). */
function parseJsonExact(s: string): Json {
  let i = 0
  const ws = (): void => { while (i < s.length && ' \t\n\r'.includes(s[i])) i++ }
  const fail = (): never => { throw new SyntaxError(`invalid JSON at ${i}`) }
  const value = (): Json => {
    ws()
    const c = s[i]
    if (c === '{') {
      i++
      const o: { [k: string]: Json } = Object.create(null)
      ws()
      if (s[i] === '}') { i++; return o }
      for (;;) {
        ws()
        if (s[i] !== '"') fail()
        const k = str()
        ws()
        if (s[i++] !== ':') fail()
        o[k] = value()
        ws()
        if (s[i] === ',') { i++; continue }
        if (s[i++] === '}') return o
        fail()
      }
    }
    if (c === '[') {
      i++
      const a: Json[] = []
      ws()
      if (s[i] === ']') { i++; return a }
      for (;;) {
        a.push(value())
        ws()
        if (s[i] === ',') { i++; continue }
        if (s[i++] === ']') return a
        fail()
      }
    }
    if (c === '"') return str()
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (s.startsWith(word, i)) { i += word.length; return v }
    }
    const m = /^-?(?:NaN|Infinity|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(s.slice(i, i + 400))
    if (!m) return fail()
    i += m[0].length
    return new RawNumber(m[0] === '-NaN' ? 'NaN' : m[0])
  }
  const str = (): string => {
    const start = i
    i++
    while (i < s.length && s[i] !== '"') i += s[i] === '\\' ? 2 : 1
    if (i >= s.length) fail()
    i++
    return JSON.parse(s.slice(start, i)) as string
  }
  const v = value()
  ws()
  if (i !== s.length) fail()
  return v
}
