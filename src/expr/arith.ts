// Arithmetic (+ - * / %) for UPDATE SET and MERGE expressions and filters: Spark's result types
// (decimal precision/scale rules, `/` on integers gives double, date ± days) and exact evaluation.
import { ExpressionError } from '../errors.js'
import { decimalParams, typeToString, type DataType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import { fitsPrecision, pow10, rescale } from '../schema/decimal.js'
import type { ArithOp } from './ast.js'
import { boundedDecimal, decimalOf, isDecimal, isFloating, isIntegral, isNumeric, widerNumeric } from './cast.js'

export interface ArithTypes { result: DataType; left: DataType; right: DataType }

/** Result and operand types of `a op b`, or undefined when the operation does not apply. */
export function arithmeticType(op: ArithOp, a: DataType, b: DataType): ArithTypes | undefined {
  if (a === 'void' && b === 'void') return { result: 'integer', left: 'integer', right: 'integer' }
  if (a === 'void') a = b
  if (b === 'void') b = a
  if ((op === '+' || op === '-') && a === 'date' && isIntegral(b)) return { result: 'date', left: 'date', right: 'integer' }
  if (op === '+' && isIntegral(a) && b === 'date') return { result: 'date', left: 'integer', right: 'date' }
  if (!isNumeric(a) || !isNumeric(b)) return undefined
  if (isFloating(a) || isFloating(b) || (op === '/' && !isDecimal(a) && !isDecimal(b))) {
    const t = op === '/' ? 'double' : widerNumeric(a, b)
    return { result: t, left: t, right: t }
  }
  if (isIntegral(a) && isIntegral(b)) {
    const t = widerNumeric(a, b)
    return { result: t, left: t, right: t }
  }
  const da = decimalOf(a)!
  const db = decimalOf(b)!
  const [p1, s1, p2, s2] = [da.precision, da.scale, db.precision, db.scale]
  let p: number
  let s: number
  switch (op) {
    case '+': case '-': s = Math.max(s1, s2); p = Math.max(p1 - s1, p2 - s2) + s + 1; break
    case '*': s = s1 + s2; p = p1 + p2 + 1; break
    case '/': s = Math.max(6, s1 + p2 + 1); p = p1 - s1 + s2 + s; break
    case '%': s = Math.max(s1, s2); p = Math.min(p1 - s1, p2 - s2) + s; break
  }
  return { result: boundedDecimal(p, s), left: `decimal(${p1},${s1})`, right: `decimal(${p2},${s2})` }
}

const INT_BOUNDS: Record<string, [number, number]> = { byte: [-128, 127], short: [-32768, 32767], integer: [-2147483648, 2147483647] }
const LONG_MIN = -(2n ** 63n)
const LONG_MAX = 2n ** 63n - 1n

function overflow(op: string, type: DataType): ExpressionError {
  return new ExpressionError(`arithmetic overflow in ${op} for ${typeToString(type)}`)
}

/** Division by zero gives null (Spark's non-ANSI rule), so a filter over such rows drops them rather than failing the scan. */
function divRound(num: bigint, den: bigint): bigint {
  const q = num / den
  const r = num % den
  if (r === 0n) return q
  const twice = (r < 0n ? -r : r) * 2n
  const absDen = den < 0n ? -den : den
  if (twice < absDen) return q
  return (num < 0n) !== (den < 0n) ? q - 1n : q + 1n
}

/** Evaluate `l op r` (both non-null, already of the operand types chosen by arithmeticType). */
export function evalArith(op: ArithOp, l: DeltaValue, r: DeltaValue, types: ArithTypes): DeltaValue {
  const t = types.result
  if (t === 'date') {
    const days = types.left === 'date' ? (l as number) + (op === '-' ? -(r as number) : (r as number)) : (l as number) + (r as number)
    return days
  }
  if (isFloating(t)) {
    const a = l as number
    const b = r as number
    const v = op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : op === '/' ? (b === 0 ? null : a / b) : b === 0 ? null : a % b
    return v === null ? null : t === 'float' ? Math.fround(v) : v
  }
  if (t === 'long') {
    const a = l as bigint
    const b = r as bigint
    if ((op === '/' || op === '%') && b === 0n) return null
    const v = op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : op === '/' ? a / b : a % b
    if (v < LONG_MIN || v > LONG_MAX) throw overflow(op, t)
    return v
  }
  if (isIntegral(t)) {
    const a = l as number
    const b = r as number
    if ((op === '/' || op === '%') && b === 0) return null
    const v = op === '+' ? a + b : op === '-' ? a - b : op === '*' ? Number(BigInt(a) * BigInt(b)) : op === '/' ? Math.trunc(a / b) : a % b
    const [lo, hi] = INT_BOUNDS[t]
    if (v < lo || v > hi) throw overflow(op, t)
    return v
  }
  const rd = decimalParams(t)!
  const sl = decimalParams(types.left)!.scale
  const sr = decimalParams(types.right)!.scale
  const a = l as bigint
  const b = r as bigint
  let v: bigint
  switch (op) {
    case '+': case '-': {
      const s = Math.max(sl, sr)
      const x = a * pow10(s - sl)
      const y = b * pow10(s - sr)
      v = rescale(op === '+' ? x + y : x - y, s, rd.scale, true)!
      break
    }
    case '*': v = rescale(a * b, sl + sr, rd.scale, true)!; break
    case '/': {
      if (b === 0n) return null
      const k = rd.scale - sl + sr
      v = k >= 0 ? divRound(a * pow10(k), b) : divRound(a, b * pow10(-k))
      break
    }
    case '%': {
      if (b === 0n) return null
      const s = Math.max(sl, sr)
      v = rescale((a * pow10(s - sl)) % (b * pow10(s - sr)), s, rd.scale, true)!
      break
    }
  }
  if (!fitsPrecision(v, rd.precision)) throw overflow(op, t)
  return v
}

/** Unary minus on a non-null value of `type`. */
export function evalNegate(v: DeltaValue, type: DataType): DeltaValue {
  if (typeof v === 'bigint') {
    if (type === 'long' && v === LONG_MIN) throw overflow('-', type)
    return -v
  }
  const n = -(v as number)
  const b = INT_BOUNDS[type as string]
  if (b && (n < b[0] || n > b[1])) throw overflow('-', type)
  return n
}
