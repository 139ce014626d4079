// A CDC batch made ready for one MERGE: format told (cdc-formats.ts, envelopes unwrapped by
// cdc-envelope.ts), every row's change read, the columns checked against the table as `append`
// checks them, then reduced to the latest change per key (highest sequence; ties and no sequence:
// the later row) with a hidden delete flag. Everything is validated before anything is written.
import { ConstraintViolationError, InvalidArgumentError, SchemaMismatchError } from '../errors.js'
import { bindExpr } from '../expr/bind.js'
import { comparatorFor } from '../expr/eval.js'
import type { Snapshot } from '../log/snapshot.js'
import { findField, type StructField, type StructType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import type { WriteData } from '../write/input.js'
import { PRIMARY_KEY_PROPERTY } from '../write/operations.js'
import type { ColumnValues } from '../write/parquet-write.js'
import { ENVELOPE_OP, ENVELOPE_SEQ, looksLikeEnvelope, unwrapEnvelope } from './cdc-envelope.js'
import { DELETE, planFeed, readOps, SKIP, UPSERT, type FeedFormat, type FeedPlan } from './cdc-formats.js'
import { keyValues, sideBatch, SourceIndex, SOURCE } from './join.js'
import { engineFilled, MISSING_HINT } from './merge-exec.js'
import type { PreparedKeys } from './merge-types.js'
import { HIDDEN_PREFIX } from './schema-evolution.js'
import { normalizeSource, type SourceBatch } from './source.js'

export const DELETE_FLAG = `${HIDDEN_PREFIX}cdc_delete`
/** The sequence, kept for the late-event guard when the table does not store it. */
export const HIDDEN_SEQ = `${HIDDEN_PREFIX}seq`

/** What the merge's result reports: the format, op column and sequence used. */
export interface CdcInfo {
  format: FeedFormat
  opColumn: string | null
  sequence: string | null
}

export interface CdcBatchOptions {
  keys?: string | string[]
  format?: 'auto' | FeedFormat
  opColumn?: string
  sequence?: string
  ignoreColumns?: string[]
  mergeSchema?: boolean
  softDelete?: { column: string }
}

export interface PreparedCdcBatch {
  source: SourceBatch
  keys: string[]
  joinKeys: PreparedKeys
  cdc: CdcInfo
  /** The source column holding the sequence (a stored column, or HIDDEN_SEQ); none without one. */
  seqColumn?: string
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

/** The batch's format and its plan; envelopes are unwrapped to flat rows first. */
function readFeed(snapshot: Snapshot, data: WriteData, keys: string[], opts: CdcBatchOptions): { src: SourceBatch; plan: FeedPlan; seqName?: string } {
  const table = snapshot.tableUrl
  const envelope = opts.format === 'debezium-envelope' || ((opts.format ?? 'auto') === 'auto' && looksLikeEnvelope(data, snapshot.schema))
  if (!envelope) {
    const src = normalizeSource(data, snapshot.schema, table)
    const plan = planFeed(src.schema, snapshot.schema, opts, table)
    return { src, plan, seqName: opts.sequence ?? plan.sequence }
  }
  if (opts.opColumn !== undefined) throw new InvalidArgumentError(`opColumn does not apply to a Debezium envelope (its op is the envelope's op field); got opColumn ${opts.opColumn}`, { table })
  const src = normalizeSource(unwrapEnvelope(data, keys, opts.sequence, table), snapshot.schema, table)
  const plan: FeedPlan = { format: 'debezium-envelope', opColumn: ENVELOPE_OP, isMeta: (n) => n === ENVELOPE_OP || n === ENVELOPE_SEQ, neverStored: () => true }
  return { src, plan, seqName: opts.sequence === undefined ? undefined : ENVELOPE_SEQ }
}

/** The batch columns to store: refused when neither the table's nor the format's, unless mergeSchema or ignoreColumns. */
function storedFields(snapshot: Snapshot, src: SourceBatch, plan: FeedPlan, seqField: StructField | undefined, opts: CdcBatchOptions): StructField[] {
  const table = snapshot.tableUrl
  const ignore = new Set((opts.ignoreColumns ?? []).map((c) => c.toLowerCase()))
  const out: StructField[] = []
  for (const f of src.schema.fields) {
    if (ignore.has(f.name.toLowerCase())) continue
    const inTable = findField(snapshot.schema, f.name) !== undefined
    // the format's inputs (op, flags, metadata, sequence) are stored only where the table has the column
    if ((plan.isMeta(f.name) || f === seqField) && (!inTable || plan.neverStored(f.name))) continue
    if (!inTable && !opts.mergeSchema) {
      const hint = `pass mergeSchema: true to add it, or ignoreColumns: [${JSON.stringify(f.name)}] to drop it`
      throw new SchemaMismatchError(`column ${f.name} of the CDC batch (format ${plan.format}) is not in the table schema; ${hint}`, { column: f.name, table })
    }
    out.push(f)
  }
  return out
}

/** Delta's `*All` rule for the upserts: a target column the whole batch lacks is an error unless mergeSchema. */
function checkMissing(snapshot: Snapshot, fields: StructField[], plan: FeedPlan, opts: CdcBatchOptions): void {
  if (opts.mergeSchema) return
  const have = new Set(fields.map((f) => f.name.toLowerCase()))
  const soft = opts.softDelete?.column.toLowerCase()
  for (const f of snapshot.schema.fields) {
    if (have.has(f.name.toLowerCase()) || f.name.toLowerCase() === soft || engineFilled(f)) continue
    const has = fields.map((x) => x.name).join(', ')
    throw new SchemaMismatchError(`cannot resolve target column ${f.name} in the CDC batch (format ${plan.format}), which has ${has}; ${MISSING_HINT}`, { column: f.name, table: snapshot.tableUrl })
  }
}

/** Reduce a batch to one change per key, with the hidden delete flag; validates before anything is written. */
export function prepareCdcBatch(snapshot: Snapshot, data: WriteData, opts: CdcBatchOptions): PreparedCdcBatch {
  const table = snapshot.tableUrl
  const keys = cdcKeys(snapshot, opts.keys)
  const { src, plan, seqName } = readFeed(snapshot, data, keys, opts)
  const n = src.numRows
  const seqField = seqName === undefined ? undefined : findField(src.schema, seqName)
  if (seqName !== undefined && !seqField && n > 0) throw new SchemaMismatchError(`the CDC batch has no sequence column ${seqName}`, { column: seqName, table })
  const cdc: CdcInfo = {
    format: plan.format,
    opColumn: plan.format === 'debezium-envelope' ? 'op' : plan.opColumn ?? null,
    sequence: (plan.format === 'debezium-envelope' ? opts.sequence : seqField?.name) ?? null,
  }
  const ops = readOps(plan, src, table)
  let upserts = ops ? 0 : n
  let skips = 0
  if (ops) for (let i = 0; i < n; i++) { if (ops[i] === UPSERT) upserts++; else if (ops[i] === SKIP) skips++ }
  // only rows without a change (tombstones, pre-images): an empty batch
  if (n > 0 && skips === n) return { ...prepareCdcBatch(snapshot, [], { keys, softDelete: opts.softDelete }), cdc }

  for (const k of keys) {
    const values = src.columns.get(findField(src.schema, k)?.name ?? k)
    if (!values && n > skips) throw new SchemaMismatchError(`the CDC batch lacks key column ${k}`, { column: k, table })
    // a 64-bit typed column holds no null (and reading it would allocate a BigInt per row)
    if (values instanceof BigInt64Array || values instanceof Float64Array || values instanceof Int32Array) continue
    for (let i = 0; values && i < n; i++) {
      if ((values[i] === null || values[i] === undefined) && ops?.[i] !== SKIP) throw new ConstraintViolationError(`key column ${k} is null at row ${i} of the CDC batch`, { column: k, table })
    }
  }
  const fields = storedFields(snapshot, src, plan, seqField, opts)
  if (upserts > 0) checkMissing(snapshot, fields, plan, opts)

  // Latest change per key: highest sequence; ties and no sequence: the later row. Skipped rows never win.
  const scope = { sides: [{ name: SOURCE, schema: src.schema }] }
  const jk = keys.map((k) => ({ target: bindExpr({ kind: 'column', path: [SOURCE, k] }, scope), source: bindExpr({ kind: 'column', path: [SOURCE, k] }, scope), nullSafe: false }))
  const kv = keyValues(jk, SOURCE, sideBatch(n, { [SOURCE]: { columns: src.columns } }))
  const seq = seqField ? src.columns.get(seqField.name)! : undefined
  // Distinct dense integer keys (the common CDC batch) need no dedupe: the source index's direct
  // table tells, and no Map is built.
  const distinct = skips ? undefined : new SourceIndex(kv)
  let winner: Map<unknown, number> | undefined
  if (!distinct?.direct) {
    const cmp = seqField ? comparatorFor(seqField.type) : undefined
    winner = new Map<unknown, number>()
    for (let i = 0; i < n; i++) {
      if (skips && ops![i] === SKIP) continue
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
  if (identity) joinKeys = { keys: kv, index: winner ? new SourceIndex(kv, winner) : distinct! }
  else {
    const kept = rows.map((r) => kv[r])
    joinKeys = { keys: kept, index: new SourceIndex(kept, new Map(kept.map((k, j) => [k, j]))) }
  }

  const columns = new Map<string, ColumnValues>()
  for (const f of fields) {
    const v = src.columns.get(f.name)
    if (v) columns.set(f.name, gather(v))
  }
  const flags: boolean[] = identity ? new Array<boolean>(n) : new Array<boolean>(rows.length)
  if (identity) for (let i = 0; i < n; i++) flags[i] = ops !== undefined && ops[i] === DELETE
  else for (let j = 0; j < rows.length; j++) flags[j] = ops !== undefined && ops[rows[j]] === DELETE
  columns.set(DELETE_FLAG, flags)
  const schema: StructType = { type: 'struct', fields: [...fields, { name: DELETE_FLAG, type: 'boolean', nullable: false, metadata: {} }] }
  // keep the sequence readable for the late-event guard even when not stored
  let seqColumn = seqField && fields.includes(seqField) ? seqField.name : undefined
  if (seqField && !seqColumn) {
    columns.set(HIDDEN_SEQ, gather(src.columns.get(seqField.name)!))
    schema.fields.push({ ...seqField, name: HIDDEN_SEQ, nullable: true })
    seqColumn = HIDDEN_SEQ
  }
  return { source: { numRows: identity ? n : rows.length, schema, columns }, keys, joinKeys, cdc, seqColumn }
}
