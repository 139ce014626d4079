// Silver helpers: thin, composable functions over plain rows (what `toRows`, `changes` and the
// sources hand out): rename to conformed names, clean text, cast to a declared schema, drop bad
// rows, dedupe by key, and turn a bronze change feed into keyed upserts/deletes for `applyCdc`.
import type { StructType } from '../schema/types.js'
import { castRows } from './cast.js'
import { keyOf, latestPerKey, type Row } from './cdc.js'

export type RowFn = (rows: Row[]) => Row[]

/** Compose row functions left to right: `pipe(rename(...), clean(), dedupe(...))(rows)`. */
export function pipe(...fns: RowFn[]): RowFn {
  return (rows) => fns.reduce((acc, f) => f(acc), rows)
}

/** Rename columns (`{ old: 'new' }`); other columns keep their names. */
export function rename(mapping: Record<string, string>): RowFn {
  return (rows) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [mapping[k] ?? k, v])))
}

/** Keep only these columns, in this order. */
export function select(columns: string[]): RowFn {
  return (rows) => rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null])))
}

/** Add or replace columns computed from each row. */
export function withColumns(defs: Record<string, (row: Row) => unknown>): RowFn {
  return (rows) => rows.map((r) => {
    const out = { ...r }
    for (const [k, f] of Object.entries(defs)) out[k] = f(r)
    return out
  })
}

/** Trim text and collapse inner whitespace; empty text becomes null. `upper`: columns to upper-case. */
export function cleanText(options: { columns?: string[]; upper?: string[]; digitsOnly?: string[] } = {}): RowFn {
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

/** Cast to a declared schema (unknown columns dropped, uncastable values null). */
export function cast(schema: StructType): RowFn {
  return (rows) => castRows(rows, schema, { mode: 'permissive' })
}

/** Keep rows for which `pred` holds (e.g. required columns present). */
export function where(pred: (row: Row) => boolean): RowFn {
  return (rows) => rows.filter(pred)
}

/** Rows whose `columns` are all non-null. */
export function requireColumns(columns: string[]): RowFn {
  return where((r) => columns.every((c) => r[c] !== null && r[c] !== undefined))
}

/** One row per key: the highest `orderBy` (ties and no order: the later row). */
export function dedupe(keys: string[], orderBy?: string): RowFn {
  return (rows) => latestPerKey(rows, keys, orderBy)
}

const CHANGE_RANK: Record<string, number> = { update_preimage: 0, delete: 0, insert: 1, update_postimage: 1 }

export interface ChangeEventsOptions {
  keys: string[]
  /** Name of the op column produced (default `_op`: 'U' upsert or 'D' delete). */
  opColumn?: string
  /** A soft-delete flag in the source: a row with it true is a delete downstream. */
  softDeleteColumn?: string
}

/**
 * Change-feed rows (`_change_type`, `_commit_version`) → one event per key: the key's last change
 * (by commit, deletes/pre-images before inserts/post-images within a commit). Inserts and post-images
 * become upserts ('U'), deletes (and soft-delete tombstones) deletes ('D'). CDF columns are dropped.
 */
export function changesToEvents(changes: readonly Row[], options: ChangeEventsOptions): Row[] {
  const op = options.opColumn ?? '_op'
  const ordered = changes
    .map((r, i) => ({ r, i, v: Number(r._commit_version), rank: CHANGE_RANK[String(r._change_type)] ?? 1 }))
    .filter((x) => x.r._change_type !== 'update_preimage')
    .sort((a, b) => a.v - b.v || a.rank - b.rank || a.i - b.i)
  const last = new Map<string, Row>()
  for (const { r } of ordered) last.set(keyOf(r, options.keys), r)
  const out: Row[] = []
  for (const r of last.values()) {
    const { _change_type, _commit_version, _commit_timestamp, ...data } = r
    void _commit_version; void _commit_timestamp
    const deleted = _change_type === 'delete' || (options.softDeleteColumn !== undefined && data[options.softDeleteColumn] === true)
    out.push({ ...data, [op]: deleted ? 'D' : 'U' })
  }
  return out
}
