// Applying a batch of CDC events (inserts, updates, deletes with an operation and a sequence column)
// to a Delta table keyed by primary key: the seam to `DeltaTable.merge` in CDC mode. When the table
// handle has `merge` (the dml layer), it does the work (row-level, deletion vectors); until then a
// whole-table fallback computes the same result and commits it with one overwrite. Either way the
// batch's txn id is committed with the data, so a replayed batch is skipped (exactly once).
import { InvalidArgumentError } from '../errors.js'
import type { DeltaTable } from '../table/delta-table.js'
import type { WriteResult } from '../write/operations.js'

export type Row = Record<string, unknown>
export type CdcOp = 'upsert' | 'delete'

export interface CdcOptions {
  /** Key columns (default: the table's primary key property). */
  keys?: string[]
  /** Column holding the operation: I/U/D, insert/update/delete, c/u/d/r (Debezium). */
  op: string
  /** Column ordering the events of one key (the highest wins); default: batch order. */
  sequence?: string
  /** Soft delete: a delete leaves a tombstone row (the event's image, this boolean column true), even for a key not seen yet; default: hard delete. */
  softDelete?: string
  /** Skip events older than the row the table holds (needs `sequence` stored in the table). */
  ignoreOlderThanTarget?: boolean
  /** Idempotent commit (from a stream batch). */
  txn?: { appId: string; version: number }
  /** 'auto' (default): DeltaTable.merge when the handle has it, else the overwrite fallback. */
  via?: 'auto' | 'overwrite'
}

export interface CdcResult extends WriteResult {
  /** Nothing was written: the txn was already committed. */
  skipped: boolean
  /** 'merge' when DeltaTable.merge did the work, 'overwrite' for the fallback. */
  via: 'merge' | 'overwrite' | 'none'
}

/** The normalised operation of one event, or an error naming the value. */
export function cdcOp(value: unknown, column: string): CdcOp {
  const s = typeof value === 'string' ? value.trim().toLowerCase() : ''
  if (['i', 'insert', 'c', 'create', 'r', 'read', 'u', 'update', 'upsert'].includes(s)) return 'upsert'
  if (['d', 'delete'].includes(s)) return 'delete'
  throw new InvalidArgumentError(`unknown CDC operation ${JSON.stringify(value)} in column ${column} (expected I/U/D, insert/update/delete or c/u/d/r)`, { column })
}

/** A stable text key of a row's key columns (bigint, Date and decimal text compare by value). */
export function keyOf(row: Row, keys: readonly string[]): string {
  return JSON.stringify(keys.map((k) => {
    const v = row[k]
    if (typeof v === 'bigint') return `n:${v}`
    if (v instanceof Date) return `d:${v.getTime()}`
    if (typeof v === 'number') return `n:${v}`
    return v ?? null
  }))
}

function compareSeq(a: unknown, b: unknown): number {
  if (a === b) return 0
  if (a === null || a === undefined) return -1
  if (b === null || b === undefined) return 1
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime()
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    return typeof a === 'bigint' || typeof b === 'bigint' ? (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0) : a - b
  }
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0
}

/**
 * The last event per key: highest `sequence`, ties (and no sequence) broken by batch order, the later
 * row winning. Order of the result: first appearance of each key.
 */
export function latestPerKey(rows: readonly Row[], keys: readonly string[], sequence?: string): Row[] {
  const best = new Map<string, Row>()
  for (const r of rows) {
    const k = keyOf(r, keys)
    const cur = best.get(k)
    if (!cur || !sequence || compareSeq(r[sequence], cur[sequence]) >= 0) best.set(k, r)
  }
  return [...best.values()]
}

function keysOf(table: DeltaTable, opts: CdcOptions): string[] {
  if (opts.keys?.length) return opts.keys
  const pk = table.properties['lagomago.primaryKey']
  if (pk) return JSON.parse(pk) as string[]
  throw new InvalidArgumentError(`CDC apply into ${table.url} needs keys: pass { keys } or create the table with a primaryKey`, { table: table.url })
}

type MergeCapable = DeltaTable & { merge(source: Row[], options: Record<string, unknown>): Promise<WriteResult> }

function hasMerge(t: DeltaTable): t is MergeCapable {
  return typeof (t as { merge?: unknown }).merge === 'function'
}

/** Apply CDC `rows` to `table` (the handle moves to the version written). */
export async function applyCdc(table: DeltaTable, rows: readonly Row[], opts: CdcOptions): Promise<CdcResult> {
  const keys = keysOf(table, opts)
  if (opts.txn && (table.txns.get(opts.txn.appId) ?? -1) >= opts.txn.version) return { version: table.version, metrics: {}, skipped: true, via: 'none' }
  if (rows.length === 0) return { version: table.version, metrics: {}, skipped: false, via: 'none' }
  for (const r of rows) cdcOp(r[opts.op], opts.op) // validate every op before writing anything
  if (hasMerge(table) && opts.via !== 'overwrite' && process.env.LAGOMAGO_CDC_FALLBACK !== '1') {
    // Soft deletes go to merge as upserts of a tombstone (flag true, the event's image and sequence):
    // a delete that arrives before its key's insert then still leaves a row whose sequence makes the
    // late insert "older than target", exactly as the fallback does.
    const source = opts.softDelete ? rows.map((r) => ({ ...r, [opts.op]: 'U', [opts.softDelete!]: cdcOp(r[opts.op], opts.op) === 'delete' })) : [...rows]
    // DeltaTable.merge in CDC mode (src/dml/cdc.ts: CdcMergeOptions)
    const r = await table.merge(source, {
      keys, opColumn: opts.op, sequence: opts.sequence, ignoreOlderThanTarget: opts.ignoreOlderThanTarget, ...(opts.txn ? { txn: opts.txn } : {}),
    })
    return { ...r, skipped: false, via: 'merge' }
  }
  return applyByOverwrite(table, rows, keys, opts)
}

/** The fallback: current rows + events → new rows, one overwrite (small tables only). */
async function applyByOverwrite(table: DeltaTable, rows: readonly Row[], keys: string[], opts: CdcOptions): Promise<CdcResult> {
  const columns = table.schema.fields.map((f) => f.name)
  const seqStored = opts.sequence !== undefined && columns.includes(opts.sequence)
  const current = new Map<string, Row>()
  for (const r of await table.toRows()) current.set(keyOf(r, keys), r)
  const project = (r: Row): Row => Object.fromEntries(columns.map((c) => [c, r[c] ?? null]))
  let inserted = 0, updated = 0, deleted = 0, ignored = 0
  for (const ev of latestPerKey(rows, keys, opts.sequence)) {
    const k = keyOf(ev, keys)
    const target = current.get(k)
    if (opts.ignoreOlderThanTarget && seqStored && target && compareSeq(target[opts.sequence!], ev[opts.sequence!]) > 0) { ignored++; continue }
    if (cdcOp(ev[opts.op], opts.op) === 'delete') {
      // the tombstone is the delete event's image (its sequence keeps older events out)
      if (opts.softDelete) current.set(k, { ...project(ev), [opts.softDelete]: true })
      else current.delete(k)
      if (target && !(opts.softDelete && target[opts.softDelete] === true)) deleted++
    } else {
      const row = project(ev)
      if (opts.softDelete) row[opts.softDelete] = false
      current.set(k, row)
      if (target && !(opts.softDelete && target[opts.softDelete] === true)) updated++
      else inserted++
    }
  }
  const r = await table.overwrite([...current.values()], opts.txn ? { txn: opts.txn } : {})
  return { version: r.version, metrics: { ...r.metrics, numTargetRowsInserted: inserted, numTargetRowsUpdated: updated, numTargetRowsDeleted: deleted, numSourceRowsIgnored: ignored }, skipped: false, via: 'overwrite' }
}
