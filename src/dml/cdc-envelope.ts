// The Debezium envelope (`{ before, after, op, source, ts_ms }`, or the JSON converter's
// `{ schema, payload: { … } }`) as flat change rows: c/r/u take the `after` image, d takes the key
// columns from `before`; a Kafka tombstone (null record, or null payload) carries no change and is
// skipped. The op and the sequence (a path into the envelope such as `source.lsn`, or a column of the
// image) become hidden columns, so the rest of CDC mode reads the rows as any other feed.
import type * as arrow from 'apache-arrow'
import { ChangeFeedError, SchemaMismatchError } from '../errors.js'
import { findField, type StructType } from '../schema/types.js'
import type { WriteData } from '../write/input.js'
import { SKIP_OP } from './cdc-formats.js'
import { HIDDEN_PREFIX } from './schema-evolution.js'

export const ENVELOPE_OP = `${HIDDEN_PREFIX}envelope_op`
export const ENVELOPE_SEQ = `${HIDDEN_PREFIX}envelope_seq`

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array)
const isArrow = (d: unknown): d is arrow.Table | arrow.RecordBatch => isObj(d) && 'schema' in d && typeof (d as { getChild?: unknown }).getChild === 'function'

/** The envelope's own field names (Debezium's, plus the JSON converter's `schema`). */
const ENVELOPE_FIELDS = new Set(['before', 'after', 'op', 'source', 'ts_ms', 'ts_us', 'ts_ns', 'transaction'])

/** Whether the batch looks like envelopes: its first record has `payload`, or `op` with `before`/`after`, none of them table columns. */
export function looksLikeEnvelope(data: WriteData, target: StructType): boolean {
  let names: string[]
  if (isArrow(data)) names = data.schema.fields.map((f) => f.name)
  else if (Array.isArray(data)) {
    const first = data.find((r) => r !== null && r !== undefined)
    if (!isObj(first)) return false
    names = Object.keys(first)
  } else return false
  const has = (n: string): boolean => names.includes(n) && !findField(target, n)
  return has('payload') || (names.includes('op') && (has('after') || has('before')))
}

/** Arrow values (struct rows, vectors) as plain JS values. */
function plain(v: unknown): unknown {
  if (!isObj(v) || typeof (v as { toJSON?: unknown }).toJSON !== 'function') return v
  const j = (v as { toJSON(): unknown }).toJSON()
  if (Array.isArray(j)) return j.map(plain)
  return isObj(j) ? Object.fromEntries(Object.entries(j).map(([k, x]) => [k, plain(x)])) : j
}

/** The value at a dotted path, or undefined when a step is missing. */
function at(o: unknown, path: string[]): unknown {
  let v = o
  for (const p of path) {
    if (!isObj(v) || !(p in v)) return undefined
    v = v[p]
  }
  return v
}

/**
 * Flat rows of an envelope batch. `sequence` is a path into the envelope (`source.lsn`, `ts_ms`) or,
 * when its first step is not an envelope field, into the row image.
 */
export function unwrapEnvelope(data: WriteData, keys: string[], sequence: string | undefined, table: string): Obj[] {
  const records: unknown[] = isArrow(data) ? [...(data as Iterable<unknown>)].map(plain) : (data as unknown[])
  const path = sequence?.split('.')
  const fail = (i: number, why: string, value?: unknown): never => {
    throw new ChangeFeedError(`${why} at row ${i} of the CDC batch (format debezium-envelope)`, { table, column: 'op' }, { row: i, value })
  }
  let seen = false
  const rows = records.map((r, i) => {
    let e = r
    if (isObj(e) && 'payload' in e && !('op' in e)) e = e.payload
    if (e === null || e === undefined) return { [ENVELOPE_OP]: SKIP_OP }
    if (!isObj(e)) return fail(i, `a record that is not an envelope object (${typeof e})`, e)
    const op = e.op
    if (typeof op !== 'string') return fail(i, `an envelope without a string op (op = ${JSON.stringify(op ?? null)})`, op)
    const del = op.trim().toLowerCase() === 'd'
    const image = del ? e.before : e.after
    let row: Obj = {}
    if (isObj(image)) row = del ? Object.fromEntries(keys.map((k) => [k, image[Object.keys(image).find((x) => x.toLowerCase() === k.toLowerCase()) ?? k] ?? null])) : { ...image }
    else if (image !== null && image !== undefined) fail(i, `an envelope whose ${del ? 'before' : 'after'} image is not an object`, image)
    else if (op.trim().toLowerCase() !== 't') fail(i, `op ${JSON.stringify(op)} without ${del ? 'a before' : 'an after'} image${del ? ' (the key of a delete is read from before)' : ''}`, op)
    row[ENVELOPE_OP] = op
    if (path) {
      const v = ENVELOPE_FIELDS.has(path[0]) && path[0] in e ? at(e, path) : at(isObj(image) ? image : {}, path)
      if (v !== undefined) seen = true
      row[ENVELOPE_SEQ] = v === undefined ? null : v
    }
    return row
  })
  if (path && !seen && rows.some((r) => r[ENVELOPE_OP] !== SKIP_OP)) {
    throw new SchemaMismatchError(`the CDC batch has no sequence ${sequence}: no envelope (source, ts_ms, …) or row image holds it`, { column: sequence, table })
  }
  return rows
}
