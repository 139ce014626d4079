// Change feed formats of CDC-mode merge (docs/change-feeds.md): which format a batch is, told by its
// columns (or forced), and what each row means (upsert, delete, or ignored). Detection never guesses:
// two candidate op columns, an op value outside the format's set or a `__deleted` flag contradicting
// `__op` is a ChangeFeedError naming the column, value and row.
import { ChangeFeedError, SchemaMismatchError } from '../errors.js'
import { findField, type StructType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import type { SourceBatch } from './source.js'

/** A change feed's shape (docs/change-feeds.md); the CDC merge tells it from the columns unless forced. */
export type FeedFormat = 'plain' | 'debezium' | 'debezium-envelope' | 'dms' | 'delta-cdf'
/** Every FeedFormat (a name missing or extra here does not compile). */
export const FEED_FORMATS = ['plain', 'debezium', 'debezium-envelope', 'dms', 'delta-cdf'] as const satisfies readonly FeedFormat[]
type Missing = Exclude<FeedFormat, typeof FEED_FORMATS[number]>
const allFormats: [Missing] extends [never] ? true : Missing = true
void allFormats

/** What a change row does. */
export const UPSERT = 0
export const DELETE = 1
/** Rows that carry no change of their own (Delta CDF pre-images, Kafka tombstones). */
export const SKIP = 2
const TRUNCATE = 3

/** Delta CDF's metadata columns: reserved names on CDF-enabled tables, never stored. */
const CDF_COLUMNS = ['_change_type', '_commit_version', '_commit_timestamp']

export interface FeedPlan {
  format: FeedFormat
  /** The batch's op column (source field name); none: every row is an upsert. */
  opColumn?: string
  /** Debezium flattened: the `__deleted` column. */
  deletedColumn?: string
  /** The format's own sequence when the caller names none (Delta CDF: `_commit_version`). */
  sequence?: string
  /** Whether a batch column is an input of the format rather than data (op, flags, metadata). */
  isMeta(name: string): boolean
  /** Metadata columns never stored, even where the table has a column of that name. */
  neverStored(name: string): boolean
}

/** The op value cdc-envelope.ts gives a Kafka tombstone (a null record after a delete). */
export const SKIP_OP = '\u0000tombstone'

/** The op value sets, lower-cased. */
const PLAIN_OPS: Record<string, number> = {
  i: UPSERT, insert: UPSERT, c: UPSERT, create: UPSERT, r: UPSERT, read: UPSERT, snapshot: UPSERT,
  u: UPSERT, update: UPSERT, upsert: UPSERT, d: DELETE, delete: DELETE,
}
const OPS: Record<FeedFormat, { values: Record<string, number>; expected: string; ifNull?: number }> = {
  plain: { values: PLAIN_OPS, expected: 'I/U/D, insert/update/upsert/delete or c/u/d/r', ifNull: UPSERT },
  dms: { values: { i: UPSERT, u: UPSERT, d: DELETE }, expected: 'I, U or D (AWS DMS)', ifNull: UPSERT },
  debezium: { values: { c: UPSERT, r: UPSERT, u: UPSERT, d: DELETE, t: TRUNCATE }, expected: 'c, r, u or d (Debezium)', ifNull: UPSERT },
  'debezium-envelope': { values: { c: UPSERT, r: UPSERT, u: UPSERT, d: DELETE, t: TRUNCATE, [SKIP_OP]: SKIP }, expected: 'c, r, u or d (Debezium)' },
  'delta-cdf': {
    values: { insert: UPSERT, update_postimage: UPSERT, update_preimage: SKIP, delete: DELETE },
    expected: 'insert, update_preimage, update_postimage or delete (Delta change data feed)',
  },
}

/** The op column each format reads by default, and how a batch column marks the format. */
function candidates(src: StructType, table: StructType): { format: FeedFormat; column: string }[] {
  const out: { format: FeedFormat; column: string }[] = []
  for (const f of src.fields) {
    const l = f.name.toLowerCase()
    if (l === 'op') out.push({ format: f.name === 'Op' ? 'dms' : 'plain', column: f.name })
    else if (l === '__op' || (l === '__deleted' && !out.some((c) => c.format === 'debezium'))) out.push({ format: 'debezium', column: f.name })
    else if (l === '_change_type') out.push({ format: 'delta-cdf', column: f.name })
  }
  // `__op` and `__deleted` are one format's two columns
  const seen = new Set<FeedFormat>()
  const unique = out.filter((c) => !seen.has(c.format) && seen.add(c.format))
  // with several, a column the table stores is data, not an op column (all stored: still ambiguous)
  const data = unique.filter((c) => !findField(table, c.column))
  return unique.length > 1 && data.length > 0 ? data : unique
}

/** How a format's op column is spelled when it is forced (`format`) without `opColumn`. */
const DEFAULT_OP: Record<FeedFormat, string> = { plain: 'op', dms: 'Op', debezium: '__op', 'debezium-envelope': 'op', 'delta-cdf': '_change_type' }

/**
 * The format of a normalised batch: `format` when forced, else told by the columns; `opColumn`
 * names the op column (then the format is the one that column marks, or plain).
 */
export function planFeed(src: StructType, target: StructType, opts: { format?: 'auto' | FeedFormat; opColumn?: string }, table: string): FeedPlan {
  const forced = opts.format && opts.format !== 'auto' ? opts.format : undefined
  let format: FeedFormat
  let opColumn: string | undefined
  if (opts.opColumn !== undefined) {
    const f = findField(src, opts.opColumn)
    if (!f && src.fields.length) throw new SchemaMismatchError(`the CDC batch has no op column ${opts.opColumn}; it has ${names(src)}`, { column: opts.opColumn, table })
    opColumn = f?.name
    format = forced ?? (opColumn ? candidates({ type: 'struct', fields: [f!] }, { type: 'struct', fields: [] })[0]?.format : undefined) ?? 'plain'
  } else if (forced) {
    format = forced
    opColumn = findField(src, DEFAULT_OP[forced])?.name
    if (forced === 'delta-cdf' && !opColumn && src.fields.length) {
      throw new SchemaMismatchError(`format 'delta-cdf' needs the column _change_type; the batch has ${names(src)}`, { column: '_change_type', table })
    }
  } else {
    const found = candidates(src, target)
    if (found.length > 1) {
      const list = found.map((c) => `${c.column} (${c.format})`).join(', ')
      const hint = `pass format (${FEED_FORMATS.join(', ')}) or opColumn to say which, and ignoreColumns for the other`
      throw new ChangeFeedError(`the CDC batch has ${found.length} candidate op columns: ${list}; ${hint}`, { column: found[0].column, table })
    }
    format = found[0]?.format ?? 'plain'
    opColumn = found[0]?.column
    // a batch marked only by `__deleted`
    if (format === 'debezium' && opColumn?.toLowerCase() !== '__op') opColumn = findField(src, '__op')?.name
  }
  const deletedColumn = format === 'debezium' ? findField(src, '__deleted')?.name : undefined
  const op = opColumn?.toLowerCase()
  return {
    format,
    opColumn,
    deletedColumn,
    sequence: format === 'delta-cdf' ? findField(src, '_commit_version')?.name : undefined,
    isMeta: (name) => {
      const l = name.toLowerCase()
      if (l === op) return true
      if (format === 'debezium') return l.startsWith('__')
      if (format === 'delta-cdf') return CDF_COLUMNS.includes(l)
      return false
    },
    neverStored: (name) => format === 'delta-cdf' && CDF_COLUMNS.includes(name.toLowerCase()),
  }
}

/** `__deleted`: 'true'/'false' (any case) or a boolean; null: not given. */
function deletedFlag(v: DeltaValue): boolean | null | undefined {
  if (v === null || v === undefined) return null
  if (typeof v === 'boolean') return v
  if (typeof v === 'string') {
    const l = v.trim().toLowerCase()
    if (l === 'true') return true
    if (l === 'false') return false
  }
  return undefined
}

const names = (s: StructType): string => s.fields.map((x) => x.name).join(', ')
const show = (v: unknown): string => (typeof v === 'bigint' ? `${v}` : JSON.stringify(v ?? null))

/**
 * Each row's change (UPSERT, DELETE or SKIP); undefined when the batch has no op column (every
 * row an upsert, no per-row work). Throws ChangeFeedError naming column, value and row.
 */
export function readOps(plan: FeedPlan, src: SourceBatch, table: string): Uint8Array | undefined {
  const n = src.numRows
  const opCol = plan.opColumn ? src.columns.get(plan.opColumn) : undefined
  const delCol = plan.deletedColumn ? src.columns.get(plan.deletedColumn) : undefined
  if (!opCol && !delCol) return undefined
  const set = OPS[plan.format]
  const out = new Uint8Array(n)
  // a batch holds a few distinct op spellings: each parsed once
  const parsed = new Map<DeltaValue, number | undefined>()
  // `<what> <value> in column <c> at row <i> of the CDC batch …`: value, column and row first
  const fail = (column: string, i: number, v: unknown, what: string, after = ''): never => {
    throw new ChangeFeedError(`${what} ${show(v)} in column ${column} at row ${i} of the CDC batch${after} (format ${plan.format})`, { column, table }, { row: i, value: v })
  }
  for (let i = 0; i < n; i++) {
    let code: number | undefined = UPSERT
    const o = opCol ? opCol[i] : null
    if (o === null || o === undefined) {
      if (opCol && set.ifNull === undefined) fail(plan.opColumn!, i, o, 'operation', `; expected ${set.expected}`)
    } else {
      code = parsed.get(o)
      if (code === undefined && !parsed.has(o)) parsed.set(o, (code = typeof o === 'string' ? set.values[o.trim().toLowerCase()] : undefined))
      if (code === undefined) fail(plan.opColumn!, i, o, 'unrecognised operation', `; expected ${set.expected}`)
      if (code === TRUNCATE) fail(plan.opColumn!, i, o, 'truncate operation', ' cannot be applied row by row (empty the table with delete() and merge the events after it)')
    }
    if (delCol) {
      const d = deletedFlag(delCol[i])
      if (d === undefined) fail(plan.deletedColumn!, i, delCol[i], 'unrecognised __deleted flag', "; expected 'true', 'false' or a boolean")
      if (d !== null) {
        if (o !== null && o !== undefined && (code === DELETE) !== d) fail(plan.deletedColumn!, i, delCol[i], 'flag', ` contradicts ${plan.opColumn} = ${show(o)}`)
        code = d ? DELETE : UPSERT
      }
    }
    out[i] = code!
  }
  return out
}
