// The built-in SQL functions expressions may call (Spark names and semantics): null handling
// (coalesce, nullif, if), strings (lower, upper, trim, length, substring, concat, startswith…),
// numbers (abs, round, floor, ceil), arrays and maps (size, element_at…), greatest/least; the date and
// time functions live in functions-temporal.ts.
import type { ExpressionError } from '../errors.js'
import { decimalParams, typeToString, type DataType } from '../schema/types.js'
import { compareValues, valuesEqual, type DeltaValue } from '../schema/values.js'
import { rescale } from '../schema/decimal.js'
import { floorDiv, microsFromDate } from '../schema/temporal.js'
import { castValue, commonType, isDecimal, isFloating, isIntegral, isNumeric, isTemporal } from './cast.js'
import type { BoundCall, BoundExpr } from './bind.js'
import { TEMPORAL_FUNCTIONS } from './functions-temporal.js'

type Err = (message: string, column?: string) => ExpressionError

export interface FnDef {
  /** Check argument types; return the result type and the types to cast arguments to. */
  bind(types: DataType[], err: (why: string) => ExpressionError): { type: DataType; args: DataType[] }
  eval(args: DeltaValue[], types: DataType[], result: DataType): DeltaValue
  /** Any null argument gives null without calling eval (most functions). */
  strict: boolean
  minArgs: number
  maxArgs: number
}

const codePoints = (s: string): string[] => [...s]

function common(types: DataType[], err: (why: string) => ExpressionError): DataType {
  let t: DataType | null = null
  for (const x of types) {
    if (x === 'void') continue
    const c = commonType(t, x)
    if (c === undefined) throw err(`arguments have incompatible types ${typeToString(t!)} and ${typeToString(x)}`)
    t = c
  }
  return t ?? 'void'
}

const str1 = (f: (s: string) => DeltaValue, type: DataType = 'string'): FnDef => ({
  strict: true, minArgs: 1, maxArgs: 1,
  bind(types, err) {
    if (types[0] !== 'string' && types[0] !== 'void') throw err(`expects a string, got ${typeToString(types[0])}`)
    return { type, args: ['string'] }
  },
  eval: (a) => f(a[0] as string),
})

const strPred = (f: (s: string, p: string) => boolean): FnDef => ({
  strict: true, minArgs: 2, maxArgs: 2,
  bind(types, err) {
    for (const t of types) if (t !== 'string' && t !== 'void') throw err(`expects strings, got ${typeToString(t)}`)
    return { type: 'boolean', args: ['string', 'string'] }
  },
  eval: (a) => f(a[0] as string, a[1] as string),
})

const coalesce: FnDef = {
  strict: false, minArgs: 1, maxArgs: Infinity,
  bind(types, err) {
    const t = common(types, err)
    return { type: t, args: types.map(() => t) }
  },
  eval: (a) => a.find((v) => v !== null) ?? null,
}

const extreme = (sign: 1 | -1): FnDef => ({
  strict: false, minArgs: 1, maxArgs: Infinity,
  bind(types, err) {
    const t = common(types, err)
    return { type: t, args: types.map(() => t) }
  },
  eval(a, _types, t) {
    let best: DeltaValue = null
    for (const v of a) if (v !== null && (best === null || sign * compareValues(v, best, t) > 0)) best = v
    return best
  },
})

const FUNCTIONS: Record<string, FnDef> = {
  coalesce,
  ifnull: { ...coalesce, minArgs: 2, maxArgs: 2 },
  nvl: { ...coalesce, minArgs: 2, maxArgs: 2 },
  nullif: {
    strict: false, minArgs: 2, maxArgs: 2,
    bind(types, err) {
      const t = common(types, err)
      return { type: types[0] === 'void' ? t : types[0], args: [t, t] }
    },
    eval: (a, types) => (a[0] !== null && a[1] !== null && valuesEqual(a[0], a[1], types[0]) ? null : a[0]),
  },
  if: {
    strict: false, minArgs: 3, maxArgs: 3,
    bind(types, err) {
      if (types[0] !== 'boolean' && types[0] !== 'void') throw err(`condition must be boolean, got ${typeToString(types[0])}`)
      const t = common(types.slice(1), err)
      return { type: t, args: ['boolean', t, t] }
    },
    eval: (a) => (a[0] === true ? a[1] : a[2]),
  },
  greatest: extreme(1),
  least: extreme(-1),
  lower: str1((s) => s.toLowerCase()),
  lcase: str1((s) => s.toLowerCase()),
  upper: str1((s) => s.toUpperCase()),
  ucase: str1((s) => s.toUpperCase()),
  trim: str1((s) => s.replace(/^ +| +$/g, '')),
  ltrim: str1((s) => s.replace(/^ +/, '')),
  rtrim: str1((s) => s.replace(/ +$/, '')),
  length: str1((s) => codePoints(s).length, 'integer'),
  char_length: str1((s) => codePoints(s).length, 'integer'),
  startswith: strPred((s, p) => s.startsWith(p)),
  endswith: strPred((s, p) => s.endsWith(p)),
  contains: strPred((s, p) => s.includes(p)),
  substring: {
    strict: true, minArgs: 2, maxArgs: 3,
    bind(types, err) {
      if (types[0] !== 'string' && types[0] !== 'void') throw err(`expects a string, got ${typeToString(types[0])}`)
      for (const t of types.slice(1)) if (!isIntegral(t) && t !== 'void') throw err(`position and length must be integers, got ${typeToString(t)}`)
      return { type: 'string', args: ['string', ...types.slice(1).map(() => 'integer' as const)] }
    },
    eval(a) {
      const cps = codePoints(a[0] as string)
      const pos = a[1] as number
      const len = a.length > 2 ? (a[2] as number) : Infinity
      // Spark: 1-based; 0 acts as 1; negative counts from the end.
      let start = pos > 0 ? pos - 1 : pos < 0 ? cps.length + pos : 0
      let end = start + len
      if (start < 0) start = 0
      if (end < start) end = start
      return cps.slice(start, end).join('')
    },
  },
  concat: {
    strict: true, minArgs: 1, maxArgs: Infinity,
    bind: (types) => ({ type: 'string', args: types.map(() => 'string' as const) }),
    eval: (a) => (a as string[]).join(''),
  },
  abs: {
    strict: true, minArgs: 1, maxArgs: 1,
    bind(types, err) {
      if (!isNumeric(types[0]) && types[0] !== 'void') throw err(`expects a number, got ${typeToString(types[0])}`)
      return { type: types[0], args: types }
    },
    eval: (a) => (typeof a[0] === 'bigint' ? (a[0] < 0n ? -a[0] : a[0]) : Math.abs(a[0] as number)),
  },
  round: {
    strict: true, minArgs: 1, maxArgs: 2,
    bind(types, err) {
      if (!isNumeric(types[0]) && types[0] !== 'void') throw err(`expects a number, got ${typeToString(types[0])}`)
      if (types[1] !== undefined && !isIntegral(types[1])) throw err('scale must be an integer')
      return { type: types[0], args: types.length > 1 ? [types[0], 'integer'] : types }
    },
    eval(a, types) {
      const d = a.length > 1 ? (a[1] as number) : 0
      const t = types[0]
      const dec = decimalParams(t)
      if (dec) {
        if (d >= dec.scale) return a[0]
        return rescale(rescale(a[0] as bigint, dec.scale, d, true)!, d, dec.scale)!
      }
      if (isFloating(t)) {
        const f = 10 ** d
        const x = a[0] as number
        const v = Math.sign(x) * Math.round(Math.abs(x) * f) / f
        return t === 'float' ? Math.fround(v) : v
      }
      if (d >= 0) return a[0]
      const f = 10n ** BigInt(-d)
      const x = typeof a[0] === 'bigint' ? a[0] : BigInt(a[0] as number)
      const q = (x < 0n ? -x : x) + f / 2n
      const v = (q / f) * f * (x < 0n ? -1n : 1n)
      return typeof a[0] === 'bigint' ? v : Number(v)
    },
  },
}
FUNCTIONS.substr = FUNCTIONS.substring
Object.assign(FUNCTIONS, TEMPORAL_FUNCTIONS)

const rounding = (mode: 'floor' | 'ceil'): FnDef => ({
  strict: true, minArgs: 1, maxArgs: 1,
  bind(types, err) {
    const t = types[0]
    if (!isNumeric(t) && t !== 'void') throw err(`expects a number, got ${typeToString(t)}`)
    const dec = decimalParams(t)
    if (dec) return { type: `decimal(${Math.min(38, dec.precision - dec.scale + 1)},0)`, args: [t] }
    return { type: 'long', args: [isIntegral(t) ? 'long' : 'double'] }
  },
  eval(a, types) {
    const dec = decimalParams(types[0])
    if (dec) {
      const v = a[0] as bigint
      const div = 10n ** BigInt(dec.scale)
      const q = floorDiv(v, div)
      return mode === 'floor' || q * div === v ? q : q + 1n
    }
    if (typeof a[0] === 'bigint') return a[0]
    const x = mode === 'floor' ? Math.floor(a[0] as number) : Math.ceil(a[0] as number)
    if (!Number.isFinite(x)) return null
    return BigInt(x)
  },
})
FUNCTIONS.size = {
  strict: false, minArgs: 1, maxArgs: 1,
  bind(types, err) {
    const t = types[0]
    if (typeof t !== 'object' || t.type === 'struct') {
      if (t !== 'void') throw err(`expects an array or map, got ${typeToString(t)}`)
    }
    return { type: 'integer', args: types }
  },
  // Spark's size(NULL) is -1 (legacy sizeOfNull); ANSI mode gives NULL, which is what we return
  eval: (a) => (a[0] === null ? null : a[0] instanceof Map ? a[0].size : (a[0] as DeltaValue[]).length),
}

FUNCTIONS.array_contains = {
  strict: true, minArgs: 2, maxArgs: 2,
  bind(types, err) {
    const t = types[0]
    if (typeof t !== 'object' || t.type !== 'array') throw err(`expects an array, got ${typeToString(t)}`)
    const c = commonType(t.elementType, types[1] === 'void' ? null : types[1])
    if (c === undefined || typeToString(c) !== typeToString(t.elementType)) throw err(`cannot look for ${typeToString(types[1])} in ${typeToString(t)}`)
    return { type: 'boolean', args: [t, t.elementType] }
  },
  eval(a, types) {
    const elementType = (types[0] as { elementType: DataType }).elementType
    let sawNull = false
    for (const v of a[0] as DeltaValue[]) {
      if (v === null) sawNull = true
      else if (valuesEqual(v, a[1], elementType)) return true
    }
    return sawNull ? null : false
  },
}

FUNCTIONS.element_at = {
  strict: true, minArgs: 2, maxArgs: 2,
  bind(types, err) {
    const t = types[0]
    if (typeof t === 'object' && t.type === 'array') {
      if (!isIntegral(types[1])) throw err('array index must be an integer')
      return { type: t.elementType, args: [t, 'integer'] }
    }
    if (typeof t === 'object' && t.type === 'map') {
      if (commonType(t.keyType, types[1]) === undefined) throw err(`map key must be ${typeToString(t.keyType)}`)
      return { type: t.valueType, args: [t, t.keyType] }
    }
    throw err(`expects an array or map, got ${typeToString(t)}`)
  },
  eval(a, types) {
    if (a[0] instanceof Map) {
      const keyType = (types[0] as { keyType: DataType }).keyType
      for (const [k, v] of a[0]) if (valuesEqual(k, a[1], keyType)) return v
      return null
    }
    const arr = a[0] as DeltaValue[]
    const i = a[1] as number
    // 1-based; negative counts from the end; out of range is NULL (non-ANSI)
    const at = i > 0 ? i - 1 : arr.length + i
    return i === 0 || at < 0 || at >= arr.length ? null : arr[at]
  },
}

FUNCTIONS.floor = rounding('floor')
FUNCTIONS.ceil = rounding('ceil')
FUNCTIONS.ceiling = FUNCTIONS.ceil

/** Bind a call: check arity and argument types, insert casts. Clock functions fold to literals. */
export function bindCall(name: string, args: BoundExpr[], err: Err): BoundExpr {
  const lower = name.toLowerCase()
  if ((lower === 'current_date' || lower === 'current_timestamp' || lower === 'now') && args.length === 0) {
    const micros = microsFromDate(new Date())
    return lower === 'current_date'
      ? { bound: true, kind: 'literal', type: 'date', value: Number(floorDiv(micros, 86_400_000_000n)) }
      : { bound: true, kind: 'literal', type: 'timestamp', value: micros }
  }
  const def = FUNCTIONS[lower]
  if (!def) throw err(`unknown function ${name}; known: ${[...Object.keys(FUNCTIONS), 'current_date', 'current_timestamp'].sort().join(', ')}`)
  if (args.length < def.minArgs || args.length > def.maxArgs) {
    throw err(`${lower} takes ${def.minArgs === def.maxArgs ? def.minArgs : `${def.minArgs}${def.maxArgs === Infinity ? ' or more' : `–${def.maxArgs}`}`} argument(s), got ${args.length}`)
  }
  const colOf = args.find((a) => a.kind === 'column')
  const { type, args: argTypes } = def.bind(args.map((a) => a.type), (why) => err(`${lower}(): ${why}`, colOf?.kind === 'column' ? colOf.key : undefined))
  const cast = args.map((a, i) => castArg(a, argTypes[i], lower, err))
  const call: BoundCall = { bound: true, kind: 'call', name: lower, type, args: cast }
  return call
}

function castArg(a: BoundExpr, t: DataType, fn: string, err: Err): BoundExpr {
  if (typeToString(a.type) === typeToString(t) || t === 'void') return a
  if (a.kind === 'literal') {
    try {
      return { bound: true, kind: 'literal', type: t, value: castValue(a.value, a.type, t) }
    } catch (e) {
      throw err(`${fn}(): ${(e as Error).message}`)
    }
  }
  if (a.type === 'string' && !isTemporal(t) && t !== 'string' && !isDecimal(t) && !isNumeric(t) && t !== 'boolean') {
    throw err(`${fn}(): cannot use ${typeToString(a.type)} as ${typeToString(t)}`)
  }
  return { bound: true, kind: 'cast', type: t, arg: a }
}

/** Evaluate a bound call on one row's argument values. */
export function evalCall(call: BoundCall, args: DeltaValue[]): DeltaValue {
  const def = FUNCTIONS[call.name]
  if (def.strict && args.some((a) => a === null)) return null
  return def.eval(args, call.args.map((a) => a.type), call.type)
}
