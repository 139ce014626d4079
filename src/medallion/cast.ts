// Casting loosely typed values (JSON lines, CSV-ish text, Parquet from other writers) to the types of
// an explicit Delta schema, as a reader with a declared schema does: no inference, so a file with
// different-looking values cannot drift the table's schema. Nothing is lost without a trace: a value
// that cannot be cast, and a column the schema lacks, go to the rescued-data column as JSON (Databricks
// Auto Loader's `_rescued_data`), or stop the cast with a CastError naming column, value, row and
// file. Returns plain values the write path accepts (bigint for long, decimal as text, ISO text or
// Date for date/timestamp).
import { InvalidArgumentError, SchemaMismatchError, type DataType, type StructType } from '../index.js'
import { checkOptions } from '../options.js'
import { datePrefix, LOCALE_OPTIONS, numberText, textRules, timestampText, type LocaleOptions, type TextRules } from './locale.js'

/**
 * A value that cannot be cast, and why: the caller rescues it or throws.
 * @example
 * const v = castValue('12,5', 'integer')
 * if (v instanceof CastFailure) console.log(v.reason) // 'not an integer'
 */
export class CastFailure {
  constructor(readonly value: unknown, readonly type: string, readonly reason: string) {}
}

/** A value the declared schema cannot hold, or a column it lacks, with `onError: 'fail'`. */
export class CastError extends SchemaMismatchError {
  readonly value: unknown
  readonly row: number
  constructor(message: string, ctx: { column: string; value: unknown; row: number; file?: string }) {
    super(message, { column: ctx.column, file: ctx.file })
    this.value = ctx.value
    this.row = ctx.row
  }
}

const INT_BOUNDS: Record<string, [bigint, bigint]> = {
  byte: [-128n, 127n], short: [-32768n, 32767n], integer: [-2147483648n, 2147483647n], long: [-(2n ** 63n), 2n ** 63n - 1n],
}

const json = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))

/** '1e-7' → '0.0000001', '1.5e+21' → '1500000000000000000000' (number text without an exponent). */
function plain(s: string): string {
  const m = /^([+-]?)(\d+)(?:\.(\d*))?[eE]([+-]?\d+)$/.exec(s)
  if (!m) return s
  const digits = m[2] + (m[3] ?? '')
  const point = m[2].length + Number(m[4])
  const body = point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? digits + '0'.repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`
  return m[1] === '-' ? `-${body}` : body
}

/** Plain decimal text of a number, bigint or text under the rules, or undefined. */
function decimalText(value: unknown, rules: TextRules): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? plain(String(value)) : undefined
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'string') return numberText(value, rules)
  return undefined
}

function castInteger(value: unknown, type: string, rules: TextRules): unknown {
  const text = decimalText(value, rules)
  if (text === undefined || !/^[+-]?\d+$/.test(text)) return new CastFailure(value, type, 'not an integer')
  const n = BigInt(text)
  const [lo, hi] = INT_BOUNDS[type]
  if (n < lo || n > hi) return new CastFailure(value, type, `out of the ${type} range`)
  return type === 'long' ? n : Number(n)
}

function castFloating(value: unknown, type: string, rules: TextRules): unknown {
  let n: number | undefined
  if (typeof value === 'number') return value
  if (typeof value === 'bigint') n = Number(value) // a double column holds approximate values by declaration
  else if (typeof value === 'string') {
    const s = value.trim()
    if (s === 'NaN' || s === 'Infinity' || s === '+Infinity' || s === '-Infinity') return Number(s)
    // exponents only in ISO text (a locale's text has none)
    if (!rules.decimalComma && /^[+-]?(\d+(\.\d*)?|\.\d+)[eE][+-]?\d+$/.test(s)) n = Number(s)
    else {
      const text = numberText(s, rules)
      if (text !== undefined) n = Number(text)
    }
  }
  if (n === undefined) return new CastFailure(value, type, 'not a number')
  return Number.isFinite(type === 'float' ? Math.fround(n) : n) ? n : new CastFailure(value, type, `out of the ${type} range`)
}

/** Exact: digits beyond the scale must be zeros, the integer part must fit the precision. */
function castDecimal(value: unknown, type: string, precision: number, scale: number, rules: TextRules): unknown {
  const text = decimalText(value, rules)
  if (text === undefined) return new CastFailure(value, type, 'not a decimal number')
  const m = /^([+-]?)0*(\d*?)(?:\.(\d*))?$/.exec(text.startsWith('.') || text.startsWith('-.') || text.startsWith('+.') ? text.replace('.', '0.') : text)
  if (!m) return new CastFailure(value, type, 'not a decimal number')
  const int = m[2]
  const frac = (m[3] ?? '').replace(/0+$/, '')
  if (frac.length > scale) return new CastFailure(value, type, `more than ${scale} decimal places`)
  if (int.length > precision - scale) return new CastFailure(value, type, `more than ${precision - scale} integer digits`)
  const out = `${int || '0'}${scale ? `.${frac.padEnd(scale, '0')}` : ''}`
  return m[1] === '-' && /[1-9]/.test(out) ? `-${out}` : out
}

/** Cast one value to a primitive Delta type under `rules`; null/undefined (and blank text for non-string types) stay null. */
function castWith(value: unknown, type: DataType, rules: TextRules): unknown {
  if (value === null || value === undefined) return null
  if (typeof type !== 'string') return value // nested types pass through; the write path checks them
  if (typeof value === 'string' && value.trim() === '' && type !== 'string') return null
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value
      if (value instanceof Date) return value.toISOString()
      if (value instanceof Uint8Array) {
        try { return new TextDecoder('utf-8', { fatal: true }).decode(value) } catch { return new CastFailure(value, type, 'bytes that are not UTF-8') }
      }
      return typeof value === 'object' ? json(value) : String(value)
    case 'boolean':
      if (typeof value === 'boolean') return value
      if (typeof value === 'string') {
        const s = value.trim().toLowerCase()
        if (rules.trueWords.has(s)) return true
        if (rules.falseWords.has(s)) return false
      }
      return new CastFailure(value, type, `expected ${[...rules.trueWords, ...rules.falseWords].join('/')}`)
    case 'byte': case 'short': case 'integer': case 'long':
      return castInteger(value, type, rules)
    case 'float': case 'double':
      return castFloating(value, type, rules)
    case 'date': {
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? new CastFailure(value, type, 'an invalid Date') : value
      const d = typeof value === 'string' ? datePrefix(value.trim(), rules) : undefined
      return d && d.rest === '' ? d.iso : new CastFailure(value, type, `expected a date as ${rules.dateFormat}`)
    }
    case 'timestamp': case 'timestamp_ntz': {
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? new CastFailure(value, type, 'an invalid Date') : value
      if (typeof value === 'number' || typeof value === 'bigint') {
        // epoch milliseconds, as the write path reads numbers
        const d = new Date(Number(value))
        return Number.isNaN(d.getTime()) ? new CastFailure(value, type, 'out of range') : d
      }
      const t = typeof value === 'string' ? timestampText(value, rules) : undefined
      return t ?? new CastFailure(value, type, `expected a timestamp as ${rules.dateFormat}[ HH:mm[:ss[.f]]][zone]`)
    }
    default: {
      const dec = /^decimal\((\d+),\s*(\d+)\)$/.exec(type)
      return dec ? castDecimal(value, type, Number(dec[1]), Number(dec[2]), rules) : value // binary, variant…: the write path checks
    }
  }
}

/**
 * Cast one value to a primitive Delta type (text read by `options`' rules: ISO by default); CastFailure when impossible.
 * @example
 * castValue('1.234,56', 'decimal(10,2)', { locale: 'pt-BR' }) // '1234.56'
 */
export function castValue(value: unknown, type: DataType, options: LocaleOptions = {}): unknown {
  checkOptions('castValue', options, LOCALE_OPTIONS)
  return castWith(value, type, textRules(options))
}

/** How raw values are cast to a declared schema: rescue or fail, and text rules. */
export interface CastOptions extends LocaleOptions {
  /**
   * 'rescue' (default): a value that cannot be cast becomes null and its original goes to the
   * rescued-data column, as does every column the schema lacks. 'fail': either is a CastError.
   */
  onError?: 'rescue' | 'fail'
  /** The rescued-data column (default `_rescued_data`): a JSON object of what was rescued, null when nothing was. */
  rescuedDataColumn?: string
}

export const CAST_OPTIONS = ['onError', 'rescuedDataColumn', ...LOCALE_OPTIONS] as const

/** Options of `castRows`. */
export interface CastRowsOptions extends CastOptions {
  /** Where the rows came from (a file name): in messages and, as `_file_path`, in the rescued data. */
  source?: string
}

/** The rescued-data column of `options`, or undefined with `onError: 'fail'`; validates the options. */
export function rescueColumn(call: string, options: CastOptions, allowed: readonly string[] = CAST_OPTIONS): string | undefined {
  checkOptions(call, options, allowed)
  const { onError = 'rescue' } = options
  if (onError !== 'rescue' && onError !== 'fail') throw new InvalidArgumentError(`${call}: onError must be 'rescue' or 'fail', got ${json(onError)}`)
  textRules(options) // a bad locale or dateFormat is refused before any row is read
  return onError === 'rescue' ? options.rescuedDataColumn ?? '_rescued_data' : undefined
}

/**
 * Cast rows to `schema` (top-level columns; names matched exactly, else case-insensitively; a second
 * spelling of a column already set is rescued). Missing columns become null. With rescue, every row
 * gets the rescued-data column (also when the schema does not list it).
 * @example
 * const typed = castRows(await readRawFile('./raw/orders/2024-01-01.jsonl'), schema, { source: '2024-01-01.jsonl' })
 */
export function castRows(rows: ReadonlyArray<Record<string, unknown>>, schema: StructType, options: CastRowsOptions = {}): Record<string, unknown>[] {
  const rescue = rescueColumn('castRows', options, [...CAST_OPTIONS, 'source'])
  const rules = textRules(options)
  const fields = schema.fields.filter((f) => f.name !== rescue)
  const exact = new Map(fields.map((f) => [f.name, f]))
  const byLower = new Map(fields.map((f) => [f.name.toLowerCase(), f]))
  const where = (i: number): string => `row ${i}${options.source ? ` of ${options.source}` : ''}`
  return rows.map((row, i) => {
    const out: Record<string, unknown> = {}
    let rescued: Record<string, unknown> | undefined
    const keep = (k: string, v: unknown): void => { (rescued ??= {})[k] = v }
    for (const f of fields) out[f.name] = null
    const set = new Set<string>()
    // earlier rescued data first, then exact names, so `id` wins over `ID` whatever the key order
    const rank = (k: string): number => (k === rescue ? 0 : exact.has(k) ? 1 : 2)
    const keys = Object.keys(row).sort((a, b) => rank(a) - rank(b))
    for (const k of keys) {
      const v = row[k]
      if (rescue !== undefined && k === rescue) {
        // rows cast before: their rescued data is kept
        if (v === null || v === undefined) continue
        let prior: unknown
        try { prior = typeof v === 'string' ? JSON.parse(v) : undefined } catch { /* not ours */ }
        if (prior && typeof prior === 'object' && !Array.isArray(prior)) Object.assign((rescued ??= {}), prior)
        else keep(k, v)
        continue
      }
      const f = exact.get(k) ?? byLower.get(k.toLowerCase())
      if (!f || set.has(f.name)) {
        if (v === null || v === undefined) continue // nothing to lose
        if (rescue === undefined) {
          throw new CastError(`column ${k} (value ${json(v)}) at ${where(i)} is not in the declared schema (${fields.map((x) => x.name).join(', ')})`, { column: k, value: v, row: i, file: options.source })
        }
        keep(k, v)
        continue
      }
      set.add(f.name)
      const c = castWith(v, f.type, rules)
      if (!(c instanceof CastFailure)) { out[f.name] = c; continue }
      if (rescue === undefined) {
        throw new CastError(`cannot cast ${json(v)} to ${typeof f.type === 'string' ? f.type : f.type.type} in column ${f.name} at ${where(i)}: ${c.reason}`, { column: f.name, value: v, row: i, file: options.source })
      }
      keep(k, v)
    }
    if (rescue !== undefined) {
      if (rescued && options.source !== undefined && !('_file_path' in rescued)) rescued._file_path = options.source
      out[rescue] = rescued ? json(rescued) : null
    }
    return out
  })
}
