// The MERGE join: splitting a bound ON condition into equi-join keys (target expr = source expr),
// target-only and source-only conjuncts and a residual; hashing key values; and the columnar batch
// over (target row, source row) pairs the clause conditions and assignments are evaluated on.
import { isBound, referencedColumns, type BoundExpr } from '../expr/bind.js'
import { evalExpression, type ColumnBatch } from '../expr/eval.js'
import type { DeltaValue } from '../schema/values.js'
import { keyHead, keyPath, pathKey } from '../schema/column-path.js'
import type { ColumnValues } from '../write/parquet-write.js'

export const TARGET = 'target'
export const SOURCE = 'source'

export interface JoinKey {
  /** Reads only target columns. */
  target: BoundExpr
  /** Reads only source columns. */
  source: BoundExpr
  /** `<=>`: nulls match each other. */
  nullSafe: boolean
}

export interface JoinPlan {
  keys: JoinKey[]
  /** Conjuncts reading only the target (also used to prune files). */
  targetOnly: BoundExpr[]
  /** Every conjunct that is not a key, evaluated on candidate pairs. */
  residual: BoundExpr[]
}

function sidesOf(e: BoundExpr): Set<string> {
  return new Set(referencedColumns(e).map(keyHead))
}

function only(e: BoundExpr, side: string): boolean {
  const s = sidesOf(e)
  return s.size === 1 && s.has(side)
}

function conjuncts(e: BoundExpr): BoundExpr[] {
  return e.kind === 'and' ? e.args.flatMap(conjuncts) : [e]
}

/** Split a condition bound against the target/source scope. */
export function planJoin(on: BoundExpr): JoinPlan {
  const plan: JoinPlan = { keys: [], targetOnly: [], residual: [] }
  for (const c of conjuncts(on)) {
    if (c.kind === 'literal' && c.value === true) continue
    if (c.kind === 'compare' && (c.op === '=' || c.op === '<=>')) {
      const nullSafe = c.op === '<=>'
      if (only(c.left, TARGET) && only(c.right, SOURCE)) { plan.keys.push({ target: c.left, source: c.right, nullSafe }); continue }
      if (only(c.left, SOURCE) && only(c.right, TARGET)) { plan.keys.push({ target: c.right, source: c.left, nullSafe }); continue }
    }
    if (only(c, TARGET)) plan.targetOnly.push(c)
    plan.residual.push(c)
  }
  return plan
}

/** A bound expression over one side rewritten to plain column keys (for file skipping on the target schema). */
export function unqualify(e: BoundExpr): BoundExpr {
  if (e.kind === 'column') {
    const { side: _side, ...rest } = e
    return { ...rest, key: pathKey(e.path) }
  }
  if (e.kind === 'literal') return e
  const out: Record<string, unknown> = { ...e }
  for (const [k, v] of Object.entries(out)) {
    if (isBound(v)) out[k] = unqualify(v)
    else if (Array.isArray(v)) {
      out[k] = v.map((x) => (isBound(x) ? unqualify(x) : typeof x === 'object' && x !== null && 'when' in x ? { when: unqualify(x.when), then: unqualify(x.then) } : x))
    }
  }
  return out as unknown as BoundExpr
}

// ───────────────────────────── hashing ─────────────────────────────

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const MIN_SAFE = -MAX_SAFE

function hex(b: Uint8Array): string {
  let s = ''
  for (const x of b) s += (x < 16 ? '0' : '') + x.toString(16)
  return s
}

function encodePart(v: DeltaValue): string {
  switch (typeof v) {
    case 'string': return `s${v}`
    case 'number': return `n${v === 0 ? 0 : v}`
    case 'bigint': return `i${v}`
    case 'boolean': return v ? 'T' : 'F'
  }
  if (v === null) return '\u0001'
  if (v instanceof Uint8Array) return `x${hex(v)}`
  return `j${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? hex(x) : x instanceof Map ? [...x.entries()] : x))}`
}

/** Hashable keys of the rows of a batch: undefined where a key is null (never matches, unless `<=>`). */
export function keyValues(keys: JoinKey[], side: 'target' | 'source', batch: ColumnBatch): Array<unknown> {
  const cols = keys.map((k) => columnOrEval(side === 'target' ? k.target : k.source, batch))
  const n = batch.length
  const out = new Array<unknown>(n)
  if (keys.length === 1) {
    const c = cols[0]
    if (c instanceof BigInt64Array) return int64Keys(c, n)
    const nullSafe = keys[0].nullSafe
    for (let i = 0; i < n; i++) {
      const v = c[i] ?? null
      if (v === null) { out[i] = nullSafe ? '\u0001' : undefined; continue }
      const t = typeof v
      // Map keys compare with SameValueZero: 0 and -0, NaN and NaN are equal, as Spark's join keys.
      // Safe-range bigints are hashed as numbers (much faster Map lookups); both sides of a key have
      // one type, and a bigint beyond 2^53 stays a bigint, so no two distinct values collide.
      if (t === 'bigint') out[i] = (v as bigint) <= MAX_SAFE && (v as bigint) >= MIN_SAFE ? Number(v) : v
      else out[i] = t === 'string' || t === 'number' || t === 'boolean' ? v : encodePart(v)
    }
    return out
  }
  for (let i = 0; i < n; i++) {
    let s = ''
    let dead = false
    for (let j = 0; j < cols.length; j++) {
      const v = cols[j][i] ?? null
      if (v === null && !keys[j].nullSafe) { dead = true; break }
      s += `${encodePart(v)}\u0000`
    }
    out[i] = dead ? undefined : s
  }
  return out
}

const TWO32 = 4294967296

/** keyValues of a BigInt64Array (no nulls): read as 32-bit halves, no BigInt allocated for safe-range values. */
function int64Keys(c: BigInt64Array, n: number): Array<unknown> {
  const out = new Array<unknown>(n)
  const w = new Int32Array(c.buffer, c.byteOffset, 2 * n)
  for (let i = 0; i < n; i++) {
    const hi = w[2 * i + 1]
    // -2^21 < hi < 2^21: |value| < 2^53, exactly a number (the rest of the safe range goes the BigInt way)
    if (hi > -2097152 && hi < 2097152) out[i] = hi * TWO32 + (w[2 * i] >>> 0)
    else {
      const v = c[i]
      out[i] = v <= MAX_SAFE && v >= MIN_SAFE ? Number(v) : v
    }
  }
  return out
}

function columnOrEval(e: BoundExpr, batch: ColumnBatch): ArrayLike<DeltaValue> {
  return e.kind === 'column' ? batch.column(e.key) : evalExpression(e, batch)
}

/** Source key → source row indexes (in source order). Rows with a null key are left out. */
export function buildIndex(keys: ArrayLike<unknown>): Map<unknown, number | number[]> {
  const index = new Map<unknown, number | number[]>()
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]
    if (k === undefined) continue
    const hit = index.get(k)
    if (hit === undefined) index.set(k, i)
    else if (typeof hit === 'number') index.set(k, [hit, i])
    else hit.push(i)
  }
  return index
}

/** Source row by `key - min` (-1: none) for distinct integer keys over a dense range. */
export interface DirectTable { table: Int32Array; min: number }

/**
 * The source side of a hash join: the hashed keys of the source rows (keyValues), with the index
 * key → source rows built on first use, and, for distinct integer keys spanning at most 16 slots per
 * key, a direct table (built from the key array: no Map at all on the integer fast path).
 */
export class SourceIndex {
  private built?: Map<unknown, number | number[]>
  private dense?: DirectTable | null
  constructor(readonly keys: ArrayLike<unknown>, map?: Map<unknown, number | number[]>) {
    this.built = map
  }

  get map(): Map<unknown, number | number[]> {
    return (this.built ??= buildIndex(this.keys))
  }

  get direct(): DirectTable | null {
    if (this.dense === undefined) this.dense = directTableOf(this.keys)
    return this.dense
  }

  /** No source row has a (non-null) key. */
  get empty(): boolean {
    if (this.built) return this.built.size === 0
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== undefined) return false
    return true
  }
}

function directTableOf(keys: ArrayLike<unknown>): DirectTable | null {
  let min = Infinity
  let max = -Infinity
  let count = 0
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]
    if (k === undefined) continue
    if (typeof k !== 'number' || !Number.isInteger(k)) return null
    if (k < min) min = k
    if (k > max) max = k
    count++
  }
  if (count === 0 || max - min >= Math.max(4096, 16 * count)) return null
  const table = new Int32Array(max - min + 1).fill(-1)
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]
    if (k === undefined) continue
    const o = (k as number) - min
    if (table[o] >= 0) return null // a key of several rows: the Map's row lists
    table[o] = i
  }
  return { table, min }
}

// ───────────────────────────── batches ─────────────────────────────

/** One side's rows: its columns by name, optionally gathered through row indexes. */
export interface SideRows {
  columns: Map<string, ColumnValues> | ((name: string) => ColumnValues | undefined)
  rows?: ArrayLike<number>
}

/**
 * A ColumnBatch over `length` rows whose keys are pathKey([side, column, field…]) (bound MERGE keys);
 * a side's column is gathered through its row indexes on first use.
 */
export function sideBatch(length: number, sides: Record<string, SideRows>): ColumnBatch {
  const cache = new Map<string, ArrayLike<DeltaValue>>()
  return {
    length,
    column(key: string): ArrayLike<DeltaValue> {
      const hit = cache.get(key)
      if (hit) return hit
      const parts = keyPath(key)
      const side = sides[parts[0]!]
      let values: ArrayLike<DeltaValue>
      const raw = side && (typeof side.columns === 'function' ? side.columns(parts[1]!) : side.columns.get(parts[1]!))
      if (!raw) values = new Array<DeltaValue>(length).fill(null)
      else if (!side.rows) values = raw
      else values = gatherRows(raw, side.rows, length)
      for (const name of parts.slice(2)) {
        const parent = values
        const out = new Array<DeltaValue>(length)
        for (let i = 0; i < length; i++) {
          const p = parent[i] as Record<string, DeltaValue> | null
          out[i] = p === null || p === undefined ? null : (p[name] ?? null)
        }
        values = out
      }
      cache.set(key, values)
      return values
    },
  }
}

/**
 * `values[rows[i]]` for i < n (null where absent). A typed column stays typed: 64-bit values are
 * copied as two 32-bit words (no BigInt or boxed double per row for the collector, and the
 * Parquet writer's typed fast paths apply).
 */
export function gatherRows(values: ArrayLike<DeltaValue>, rows: ArrayLike<number>, n: number): ColumnValues {
  if (values instanceof BigInt64Array || values instanceof Float64Array) {
    const len = values.length
    for (let i = 0; i < n; i++) if (!(rows[i] < len)) return gatherPlain(values, rows, n) // out of range: a null
    const out = values instanceof BigInt64Array ? new BigInt64Array(n) : new Float64Array(n)
    const src = new Int32Array(values.buffer, values.byteOffset, 2 * len)
    const dst = new Int32Array(out.buffer)
    for (let i = 0; i < n; i++) {
      const r = 2 * rows[i]
      dst[2 * i] = src[r]
      dst[2 * i + 1] = src[r + 1]
    }
    return out as unknown as ColumnValues
  }
  if (values instanceof Int32Array) {
    const len = values.length
    for (let i = 0; i < n; i++) if (!(rows[i] < len)) return gatherPlain(values, rows, n)
    const out = new Int32Array(n)
    for (let i = 0; i < n; i++) out[i] = values[rows[i]]
    return out as unknown as ColumnValues
  }
  return gatherPlain(values, rows, n)
}

function gatherPlain(values: ArrayLike<DeltaValue>, rows: ArrayLike<number>, n: number): DeltaValue[] {
  const out = new Array<DeltaValue>(n)
  for (let i = 0; i < n; i++) out[i] = values[rows[i]] ?? null
  return out
}
