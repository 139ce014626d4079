// Calendar arithmetic for Delta's date (days since 1970-01-01) and timestamp (µs since the epoch)
// values: parsing the text forms that appear in logs, stats and SQL literals, and printing them.
// Proleptic Gregorian throughout, as Spark 3+ and the Delta protocol use.

/** Days since 1970-01-01 of a proleptic Gregorian civil date (any year, no Date object limits). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const mp = (month + 9) % 12
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** Inverse of daysFromCivil. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day }
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}

const DATE_RE = /^\s*([+-]?\d{4,6})-(\d{1,2})-(\d{1,2})\s*$/

/** `yyyy-MM-dd` → days since epoch, or undefined when the text is not a valid date. */
export function parseDate(text: string): number | undefined {
  const m = DATE_RE.exec(text)
  if (!m) return undefined
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  return daysFromCivil(year, month, day)
}

function pad(n: number, width: number): string {
  const s = String(Math.abs(n)).padStart(width, '0')
  return n < 0 ? `-${s}` : s
}

/** days since epoch → `yyyy-MM-dd` (years beyond 9999 get a `+`, as ISO-8601 extended years). */
export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days)
  const y = year > 9999 ? `+${year}` : pad(year, 4)
  return `${y}-${pad(month, 2)}-${pad(day, 2)}`
}

// date, then ' ' or 'T', then time with optional seconds and up to 9 fraction digits, then an
// optional zone: Z, ±HH, ±HHMM, ±HH:MM (Spark writes stats as `…T11:11:11.000-07:00`).
const TS_RE =
  /^\s*([+-]?\d{4,6})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?\s*$/i

export interface ParsedTimestamp {
  /** µs since the epoch of the wall-clock reading taken as UTC, then shifted by the zone if any. */
  micros: bigint
  /** Whether the text carried a zone or offset. */
  hasZone: boolean
}

/**
 * Parse a timestamp: `yyyy-MM-dd[( |T)HH:mm[:ss[.fffffffff]]][Z|±HH:mm]`. Text without a zone is read
 * as UTC (the only zone lagomago assumes for Spark's zone-less partition values and literals);
 * digits beyond microseconds are truncated.
 */
export function parseTimestamp(text: string): ParsedTimestamp | undefined {
  const m = TS_RE.exec(text)
  if (!m) return undefined
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  const hour = m[4] === undefined ? 0 : Number(m[4])
  const minute = m[5] === undefined ? 0 : Number(m[5])
  const second = m[6] === undefined ? 0 : Number(m[6])
  if (hour > 23 || minute > 59 || second > 59) return undefined
  const frac = m[7] === undefined ? 0 : Number(m[7].padEnd(9, '0').slice(0, 6))
  let offsetMinutes = 0
  const zone = m[8]
  if (zone && zone.toUpperCase() !== 'Z' && zone.toUpperCase() !== 'UTC') {
    const sign = zone[0] === '-' ? -1 : 1
    const digits = zone.slice(1).replace(':', '')
    const oh = Number(digits.slice(0, 2))
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0
    if (oh > 18 || om > 59) return undefined
    offsetMinutes = sign * (oh * 60 + om)
  }
  const days = daysFromCivil(year, month, day)
  const seconds = days * 86400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60
  return { micros: BigInt(seconds) * 1_000_000n + BigInt(frac), hasZone: zone !== undefined }
}

/** Floor division for bigints (BigInt `/` truncates toward zero). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q
}

function splitMicros(micros: bigint): { days: number; secOfDay: number; frac: number } {
  const secs = floorDiv(micros, 1_000_000n)
  const frac = Number(micros - secs * 1_000_000n)
  const days = Number(floorDiv(secs, 86400n))
  const secOfDay = Number(secs - BigInt(days) * 86400n)
  return { days, secOfDay, frac }
}

/**
 * µs since epoch → text. `style: 'iso'` gives `yyyy-MM-ddTHH:mm:ss.ffffffZ` (always 6 digits, as
 * PROTOCOL.md's UTC partition form); `'spark'` gives `yyyy-MM-dd HH:mm:ss[.f…]` with the fraction
 * only when non-zero, trailing zeros dropped (Spark's CAST to string, hence its partition values).
 */
export function formatTimestamp(micros: bigint, style: 'iso' | 'spark'): string {
  const { days, secOfDay, frac } = splitMicros(micros)
  const hh = pad(Math.floor(secOfDay / 3600), 2)
  const mm = pad(Math.floor((secOfDay % 3600) / 60), 2)
  const ss = pad(secOfDay % 60, 2)
  const date = formatDate(days)
  if (style === 'iso') return `${date}T${hh}:${mm}:${ss}.${pad(frac, 6)}Z`
  return `${date} ${hh}:${mm}:${ss}${frac === 0 ? '' : `.${pad(frac, 6).replace(/0+$/, '')}`}`
}

/** µs since epoch of a JS Date (ms precision). */
export function microsFromDate(d: Date): bigint {
  return BigInt(d.getTime()) * 1000n
}

/** A JS Date for µs since epoch (truncated toward -∞ to ms). */
export function dateFromMicros(micros: bigint): Date {
  return new Date(Number(floorDiv(micros, 1000n)))
}

/** Days since epoch of the UTC calendar day of a JS Date. */
export function daysFromDate(d: Date): number {
  return Math.floor(d.getTime() / 86_400_000)
}
