// Type coercion for expressions: the implicit widening rules Spark applies before comparing or
// computing (`commonType`), and CAST between Delta values (ANSI: an invalid or overflowing cast throws).
import { ExpressionError } from '../errors.js'
import { decimalParams, isPrimitive, typeToString, type DataType, type DecimalType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import { fitsPrecision, formatDecimal, parseDecimal, parseDecimalParts, pow10, rescale, decimalToNumber } from '../schema/decimal.js'
import { floorDiv, formatDate, formatTimestamp, parseDate, parseTimestamp } from '../schema/temporal.js'
import { javaFloatingString } from '../schema/partition-values.js'

export const INTEGRAL = ['byte', 'short', 'integer', 'long'] as const
const INTEGRAL_RANK: Record<string, number> = { byte: 0, short: 1, integer: 2, long: 3 }
const INTEGRAL_DIGITS: Record<string, number> = { byte: 3, short: 5, integer: 10, long: 20 }
const INTEGRAL_BOUNDS: Record<string, [bigint, bigint]> = {
  byte: [-128n, 127n], short: [-32768n, 32767n], integer: [-2147483648n, 2147483647n], long: [-(2n ** 63n), 2n ** 63n - 1n],
}

export function isIntegral(t: DataType): t is 'byte' | 'short' | 'integer' | 'long' {
  return typeof t === 'string' && t in INTEGRAL_RANK
}
export function isFloating(t: DataType): t is 'float' | 'double' {
  return t === 'float' || t === 'double'
}
export function isDecimal(t: DataType): t is DecimalType {
  return decimalParams(t) !== undefined
}
export function isNumeric(t: DataType): boolean {
  return isIntegral(t) || isFloating(t) || isDecimal(t)
}
export function isTemporal(t: DataType): boolean {
  return t === 'date' || t === 'timestamp' || t === 'timestamp_ntz'
}

/** The decimal type an integral type widens to (long → decimal(20,0)). */
export function decimalOf(t: DataType): { precision: number; scale: number } | undefined {
  if (isIntegral(t)) return { precision: INTEGRAL_DIGITS[t], scale: 0 }
  return decimalParams(t)
}

/** decimal(p,s) with Spark's cap at 38 digits keeping at least min(s, 6) fraction digits. */
export function boundedDecimal(precision: number, scale: number): DecimalType {
  if (precision <= 38) return `decimal(${Math.max(precision, 1)},${scale})`
  const intDigits = precision - scale
  const s = Math.max(38 - intDigits, Math.min(scale, 6))
  return `decimal(38,${s})`
}

/** The type both sides of a numeric operation or comparison widen to (Spark's findWiderTypeForTwo). */
export function widerNumeric(a: DataType, b: DataType): DataType {
  if (a === b) return a
  if (a === 'double' || b === 'double') return 'double'
  if (a === 'float' || b === 'float') return isDecimal(a) || isDecimal(b) ? 'double' : 'float'
  if (isIntegral(a) && isIntegral(b)) return INTEGRAL_RANK[a] >= INTEGRAL_RANK[b] ? a : b
  const da = decimalOf(a)!
  const db = decimalOf(b)!
  const scale = Math.max(da.scale, db.scale)
  const intDigits = Math.max(da.precision - da.scale, db.precision - db.scale)
  return boundedDecimal(intDigits + scale, scale)
}

/** The type two operands are compared in, or undefined when they do not compare. */
export function commonType(a: DataType | null, b: DataType | null): DataType | undefined {
  if (a === null) return b ?? undefined
  if (b === null || typeToString(a) === typeToString(b)) return a
  if (isNumeric(a) && isNumeric(b)) return widerNumeric(a, b)
  if (isTemporal(a) && isTemporal(b)) {
    if (a === 'date') return b
    if (b === 'date') return a
    return 'timestamp'
  }
  if (a === 'void') return b
  if (b === 'void') return a
  return undefined
}

function castError(v: DeltaValue, from: DataType, to: DataType, why = ''): ExpressionError {
  return new ExpressionError(`cannot cast ${typeToString(from)} value ${printable(v, from)} to ${typeToString(to)}${why ? `: ${why}` : ''}`)
}

function printable(v: DeltaValue, t: DataType): string {
  const d = decimalParams(t)
  if (d && typeof v === 'bigint') return formatDecimal(v, d.scale)
  if (typeof v === 'string') return JSON.stringify(v)
  return String(v)
}

function toIntegral(v: bigint, from: DataType, to: 'byte' | 'short' | 'integer' | 'long', orig: DeltaValue): DeltaValue {
  const [lo, hi] = INTEGRAL_BOUNDS[to]
  if (v < lo || v > hi) throw castError(orig, from, to, 'out of range')
  return to === 'long' ? v : Number(v)
}

const TRUE_TEXT = new Set(['t', 'true', 'y', 'yes', '1'])
const FALSE_TEXT = new Set(['f', 'false', 'n', 'no', '0'])
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** CAST one value (ANSI semantics: invalid input or overflow throws ExpressionError; null stays null). */
export function castValue(v: DeltaValue, from: DataType, to: DataType): DeltaValue {
  if (v === null) return null
  const fromS = typeToString(from)
  const toS = typeToString(to)
  if (fromS === toS) return v
  if (!isPrimitive(from) || !isPrimitive(to)) throw castError(v, from, to, 'only primitive types cast')
  if (to === 'string') return castToString(v, from)
  if (from === 'string') return castFromString(v as string, to)
  if (from === 'boolean') {
    if (to === 'boolean') return v
    if (isNumeric(to)) return castValue(v ? 1 : 0, 'integer', to)
    throw castError(v, from, to)
  }
  if (to === 'boolean') {
    if (isIntegral(from)) return typeof v === 'bigint' ? v !== 0n : v !== 0
    if (isFloating(from)) return v !== 0
    if (isDecimal(from)) return v !== 0n
    throw castError(v, from, to)
  }
  if (isNumeric(from) && isNumeric(to)) return castNumeric(v, from, to)
  if (from === 'date' && (to === 'timestamp' || to === 'timestamp_ntz')) return BigInt(v as number) * 86_400_000_000n
  if ((from === 'timestamp' || from === 'timestamp_ntz') && to === 'date') return Number(floorDiv(v as bigint, 86_400_000_000n))
  if ((from === 'timestamp' && to === 'timestamp_ntz') || (from === 'timestamp_ntz' && to === 'timestamp')) return v
  if (from === 'binary' && to === 'binary') return v
  throw castError(v, from, to)
}

function castNumeric(v: DeltaValue, from: DataType, to: DataType): DeltaValue {
  const fromDec = decimalParams(from)
  const toDec = decimalParams(to)
  if (isFloating(to)) {
    const n = fromDec ? decimalToNumber(v as bigint, fromDec.scale) : Number(v)
    return to === 'float' ? Math.fround(n) : n
  }
  if (isIntegral(to)) {
    let i: bigint
    if (typeof v === 'bigint') i = fromDec ? (v / pow10(fromDec.scale)) : v // decimals truncate toward zero, as Spark
    else {
      if (!Number.isFinite(v as number)) throw castError(v, from, to)
      i = BigInt(Math.trunc(v as number))
    }
    return toIntegral(i, from, to, v)
  }
  // → decimal
  const d = toDec!
  let unscaled: bigint | undefined
  if (fromDec) unscaled = rescale(v as bigint, fromDec.scale, d.scale, true)
  else if (isIntegral(from)) unscaled = BigInt(v as number | bigint) * pow10(d.scale)
  else {
    if (!Number.isFinite(v as number)) throw castError(v, from, to)
    unscaled = parseDecimal(exactText(v as number), d.scale, true)
  }
  if (unscaled === undefined || !fitsPrecision(unscaled, d.precision)) throw castError(v, from, to, 'overflow')
  return unscaled
}

/** The shortest round-trip text of a double, never in exponent form ambiguity for parseDecimal. */
function exactText(n: number): string {
  return String(n)
}

function castToString(v: DeltaValue, from: DataType): string {
  if (from === 'boolean') return v ? 'true' : 'false'
  if (isIntegral(from)) return String(v)
  if (isFloating(from)) return javaFloatingString(v as number, from)
  const d = decimalParams(from)
  if (d) return formatDecimal(v as bigint, d.scale)
  if (from === 'date') return formatDate(v as number)
  if (from === 'timestamp' || from === 'timestamp_ntz') return formatTimestamp(v as bigint, 'spark')
  if (from === 'binary') return decoder.decode(v as Uint8Array)
  throw castError(v, from, 'string')
}

function castFromString(s: string, to: DataType): DeltaValue {
  const t = s.trim()
  if (to === 'boolean') {
    const l = t.toLowerCase()
    if (TRUE_TEXT.has(l)) return true
    if (FALSE_TEXT.has(l)) return false
    throw castError(s, 'string', to)
  }
  if (isIntegral(to)) {
    if (!/^[+-]?\d+$/.test(t)) throw castError(s, 'string', to)
    return toIntegral(BigInt(t), 'string', to, s)
  }
  if (isFloating(to)) {
    const l = t.toLowerCase()
    const n = l === 'nan' ? NaN : l === 'infinity' || l === 'inf' || l === '+infinity' ? Infinity : l === '-infinity' || l === '-inf' ? -Infinity : t === '' ? NaN : Number(t)
    if (Number.isNaN(n) && l !== 'nan') throw castError(s, 'string', to)
    return to === 'float' ? Math.fround(n) : n
  }
  const d = decimalParams(to)
  if (d) {
    const p = parseDecimalParts(t)
    const v = p && rescale(p.unscaled, p.scale, d.scale, true)
    if (v === undefined || !fitsPrecision(v, d.precision)) throw castError(s, 'string', to)
    return v
  }
  if (to === 'date') {
    const days = parseDate(t)
    if (days !== undefined) return days
    const ts = parseTimestamp(t)
    if (ts) return Number(floorDiv(ts.micros, 86_400_000_000n))
    throw castError(s, 'string', to)
  }
  if (to === 'timestamp' || to === 'timestamp_ntz') {
    const ts = parseTimestamp(t)
    if (!ts) throw castError(s, 'string', to)
    return ts.micros
  }
  if (to === 'binary') return encoder.encode(s)
  throw castError(s, 'string', to)
}

/** Whether casting `v` from → to and back gives `v` again (a literal that fits the column type exactly). */
export function castsExactly(v: DeltaValue, from: DataType, to: DataType): boolean {
  if (v === null) return true
  try {
    const there = castValue(v, from, to)
    const back = castValue(there, to, from)
    if (typeof v === 'number' && typeof back === 'number') return Object.is(v, back) || v === back
    return v === back
  } catch {
    return false
  }
}
