// CDC mode: `table.merge(cdcBatch, options?)`. A batch of change events (op column: I/U/D,
// insert/update/delete, Debezium c/u/d/r; none means upsert) is reduced to the latest change per key
// (highest `sequence`, ties and no sequence: the later row), then applied as one MERGE: U for a
// missing key inserts, I for an existing key updates, D deletes (hard, or a soft-delete flag).
// The op and sequence columns are inputs, stored only when the table's schema has them.
import { ConstraintViolationError, InvalidArgumentError, SchemaMismatchError } from '../errors.js'
import type { Expr } from '../expr/ast.js'
import { comparatorFor } from '../expr/eval.js'
import type { Snapshot } from '../log/snapshot.js'
import { findField, type StructField } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import type { WriteData } from '../write/input.js'
import { PRIMARY_KEY_PROPERTY } from '../write/operations.js'
import type { ColumnValues } from '../write/parquet-write.js'
import type { WriteFilesOptions } from '../write/data-files.js'
import type { Assignments, ClauseSpec } from './clauses.js'
import { keyValues, sideBatch, SourceIndex, SOURCE, TARGET } from './join.js'
import { executeMerge } from './merge-exec.js'
import type { MergeResult, PreparedKeys } from './merge-types.js'
import { HIDDEN_PREFIX } from './schema-evolution.js'
import { normalizeSource, type SourceBatch } from './source.js'
import { bindExpr } from '../expr/bind.js'

export interface CdcMergeOptions {
  /** Key columns; default: the table's primary key (set at create). */
  keys?: string | string[]
  /** Column holding the operation (default `op`); absent from the batch → every row is an upsert. */
  opColumn?: string
  /** Column ordering changes (LSN, timestamp, offset): per key the highest wins. */
  sequence?: string
  /** Skip changes whose sequence is older than the target row's stored one (needs the column in the table). */
  ignoreOlderThanTarget?: boolean
  /** Soft deletes: set this boolean column to true instead of removing the row. */
  softDelete?: { column: string }
  mergeSchema?: boolean
  isolationLevel?: string
  txn?: { appId: string; version: number }
  write?: WriteFilesOptions
  flushRows?: number
}

const DELETE_FLAG = `${HIDDEN_PREFIX}cdc_delete`

/** An op value → delete (true) or upsert (false); undefined when unrecognised. */
export function parseOp(v: DeltaValue): boolean | undefined {
  if (typeof v !== 'string') return undefined
  switch (v.trim().toLowerCase()) {
    case 'i': case 'insert': case 'c': case 'create': case 'r': case 'read': case 'snapshot':
    case 'u': case 'update': case 'upsert':
      return false
    case 'd': case 'delete':
      return true
  }
  return undefined
}

/** The table's key columns: options.keys, else the primary key property. */
export function cdcKeys(snapshot: Snapshot, keys: string | string[] | undefined): string[] {
  const table = snapshot.tableUrl
  let out: string[] | undefined = keys === undefined ? undefined : Array.isArray(keys) ? keys : [keys]
  if (!out) {
    const pk = snapshot.properties[PRIMARY_KEY_PROPERTY]
    if (pk) {
      try { out = JSON.parse(pk) as string[] } catch { /* reported below */ }
    }
  }
  if (!out || out.length === 0) {
    throw new InvalidArgumentError(`CDC merge needs key columns: the table ${table} has no primary key (${PRIMARY_KEY_PROPERTY}); pass options.keys`, { table })
  }
  return out.map((k) => {
    const f = findField(snapshot.schema, k)
    if (!f) throw new SchemaMismatchError(`CDC key column ${k} is not in the table schema (${snapshot.schema.fields.map((x) => x.name).join(', ')})`, { column: k, table })
    return f.name
  })
}

/** Reduce a batch to one change per key, with the hidden delete flag; validates before anything is written. */
export function prepareCdcBatch(snapshot: Snapshot, data: WriteData, opts: CdcMergeOptions): { source: SourceBatch; keys: string[]; joinKeys: PreparedKeys } {
  const table = snapshot.tableUrl
  const keys = cdcKeys(snapshot, opts.keys)
  const src = normalizeSource(data, snapshot.schema, table)
  const n = src.numRows
  for (const k of keys) {
    const values = src.columns.get(k)
    if (!values && n > 0) throw new SchemaMismatchError(`the CDC batch lacks key column ${k}`, { column: k, table })
    // a 64-bit typed column holds no null (and reading it would allocate a BigInt per row)
    if (values instanceof BigInt64Array || values instanceof Float64Array || values instanceof Int32Array) continue
    for (let i = 0; values && i < n; i++) {
      if (values[i] === null || values[i] === undefined) throw new ConstraintViolationError(`key column ${k} is null at row ${i} of the CDC batch`, { column: k, table })
    }
  }
  const opName = opts.opColumn ?? 'op'
  const opField = findField(src.schema, opName)
  if (opts.opColumn && !opField && n > 0) throw new SchemaMismatchError(`the CDC batch has no op column ${opts.opColumn}`, { column: opts.opColumn, table })
  const isDelete = new Array<DeltaValue>(n).fill(false)
  if (opField) {
    const ops = src.columns.get(opField.name)!
    // a batch holds a few distinct op spellings: each parsed once
    const parsed = new Map<DeltaValue, boolean | undefined>()
    for (let i = 0; i < n; i++) {
      const o = ops[i]
      // a row without an op (null) is an upsert, like a batch without the column
      if (o === null || o === undefined) continue
      let d = parsed.get(o)
      if (d === undefined && !parsed.has(o)) parsed.set(o, (d = parseOp(o)))
      if (d === undefined) throw new InvalidArgumentError(`unrecognised operation ${JSON.stringify(ops[i] ?? null)} in column ${opField.name} at row ${i} (expected I/U/D, insert/update/delete or c/u/d/r)`, { column: opField.name, table })
      isDelete[i] = d
    }
  }
  const seqField = opts.sequence === undefined ? undefined : findField(src.schema, opts.sequence)
  if (opts.sequence !== undefined && !seqField && n > 0) throw new SchemaMismatchError(`the CDC batch has no sequence column ${opts.sequence}`, { column: opts.sequence, table })

  // Latest change per key: highest sequence; ties and no sequence: the later row
  const scope = { sides: [{ name: SOURCE, schema: src.schema }] }
  const jk = keys.map((k) => ({ target: bindExpr({ kind: 'column', path: [SOURCE, k] }, scope), source: bindExpr({ kind: 'column', path: [SOURCE, k] }, scope), nullSafe: false }))
  const kv = keyValues(jk, SOURCE, sideBatch(n, { [SOURCE]: { columns: src.columns } }))
  const seq = seqField ? src.columns.get(seqField.name)! : undefined
  // Distinct dense integer keys (the common CDC batch) need no dedupe: the source index's direct
  // table tells, and no Map is built.
  const distinct = new SourceIndex(kv)
  let winner: Map<unknown, number> | undefined
  if (!distinct.direct) {
    const cmp = seqField ? comparatorFor(seqField.type) : undefined
    winner = new Map<unknown, number>()
    for (let i = 0; i < n; i++) {
      const prev = winner.get(kv[i])
      if (prev === undefined || !seq) { winner.set(kv[i], i); continue }
      const a = seq[prev] ?? null
      const b = seq[i] ?? null
      // a null sequence is older than any value
      if (b === null ? a === null : a === null || cmp!(b, a) >= 0) winner.set(kv[i], i)
    }
  }
  // one change per key already (the common case): keep the columns as they are
  const identity = !winner || winner.size === n
  const rows = identity ? [] : [...winner!.values()].sort((a, b) => a - b)
  const gather = (v: ArrayLike<DeltaValue>): ColumnValues => (identity ? v : rows.map((r) => v[r] ?? null))
  // The join's source keys and index, as executeMerge would build them for `on: keys`: each key once,
  // so the winner map is the index (of the kept rows, renumbered when some were dropped).
  let joinKeys: PreparedKeys
  if (identity) joinKeys = { keys: kv, index: winner ? new SourceIndex(kv, winner) : distinct }
  else {
    const kept = rows.map((r) => kv[r])
    joinKeys = { keys: kept, index: new SourceIndex(kept, new Map(kept.map((k, j) => [k, j]))) }
  }

  // Op and sequence columns are inputs: dropped unless the table stores them
  const fields: StructField[] = src.schema.fields.filter((f) => {
    if (opField && f.name === opField.name && !findField(snapshot.schema, f.name)) return false
    if (seqField && f.name === seqField.name && !findField(snapshot.schema, f.name)) return false
    return true
  })
  const columns = new Map<string, ColumnValues>()
  for (const f of fields) {
    const v = src.columns.get(f.name)
    if (v) columns.set(f.name, gather(v))
  }
  columns.set(DELETE_FLAG, gather(isDelete))
  const schema = { type: 'struct' as const, fields: [...fields, { name: DELETE_FLAG, type: 'boolean' as const, nullable: false, metadata: {} }] }
  // keep the sequence column readable for the late-event guard even when not stored
  if (seqField && !fields.includes(seqField)) {
    const v = src.columns.get(seqField.name)!
    const name = `${HIDDEN_PREFIX}seq`
    columns.set(name, gather(v))
    schema.fields.push({ ...seqField, name, nullable: true })
  }
  return { source: { numRows: identity ? n : rows.length, schema, columns }, keys, joinKeys }
}

const col = (side: string, name: string): Expr => ({ kind: 'column', path: [side, name] })
const flag: Expr = col(SOURCE, DELETE_FLAG)
const notFlag: Expr = { kind: 'not', arg: flag }
const and = (...args: (Expr | undefined)[]): Expr => ({ kind: 'and', args: args.filter((a): a is Expr => a !== undefined) })

/** Apply a CDC batch to the table of `snapshot` in one commit. */
export async function mergeCdc(snapshot: Snapshot, data: WriteData, opts: CdcMergeOptions = {}): Promise<MergeResult> {
  const table = snapshot.tableUrl
  const { source, keys, joinKeys } = prepareCdcBatch(snapshot, data, opts)
  let soft: StructField | undefined
  if (opts.softDelete) {
    soft = findField(snapshot.schema, opts.softDelete.column)
    if (!soft || soft.type !== 'boolean') throw new SchemaMismatchError(`soft-delete column ${opts.softDelete.column} must be a boolean column of the table`, { column: opts.softDelete.column, table })
  }
  // Late events: applied unless asked to skip them and the table stores the sequence column
  let guard: Expr | undefined
  const stored = opts.sequence === undefined ? undefined : findField(snapshot.schema, opts.sequence)
  if (opts.ignoreOlderThanTarget && stored) {
    const s = findField(source.schema, stored.name) ? col(SOURCE, stored.name) : col(SOURCE, `${HIDDEN_PREFIX}seq`)
    guard = { kind: 'or', args: [{ kind: 'isNull', arg: col(TARGET, stored.name), negated: false }, { kind: 'compare', op: '>=', left: s, right: col(TARGET, stored.name) }] }
  }
  const revive: Assignments | undefined = soft && !findField(source.schema, soft.name) ? { [soft.name]: false } : undefined
  const matched: ClauseSpec[] = []
  if (soft) {
    const set: Assignments = { [soft.name]: true }
    if (stored) set[stored.name] = findField(source.schema, stored.name) ? col(SOURCE, stored.name) : col(SOURCE, `${HIDDEN_PREFIX}seq`)
    matched.push({ kind: 'update', condition: and(flag, guard), assign: set })
  } else {
    matched.push({ kind: 'delete', condition: and(flag, guard) })
  }
  matched.push({ kind: 'update', condition: and(notFlag, guard), assign: 'all', extra: revive })
  const notMatched: ClauseSpec[] = [{ kind: 'insert', condition: notFlag, assign: 'all', extra: revive }]
  return executeMerge(snapshot, data, { matched, notMatched, notMatchedBySource: [] }, {
    on: keys, preparedSource: source, preparedKeys: joinKeys, mergeSchema: opts.mergeSchema, isolationLevel: opts.isolationLevel, txn: opts.txn, write: opts.write, flushRows: opts.flushRows,
  })
}
