// Checkpoints may store file statistics and partition values as typed structs (`stats_parsed`,
// `partitionValues_parsed`, PROTOCOL.md "Checkpoint Schema") instead of, or besides, the JSON forms.
// We convert them back to the JSON `stats` string and string partition values the log uses.

/** A Parquet DATE decoded by our parser hook: days since the epoch. */
export class ParsedDate {
  constructor(readonly days: number) {}
}
/** A Parquet TIMESTAMP decoded by our parser hook: microseconds since the epoch. */
export class ParsedTimestamp {
  constructor(readonly micros: bigint) {}
}

/** A Parquet DECIMAL kept exact (hyparquet would give a float): its plain decimal text. */
export class ParsedDecimal {
  constructor(readonly text: string) {}
}

/** Decimal text of an unscaled integer at a scale: (12345n, 2) → "123.45". */
export function decimalText(unscaled: bigint, scale: number): string {
  if (scale <= 0) return (unscaled * 10n ** BigInt(-scale)).toString()
  const neg = unscaled < 0n
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0')
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`
}

/** hyparquet hooks that keep dates and timestamps exact (its default turns both into JS Dates). */
export const PARQUET_PARSERS = {
  dateFromDays: (days: number) => new ParsedDate(days),
  timestampFromMilliseconds: (ms: bigint) => new ParsedTimestamp(BigInt(ms) * 1000n),
  timestampFromMicroseconds: (us: bigint) => new ParsedTimestamp(BigInt(us)),
  timestampFromNanoseconds: (ns: bigint) => new ParsedTimestamp(BigInt(ns) / 1000n),
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0')
}

function dateString(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10)
}

/** ISO-8601 UTC with microseconds when they are not zero: `2021-01-01T00:00:00.123456Z`. */
function timestampString(micros: bigint): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n)
  const rest = Number(micros - ms * 1000n)
  const iso = new Date(Number(ms)).toISOString()
  return rest === 0 ? iso : `${iso.slice(0, -1)}${pad(rest, 3)}Z`
}

/** JSON text of one stats value; undefined drops the entry (no bound is as good as a wrong one). */
function valueJson(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined
  switch (typeof v) {
    case 'string': return JSON.stringify(v)
    case 'boolean': return v ? 'true' : 'false'
    case 'bigint': return v.toString()
    case 'number': return Number.isFinite(v) ? String(v) : undefined
    case 'object': {
      if (v instanceof ParsedDecimal) return v.text
      if (v instanceof ParsedDate) return JSON.stringify(dateString(v.days))
      if (v instanceof ParsedTimestamp) return JSON.stringify(timestampString(v.micros))
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : JSON.stringify(v.toISOString())
      if (v instanceof Uint8Array || Array.isArray(v)) return undefined
      return objectJson(v as Record<string, unknown>)
    }
    default: return undefined
  }
}

function objectJson(o: Record<string, unknown>): string | undefined {
  const parts: string[] = []
  for (const k in o) {
    const s = valueJson(o[k])
    if (s !== undefined) parts.push(`${JSON.stringify(k)}:${s}`)
  }
  return `{${parts.join(',')}}`
}

/** The JSON `stats` string equivalent of a decoded `stats_parsed` struct. */
export function statsParsedToJson(parsed: unknown): string | null {
  if (parsed === null || typeof parsed !== 'object') return null
  return objectJson(parsed as Record<string, unknown>) ?? null
}

/** String partition values (PROTOCOL.md "Partition Value Serialization") from `partitionValues_parsed`. */
export function partitionValuesFromParsed(parsed: unknown): Record<string, string | null> {
  const out: Record<string, string | null> = {}
  if (parsed === null || typeof parsed !== 'object') return out
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (v === null || v === undefined) out[k] = null
    else if (v instanceof ParsedDecimal) out[k] = v.text
    else if (v instanceof ParsedDate) out[k] = dateString(v.days)
    else if (v instanceof ParsedTimestamp) out[k] = timestampString(v.micros).replace('T', ' ').replace(/Z$/, '')
    else if (v instanceof Uint8Array) out[k] = new TextDecoder().decode(v)
    else out[k] = String(v)
  }
  return out
}
