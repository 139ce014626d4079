// Casting loosely typed values (JSON lines, CSV-ish strings, Parquet from other writers) to the
// types of an explicit Delta schema, as a reader with a declared schema does: no inference, so a file
// with different-looking values cannot drift the table's schema. Returns plain values the write path
// accepts (bigint for long, decimal as text, ISO text or Date for date/timestamp).
import { SchemaMismatchError } from '../errors.js'
import { decimalParams, type DataType, type StructType } from '../schema/types.js'

/** A value that cannot be cast: the caller decides (fail, or null it and rescue the original). */
export class CastFailure {
  constructor(readonly value: unknown, readonly type: DataType) {}
}

const INT_BOUNDS: Record<string, [number, number]> = {
  byte: [-128, 127], short: [-32768, 32767], integer: [-2147483648, 2147483647],
}

/** Cast one value to a primitive Delta type; null/undefined/'' stay null; CastFailure when impossible. */
export function castValue(value: unknown, type: DataType): unknown {
  if (value === null || value === undefined) return null
  if (typeof type !== 'string') return value // nested types pass through; the write path checks them
  if (typeof value === 'string' && value.trim() === '' && type !== 'string') return null
  const fail = new CastFailure(value, type)
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value
      if (value instanceof Date) return value.toISOString()
      if (typeof value === 'object') return JSON.stringify(value, (_k, v) => typeof v === 'bigint' ? v.toString() : v)
      return String(value)
    case 'boolean':
      if (typeof value === 'boolean') return value
      if (typeof value === 'string') {
        const s = value.trim().toLowerCase()
        if (['true', 't', '1', 'yes', 'y', 's', 'sim'].includes(s)) return true
        if (['false', 'f', '0', 'no', 'n', 'nao', 'não'].includes(s)) return false
      }
      if (typeof value === 'number') return value !== 0
      return fail
    case 'byte': case 'short': case 'integer': {
      const n = toNumber(value)
      if (n === undefined || !Number.isInteger(n)) return fail
      const [lo, hi] = INT_BOUNDS[type]
      return n >= lo && n <= hi ? n : fail
    }
    case 'long': {
      if (typeof value === 'bigint') return value
      if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : fail
      if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return BigInt(value.trim())
      return fail
    }
    case 'float': case 'double': {
      const n = toNumber(value)
      return n === undefined ? fail : n
    }
    case 'date': case 'timestamp': case 'timestamp_ntz': {
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? fail : value
      if (typeof value === 'string') {
        const s = value.trim()
        // dd/mm/yyyy, as Brazilian extracts often carry
        const br = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(s)
        if (br) return `${br[3]}-${br[2]}-${br[1]}`
        if (type === 'date' ? /^\d{4}-\d{2}-\d{2}/.test(s) : !Number.isNaN(Date.parse(s.replace(' ', 'T')))) return s
        return fail
      }
      if (typeof value === 'number' || typeof value === 'bigint') {
        // epoch milliseconds
        const d = new Date(Number(value))
        return Number.isNaN(d.getTime()) ? fail : d
      }
      return fail
    }
    default: {
      const dec = decimalParams(type)
      if (dec) {
        let s: string
        if (typeof value === 'number' && Number.isFinite(value)) s = value.toFixed(dec.scale)
        else if (typeof value === 'bigint') s = value.toString()
        else if (typeof value === 'string') s = value.trim().replace(',', '.')
        else return fail
        if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s)) return fail
        return roundDecimalText(s, dec.scale)
      }
      return value
    }
  }
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isNaN(value) ? undefined : value
  if (typeof value === 'bigint') return Number(value)
  if (typeof value === 'string') {
    const s = value.trim().replace(',', '.')
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined
    return Number(s)
  }
  if (typeof value === 'boolean') return value ? 1 : 0
  return undefined
}

/** Decimal text rounded half-up to `scale` digits (exact: on digits, not floats). */
function roundDecimalText(s: string, scale: number): string {
  const neg = s.startsWith('-')
  const body = s.replace(/^[+-]/, '')
  const [int = '0', frac = ''] = body.split('.')
  const digits = BigInt((int || '0') + frac.padEnd(scale + 1, '0').slice(0, scale + 1))
  let unscaled = digits / 10n
  if (digits % 10n >= 5n) unscaled += 1n
  const txt = unscaled.toString().padStart(scale + 1, '0')
  const out = scale === 0 ? txt : `${txt.slice(0, -scale)}.${txt.slice(-scale)}`
  return neg && unscaled !== 0n ? `-${out}` : out
}

export interface CastRowsOptions {
  /** 'failFast' (default): a value that cannot be cast throws. 'permissive': it becomes null and the original goes to `rescuedDataColumn`. */
  mode?: 'failFast' | 'permissive'
  /** Column receiving, as JSON, the fields that could not be cast or are not in the schema. */
  rescuedDataColumn?: string
  /** Where the rows came from, for messages (a file name). */
  source?: string
}

/**
 * Cast rows to `schema` (top-level columns; names matched case-insensitively). Columns not in the
 * schema are dropped, or rescued when `rescuedDataColumn` is given; missing columns become null.
 */
export function castRows(rows: ReadonlyArray<Record<string, unknown>>, schema: StructType, options: CastRowsOptions = {}): Record<string, unknown>[] {
  const rescue = options.rescuedDataColumn
  const fields = schema.fields.filter((f) => f.name !== rescue)
  const byLower = new Map(fields.map((f) => [f.name.toLowerCase(), f]))
  return rows.map((row, i) => {
    const out: Record<string, unknown> = {}
    const rescued: Record<string, unknown> = {}
    for (const f of fields) out[f.name] = null
    for (const [k, v] of Object.entries(row)) {
      const f = byLower.get(k.toLowerCase())
      if (!f) { if (v !== undefined && v !== null) rescued[k] = v; continue }
      const c = castValue(v, f.type)
      if (c instanceof CastFailure) {
        if (options.mode !== 'permissive') {
          throw new SchemaMismatchError(`cannot cast ${JSON.stringify(String(v))} to ${typeof f.type === 'string' ? f.type : f.type.type} in column ${f.name}, row ${i}${options.source ? ` of ${options.source}` : ''}`, { column: f.name, file: options.source })
        }
        rescued[k] = v
        out[f.name] = null
      } else out[f.name] = c
    }
    if (rescue) out[rescue] = Object.keys(rescued).length ? JSON.stringify(rescued, (_k, v) => typeof v === 'bigint' ? v.toString() : v) : null
    return out
  })
}
