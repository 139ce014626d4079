// Partition values: the strings in `add.partitionValues` (PROTOCOL.md "Partition Value
// Serialization") to and from Delta values, and the Hive-style `col=value` directory names.
import { CorruptLogError, InvalidArgumentError } from '../errors.js'
import { decimalParams, findField, physicalName, type ColumnMappingMode, type PrimitiveType, type StructType } from './types.js'
import { fitsPrecision, formatDecimal, parseDecimal } from './decimal.js'
import { floorDiv, formatDate, formatTimestamp, parseDate, parseTimestamp } from './temporal.js'
import type { DeltaValue } from './values.js'

/** The directory value Hive and Spark use for a null (or empty) partition value; only in paths. */
export const HIVE_DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__'

export interface PartitionValueContext {
  column?: string
  table?: string
  version?: number
  file?: string
}

const INT_RE = /^\s*[+-]?\d+\s*$/
const INT_BOUNDS: Record<string, [bigint, bigint]> = {
  byte: [-128n, 127n],
  short: [-32768n, 32767n],
  integer: [-2147483648n, 2147483647n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
}
const encoder = new TextEncoder()
// Binary partition values are the bytes' UTF-8 text, as Spark writes them (the corpus's
// `dat__multi_partitioned` holds `hello` and an emoji); bytes that are not UTF-8 cannot round-trip.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Parse one partition value. Null, undefined and the empty string are null for every type (the
 * protocol: "An empty string for any type translates to a null partition value"). Timestamps accept
 * Spark's zone-less `yyyy-MM-dd HH:mm:ss[.SSSSSS]` (read as UTC) and ISO-8601 with `Z` or an offset.
 */
export function parsePartitionValue(raw: string | null | undefined, type: PrimitiveType, ctx: PartitionValueContext = {}): DeltaValue {
  if (raw === null || raw === undefined || raw === '') return null
  const bad = (why = ''): CorruptLogError =>
    new CorruptLogError(`invalid partition value ${JSON.stringify(raw)} for ${ctx.column ? `column ${ctx.column} ` : ''}of type ${type}${why ? `: ${why}` : ''}`, {
      column: ctx.column, table: ctx.table, version: ctx.version, file: ctx.file,
    })
  switch (type) {
    case 'string': return raw
    case 'byte': case 'short': case 'integer': case 'long': {
      if (!INT_RE.test(raw)) throw bad()
      const v = BigInt(raw.trim())
      const [lo, hi] = INT_BOUNDS[type]
      if (v < lo || v > hi) throw bad('out of range')
      return type === 'long' ? v : Number(v)
    }
    case 'float': case 'double': {
      const t = raw.trim()
      const n = t === 'NaN' ? NaN : t === 'Infinity' || t === '+Infinity' ? Infinity : t === '-Infinity' ? -Infinity : Number(t)
      if (Number.isNaN(n) && t !== 'NaN') throw bad()
      return type === 'float' ? Math.fround(n) : n
    }
    case 'boolean': {
      const t = raw.trim().toLowerCase()
      if (t === 'true') return true
      if (t === 'false') return false
      throw bad()
    }
    case 'date': {
      const d = parseDate(raw)
      if (d !== undefined) return d
      // Some writers put a timestamp-shaped text in a date partition; keep its day.
      const ts = parseTimestamp(raw)
      if (ts) return Number(floorDiv(ts.micros, 86_400_000_000n))
      throw bad()
    }
    case 'timestamp': case 'timestamp_ntz': {
      const ts = parseTimestamp(raw)
      if (!ts) throw bad()
      return ts.micros
    }
    case 'binary': return encoder.encode(raw)
    default: {
      const dec = decimalParams(type)
      if (dec) {
        // Spark writes BigDecimal text, which may carry more or fewer fraction digits than the scale.
        const v = parseDecimal(raw, dec.scale)
        if (v === undefined) throw bad(`not exact at scale ${dec.scale}`)
        if (!fitsPrecision(v, dec.precision)) throw bad(`more than ${dec.precision} digits`)
        return v
      }
      throw bad('type cannot be a partition column')
    }
  }
}

/** Serialize a Delta value for `add.partitionValues`; null stays null. Timestamps use ISO-8601 UTC. */
export function serializePartitionValue(value: DeltaValue, type: PrimitiveType): string | null {
  if (value === null) return null
  switch (type) {
    case 'string': return value as string
    case 'byte': case 'short': case 'integer': case 'long': return String(value)
    case 'float': case 'double': return javaFloatingString(value as number, type)
    case 'boolean': return value ? 'true' : 'false'
    case 'date': return formatDate(value as number)
    // PROTOCOL.md recommends UTC ISO-8601 for timestamps; ntz has no zone, so Spark's wall-clock form.
    case 'timestamp': return formatTimestamp(value as bigint, 'iso')
    case 'timestamp_ntz': return formatTimestamp(value as bigint, 'spark')
    case 'binary': {
      try {
        return decoder.decode(value as Uint8Array)
      } catch {
        throw new InvalidArgumentError(`binary partition value ${hexOf(value as Uint8Array)} is not UTF-8 text; PROTOCOL.md "Partition Value Serialization" stores binary partition values as text, which could not give these bytes back`)
      }
    }
    default: {
      const dec = decimalParams(type)
      if (dec) return formatDecimal(value as bigint, dec.scale)
      throw new InvalidArgumentError(`type ${type} cannot be a partition column`)
    }
  }
}

function hexOf(b: Uint8Array): string {
  let s = '0x'
  for (const x of b.subarray(0, 32)) s += x.toString(16).padStart(2, '0')
  return b.length > 32 ? `${s}…` : s
}

/**
 * Java's Float/Double.toString (what Spark writes): `1.0`, `0.001`, `1.0E7`, `1.234E-5`, `NaN`,
 * `Infinity`; shortest digits that round-trip at the type's precision.
 */
export function javaFloatingString(n: number, type: 'float' | 'double'): string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return 'Infinity'
  if (n === -Infinity) return '-Infinity'
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0'
  let exp: string
  if (type === 'double') exp = n.toExponential()
  else {
    exp = n.toExponential(8)
    for (let p = 0; p < 9; p++) {
      const candidate = n.toExponential(p)
      if (Math.fround(Number(candidate)) === n) { exp = candidate; break }
    }
  }
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(exp)!
  const sign = m[1]
  const digits = m[2] + (m[3] ?? '')
  const e = Number(m[4])
  if (e >= -3 && e < 7) {
    if (e >= 0) {
      const int = digits.slice(0, e + 1).padEnd(e + 1, '0')
      const frac = digits.slice(e + 1) || '0'
      return `${sign}${int}.${frac}`
    }
    return `${sign}0.${'0'.repeat(-e - 1)}${digits}`
  }
  return `${sign}${digits[0]}.${digits.slice(1) || '0'}E${e}`
}

// Spark's ExternalCatalogUtils.charToEscape: control characters, DEL and "#%'*/:=?\{[]^; and NUL,
// which no file system takes in a name.
const MUST_ESCAPE = new Set<number>([
  ...Array.from({ length: 0x20 }, (_, i) => i),
  0x22, 0x23, 0x25, 0x27, 0x2a, 0x2f, 0x3a, 0x3d, 0x3f, 0x5c, 0x7f, 0x7b, 0x5b, 0x5d, 0x5e,
])

/** Escape a partition column name or value for a Hive-style directory name, as Spark does. */
export function escapePartitionPathSegment(s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    out += MUST_ESCAPE.has(c) ? `%${c.toString(16).toUpperCase().padStart(2, '0')}` : s[i]
  }
  return out
}

/** Undo Hive escaping: `%XX` (any hex case) becomes its character; other text is kept as is. */
export function unescapePartitionPathSegment(s: string): string {
  if (!s.includes('%')) return s
  return s.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
}

/** `col=value` for one partition column; null and empty values use the Hive default partition. */
export function partitionPathSegment(column: string, serialized: string | null): string {
  const v = serialized === null || serialized === '' ? HIVE_DEFAULT_PARTITION : escapePartitionPathSegment(serialized)
  return `${escapePartitionPathSegment(column)}=${v}`
}

/** The Hive-style directory (`a=1/b=x`) for a file's serialized partition values, in column order. */
export function partitionDirectory(partitionColumns: string[], values: Record<string, string | null>): string {
  return partitionColumns.map((c) => partitionPathSegment(c, values[c] ?? null)).join('/')
}

/**
 * Parse all partition values of an add/remove/cdc action into Delta values keyed by LOGICAL column
 * name. Under column mapping the action's keys are physical names (PROTOCOL.md "Column Mapping");
 * a logical key is accepted too, for writers that got it wrong.
 */
export function parsePartitionValues(
  raw: Record<string, string | null> | null | undefined,
  schema: StructType,
  partitionColumns: string[],
  mode: ColumnMappingMode,
  ctx: PartitionValueContext = {},
): Record<string, DeltaValue> {
  const out: Record<string, DeltaValue> = Object.create(null)
  for (const name of partitionColumns) {
    const field = findField(schema, name)
    if (!field || typeof field.type !== 'string') {
      throw new CorruptLogError(`partition column ${name} is not a primitive column of the schema`, { ...ctx, column: name })
    }
    const phys = physicalName(field, mode)
    let text: string | null | undefined
    if (raw) text = phys in raw ? raw[phys] : field.name in raw ? raw[field.name] : raw[name]
    out[field.name] = parsePartitionValue(text, field.type, { ...ctx, column: field.name })
  }
  return out
}
