// Silver helpers: thin, composable functions over plain rows (what `toRows`, `changes` and the
// sources hand out): rename to conformed names, clean text, cast to a declared schema, drop bad
// rows, dedupe by key, and ready a bronze change feed (soft deletes as deletes) for `applyCdc`.
import type { StructType } from '../index.js'
import { checkOptions } from '../options.js'
import { castRows, rescueColumn, type CastOptions } from './cast.js'
import { keyOf, type Row } from './rows.js'

/** A silver step: rows in, rows out (compose with `pipe`). */
export type RowFn = (rows: Row[]) => Row[]

/**
 * Compose row functions left to right: `pipe(rename(...), clean(), dedupe(...))(rows)`.
 * @example
 * const clean = pipe(rename({ nome: 'name' }), dedupe(['id'], 'updated_at'))
 * const rows = clean(await bronze.toRows())
 */
export function pipe(...fns: RowFn[]): RowFn {
  return (rows) => fns.reduce((acc, f) => f(acc), rows)
}

/**
 * Rename columns (`{ old: 'new' }`); other columns keep their names.
 * @example
 * const silver = rename({ nome: 'name', cidade: 'city' })(rows)
 */
export function rename(mapping: Record<string, string>): RowFn {
  return (rows) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [mapping[k] ?? k, v])))
}

/**
 * Keep only these columns, in this order.
 * @example
 * const slim = select(['id', 'name'])(rows)
 */
export function select(columns: string[]): RowFn {
  return (rows) => rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null])))
}

/**
 * Add or replace columns computed from each row.
 * @example
 * const priced = withColumns({ total: (r) => Number(r.qty) * Number(r.price) })(rows)
 */
export function withColumns(defs: Record<string, (row: Row) => unknown>): RowFn {
  return (rows) => rows.map((r) => {
    const out = { ...r }
    for (const [k, f] of Object.entries(defs)) out[k] = f(r)
    return out
  })
}

/**
 * Trim text and collapse inner whitespace; empty text becomes null. `upper`: columns to upper-case.
 * @example
 * const clean = cleanText({ upper: ['uf'], digitsOnly: ['cpf'] })(rows)
 */
export function cleanText(options: { columns?: string[]; upper?: string[]; digitsOnly?: string[] } = {}): RowFn {
  checkOptions('cleanText', options, ['columns', 'upper', 'digitsOnly'])
  const upper = new Set(options.upper ?? [])
  const digits = new Set(options.digitsOnly ?? [])
  return (rows) => rows.map((r) => {
    const out: Row = { ...r }
    for (const [k, v] of Object.entries(r)) {
      if (typeof v !== 'string' || (options.columns && !options.columns.includes(k) && !upper.has(k) && !digits.has(k))) continue
      let s = v.trim().replace(/\s+/g, ' ')
      if (digits.has(k)) s = s.replace(/\D/g, '')
      if (upper.has(k)) s = s.toUpperCase()
      out[k] = s === '' ? null : s
    }
    return out
  })
}

/**
 * Cast to a declared schema. By default a value that cannot be cast becomes null and its original,
 * with any column the schema lacks, goes to `_rescued_data` (JSON; null when nothing was rescued);
 * `onError: 'fail'` throws a CastError instead. Text is read as ISO unless `locale`/`dateFormat` say otherwise.
 * @example
 * const typed = castToSchema(schema, { locale: 'pt-BR' })(rawRows)
 */
export function castToSchema(schema: StructType, options: CastOptions = {}): RowFn {
  rescueColumn('castToSchema', options)
  return (rows) => castRows(rows, schema, options)
}

/**
 * Keep rows for which `pred` holds (e.g. required columns present).
 * @example
 * const active = where((r) => r.status === 'active')(rows)
 */
export function where(pred: (row: Row) => boolean): RowFn {
  return (rows) => rows.filter(pred)
}

/**
 * Rows whose `columns` are all non-null.
 * @example
 * const complete = requireColumns(['id', 'email'])(rows)
 */
export function requireColumns(columns: string[]): RowFn {
  return where((r) => columns.every((c) => r[c] !== null && r[c] !== undefined))
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0
  if (a === null || a === undefined) return -1
  if (b === null || b === undefined) return 1
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime()
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    return typeof a === 'number' && typeof b === 'number' ? a - b : BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0
  }
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0
}

/**
 * One row per key: the highest `orderBy` (nulls lowest; ties and no order: the later row), in order of first appearance.
 * @example
 * const latest = dedupe(['id'], 'updated_at')(rows) // one row per id
 */
export function dedupe(keys: string[], orderBy?: string): RowFn {
  return (rows) => {
    const best = new Map<string, Row>()
    for (const r of rows) {
      const k = keyOf(r, keys)
      const cur = best.get(k)
      if (!cur || orderBy === undefined || compareValues(r[orderBy], cur[orderBy]) >= 0) best.set(k, r)
    }
    return [...best.values()]
  }
}

/** Options of `changesToEvents`. */
export interface ChangeEventsOptions {
  /** A soft-delete flag in the source: a row with it true is a delete downstream. */
  softDeleteColumn?: string
}

/**
 * A change feed (`_change_type`, `_commit_version`, `_commit_timestamp`, as `changes()` and
 * DeltaSource give it) ready for `applyCdc`, which reads it as the Delta CDF format: pre-images
 * dropped, rows in commit order with deletes before inserts within a commit (a rewrite of a key in
 * one commit ends with its insert), and rows whose soft-delete flag is true turned into deletes.
 * @example
 * await applyCdc(silver, changesToEvents(await bronze.changes({ startVersion: 1 })))
 */
export function changesToEvents(changes: readonly Row[], options: ChangeEventsOptions = {}): Row[] {
  checkOptions('changesToEvents', options, ['softDeleteColumn'])
  const flag = options.softDeleteColumn
  return changes
    .map((r, i) => ({ r, i, v: Number(r._commit_version), rank: r._change_type === 'delete' ? 0 : 1 }))
    .filter((x) => x.r._change_type !== 'update_preimage')
    .sort((a, b) => a.v - b.v || a.rank - b.rank || a.i - b.i)
    .map(({ r }) => (flag !== undefined && r[flag] === true && r._change_type !== 'delete' ? { ...r, _change_type: 'delete' } : r))
}
