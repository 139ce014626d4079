// Printing rows for people (a boxed text table) and for scripts (JSON with bigint as numbers when
// exact, Dates as ISO text, bytes as hex): shared by the demo and the CLI.
import { checkOptions } from '../options.js'

/**
 * One value as display text. A Date prints as a day when `kind` is `'date'` (a Delta date column)
 * and as a full timestamp when it is `'timestamp'`; unknown, a Date at UTC midnight reads as a day.
 * @example
 * displayValue(12n) // '12'
 */
export function displayValue(v: unknown, kind?: 'date' | 'timestamp'): string {
  if (v === null || v === undefined) return 'null'
  if (v instanceof Date) {
    const iso = v.toISOString()
    const asDate = kind === undefined ? iso.endsWith('T00:00:00.000Z') : kind === 'date'
    return asDate ? iso.slice(0, 10) : iso.replace('T', ' ').replace(/\.000Z$/, 'Z')
  }
  if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString('hex')}`
  if (typeof v === 'object') return JSON.stringify(toJsonValue(v))
  return String(v)
}

/**
 * A JSON-safe copy: bigint → number (text beyond 2^53), Date → ISO, Map → object, bytes → hex.
 * @example
 * JSON.stringify(toJsonValue({ id: 1n, at: new Date(0) }))
 */
export function toJsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()
  if (v instanceof Date) return v.toISOString()
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex')
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(toJsonValue(k)), toJsonValue(x)]))
  if (Array.isArray(v)) return v.map(toJsonValue)
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJsonValue(x)]))
  return v
}

/**
 * JSON text of a value with bigint, Date and bytes made printable.
 * @example
 * toJson({ id: 1n, at: new Date(0) }, 0) // '{"id":1,"at":"1970-01-01T00:00:00.000Z"}'
 */
export function toJson(v: unknown, indent = 2): string {
  return JSON.stringify(toJsonValue(v), null, indent)
}

/** Options of `formatTable`: how rows print as a text table. */
export interface TableFormatOptions {
  columns?: string[]
  /** Rows shown (default all); a footer tells how many were left out. */
  limit?: number
  /** Cell width cap (default 40). */
  maxWidth?: number
  /**
   * The Delta type of Date-valued columns (`'date'` or `'timestamp'`): with it a timestamp at
   * midnight still prints as a timestamp; without it a Date at UTC midnight prints as a day.
   */
  dateKinds?: Record<string, 'date' | 'timestamp'>
}

const isNumeric = (v: unknown): boolean => typeof v === 'number' || typeof v === 'bigint' || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v))

/**
 * A boxed text table; numbers right-aligned.
 * @example
 * console.log(formatTable(await t.toRows()))
 */
export function formatTable(rows: readonly Record<string, unknown>[], options: TableFormatOptions = {}): string {
  checkOptions('formatTable', options, ['columns', 'limit', 'maxWidth', 'dateKinds'])
  const columns = options.columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))]
  if (!columns.length) return '(no columns)'
  const shown = options.limit === undefined ? rows : rows.slice(0, options.limit)
  const max = options.maxWidth ?? 40
  const cut = (s: string): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s)
  const cells = shown.map((r) => columns.map((c) => cut(displayValue(r[c], options.dateKinds?.[c]))))
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)))
  const right = columns.map((c) => shown.length > 0 && shown.every((r) => r[c] === null || r[c] === undefined || isNumeric(r[c])))
  const line = (l: string, m: string, r: string): string => l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r
  const fmt = (vals: string[], align: boolean[]): string => '│' + vals.map((v, i) => ` ${align[i] ? v.padStart(widths[i]) : v.padEnd(widths[i])} `).join('│') + '│'
  const out = [line('┌', '┬', '┐'), fmt(columns, columns.map(() => false)), line('├', '┼', '┤'), ...cells.map((c) => fmt(c, right)), line('└', '┴', '┘')]
  const left = rows.length - shown.length
  out.push(left > 0 ? `${rows.length} rows (${left} not shown)` : `${rows.length} row${rows.length === 1 ? '' : 's'}`)
  return out.join('\n')
}
