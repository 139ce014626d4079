// Date and time functions for expressions (Spark names; UTC wall clock, the zone lagomago reads
// timestamps in): parts (year, hour…), arithmetic (date_add, datediff, INTERVAL via timestampadd),
// truncation (date_trunc, trunc) and formatting (date_format).
import { typeToString } from '../schema/types.js'
import { civilFromDays, daysFromCivil, floorDiv } from '../schema/temporal.js'
import { castValue, isIntegral, isTemporal } from './cast.js'
import type { FnDef } from './functions.js'

const datePart = (f: (c: { year: number; month: number; day: number }) => number): FnDef => ({
  strict: true, minArgs: 1, maxArgs: 1,
  bind(types, err) {
    if (!isTemporal(types[0]) && types[0] !== 'void' && types[0] !== 'string') throw err(`expects a date or timestamp, got ${typeToString(types[0])}`)
    return { type: 'integer', args: ['date'] }
  },
  eval: (a) => f(civilFromDays(a[0] as number)),
})

const dateShift = (sign: 1 | -1): FnDef => ({
  strict: true, minArgs: 2, maxArgs: 2,
  bind(types, err) {
    if (!isTemporal(types[0]) && types[0] !== 'string' && types[0] !== 'void') throw err(`expects a date, got ${typeToString(types[0])}`)
    if (!isIntegral(types[1]) && types[1] !== 'void') throw err(`expects an integer number of days, got ${typeToString(types[1])}`)
    return { type: 'date', args: ['date', 'integer'] }
  },
  eval: (a) => (a[0] as number) + sign * (a[1] as number),
})

export const TEMPORAL_FUNCTIONS: Record<string, FnDef> = {
  year: datePart((c) => c.year),
  month: datePart((c) => c.month),
  day: datePart((c) => c.day),
  dayofmonth: datePart((c) => c.day),
  date_add: dateShift(1),
  date_sub: dateShift(-1),
  to_date: {
    strict: true, minArgs: 1, maxArgs: 1,
    bind: (types, err) => {
      if (types[0] !== 'string' && !isTemporal(types[0]) && types[0] !== 'void') throw err(`expects a string or timestamp, got ${typeToString(types[0])}`)
      return { type: 'date', args: types }
    },
    eval: (a, types) => castValue(a[0], types[0], 'date'),
  },
  to_timestamp: {
    strict: true, minArgs: 1, maxArgs: 1,
    bind: (types, err) => {
      if (types[0] !== 'string' && !isTemporal(types[0]) && types[0] !== 'void') throw err(`expects a string or date, got ${typeToString(types[0])}`)
      return { type: 'timestamp', args: types }
    },
    eval: (a, types) => castValue(a[0], types[0], 'timestamp'),
  },
}
const FUNCTIONS = TEMPORAL_FUNCTIONS

const MICROS_PER_DAY = 86_400_000_000n

/** hour/minute/second of a timestamp (UTC wall clock, the zone lagomago reads timestamps in). */
const timePart = (unitMicros: bigint, modulo: bigint): FnDef => ({
  strict: true, minArgs: 1, maxArgs: 1,
  bind(types, err) {
    if (!isTemporal(types[0]) && types[0] !== 'string' && types[0] !== 'void') throw err(`expects a timestamp, got ${typeToString(types[0])}`)
    return { type: 'integer', args: ['timestamp'] }
  },
  eval: (a) => Number((floorDiv(a[0] as bigint, unitMicros) % modulo + modulo) % modulo),
})
FUNCTIONS.hour = timePart(3_600_000_000n, 24n)
FUNCTIONS.minute = timePart(60_000_000n, 60n)
FUNCTIONS.second = timePart(1_000_000n, 60n)

FUNCTIONS.datediff = {
  strict: true, minArgs: 2, maxArgs: 2,
  bind(types, err) {
    for (const t of types) if (!isTemporal(t) && t !== 'string' && t !== 'void') throw err(`expects dates, got ${typeToString(t)}`)
    return { type: 'integer', args: ['date', 'date'] }
  },
  eval: (a) => (a[0] as number) - (a[1] as number),
}

const TRUNC_UNITS = ['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second'] as const
const TRUNC_ALIASES: Record<string, (typeof TRUNC_UNITS)[number]> = {
  year: 'year', yyyy: 'year', yy: 'year', quarter: 'quarter', month: 'month', mon: 'month', mm: 'month',
  week: 'week', day: 'day', dd: 'day', hour: 'hour', minute: 'minute', second: 'second',
}

/** Start of the unit containing `days` (a date) as days since epoch; weeks start on Monday as Spark's. */
function truncDays(days: number, unit: string): number {
  const c = civilFromDays(days)
  switch (unit) {
    case 'year': return daysFromCivil(c.year, 1, 1)
    case 'quarter': return daysFromCivil(c.year, Math.floor((c.month - 1) / 3) * 3 + 1, 1)
    case 'month': return daysFromCivil(c.year, c.month, 1)
    case 'week': return days - (((days + 3) % 7) + 7) % 7 // 1970-01-01 was a Thursday
    default: return days
  }
}

FUNCTIONS.date_trunc = {
  strict: true, minArgs: 2, maxArgs: 2,
  bind(types, err) {
    if (types[0] !== 'string') throw err('unit must be a string')
    if (!isTemporal(types[1]) && types[1] !== 'string' && types[1] !== 'void') throw err(`expects a timestamp, got ${typeToString(types[1])}`)
    return { type: 'timestamp', args: ['string', 'timestamp'] }
  },
  eval(a) {
    const unit = TRUNC_ALIASES[(a[0] as string).toLowerCase()]
    if (!unit) return null
    const ts = a[1] as bigint
    const step = unit === 'hour' ? 3_600_000_000n : unit === 'minute' ? 60_000_000n : unit === 'second' ? 1_000_000n : undefined
    if (step) return floorDiv(ts, step) * step
    return BigInt(truncDays(Number(floorDiv(ts, MICROS_PER_DAY)), unit)) * MICROS_PER_DAY
  },
}

FUNCTIONS.trunc = {
  strict: true, minArgs: 2, maxArgs: 2,
  bind(types, err) {
    if (!isTemporal(types[0]) && types[0] !== 'string' && types[0] !== 'void') throw err(`expects a date, got ${typeToString(types[0])}`)
    if (types[1] !== 'string') throw err('unit must be a string')
    return { type: 'date', args: ['date', 'string'] }
  },
  eval(a) {
    const unit = TRUNC_ALIASES[(a[1] as string).toLowerCase()]
    return unit && ['year', 'quarter', 'month', 'week'].includes(unit) ? truncDays(a[0] as number, unit) : null
  },
}

/** date_format with the common Spark pattern letters (y, M, d, H, m, s, S); quoted text in '…'. */
FUNCTIONS.date_format = {
  strict: true, minArgs: 2, maxArgs: 2,
  bind(types, err) {
    if (!isTemporal(types[0]) && types[0] !== 'string' && types[0] !== 'void') throw err(`expects a timestamp, got ${typeToString(types[0])}`)
    if (types[1] !== 'string') throw err('format must be a string')
    return { type: 'string', args: ['timestamp', 'string'] }
  },
  eval(a) {
    const ts = a[0] as bigint
    const days = Number(floorDiv(ts, MICROS_PER_DAY))
    const inDay = ts - BigInt(days) * MICROS_PER_DAY
    const c = civilFromDays(days)
    const fields: Record<string, number> = {
      y: c.year, M: c.month, d: c.day, H: Number(inDay / 3_600_000_000n), m: Number((inDay / 60_000_000n) % 60n),
      s: Number((inDay / 1_000_000n) % 60n),
    }
    const micros = Number(inDay % 1_000_000n)
    return (a[1] as string).replace(/'([^']*)'|y+|M+|d+|H+|m+|s+|S+/g, (tok, quoted: string | undefined) => {
      if (quoted !== undefined) return quoted
      const letter = tok[0]
      if (letter === 'S') return String(micros).padStart(6, '0').slice(0, tok.length).padEnd(tok.length, '0')
      const v = fields[letter]
      if (letter === 'y' && tok.length === 2) return String(v % 100).padStart(2, '0')
      return String(v).padStart(tok.length, '0')
    })
  },
}

const UNIT_MICROS: Record<string, bigint> = {
  MICROSECOND: 1n, MILLISECOND: 1000n, SECOND: 1_000_000n, MINUTE: 60_000_000n, HOUR: 3_600_000_000n,
  DAY: MICROS_PER_DAY, WEEK: 7n * MICROS_PER_DAY,
}

/** Add whole months to a civil date, clamping the day to the target month's length (Spark's add_months). */
function addMonths(days: number, months: number): number {
  const c = civilFromDays(days)
  const total = c.year * 12 + (c.month - 1) + months
  const year = Math.floor(total / 12)
  const month = total - year * 12 + 1
  const last = civilFromDays(daysFromCivil(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) - 1).day
  return daysFromCivil(year, month, Math.min(c.day, last))
}

/** timestampadd('UNIT', n, ts): what `ts + INTERVAL n UNIT` parses to. Dates stay dates for whole days and months. */
FUNCTIONS.timestampadd = {
  strict: true, minArgs: 3, maxArgs: 3,
  bind(types, err) {
    if (types[0] !== 'string') throw err('unit must be a string')
    if (!isIntegral(types[1]) && types[1] !== 'void') throw err(`amount must be an integer, got ${typeToString(types[1])}`)
    const t = types[2]
    if (!isTemporal(t) && t !== 'void') throw err(`expects a date or timestamp, got ${typeToString(t)}`)
    return { type: t === 'void' ? 'timestamp' : t, args: ['string', 'long', t] }
  },
  eval(a, _types, result) {
    const unit = (a[0] as string).toUpperCase()
    const n = a[1] as bigint
    if (result === 'date') {
      const days = a[2] as number
      if (unit === 'DAY') return days + Number(n)
      if (unit === 'WEEK') return days + 7 * Number(n)
      if (unit === 'MONTH') return addMonths(days, Number(n))
      if (unit === 'YEAR') return addMonths(days, 12 * Number(n))
      // sub-day units on a date: Spark moves to timestamps; keep the date when the shift is whole days
      const us = UNIT_MICROS[unit]
      if (us === undefined) return null
      return days + Number(floorDiv(n * us, MICROS_PER_DAY))
    }
    const ts = a[2] as bigint
    if (unit === 'MONTH' || unit === 'YEAR') {
      const days = Number(floorDiv(ts, MICROS_PER_DAY))
      const inDay = ts - BigInt(days) * MICROS_PER_DAY
      return BigInt(addMonths(days, Number(n) * (unit === 'YEAR' ? 12 : 1))) * MICROS_PER_DAY + inDay
    }
    const us = UNIT_MICROS[unit]
    return us === undefined ? null : ts + n * us
  },
}
