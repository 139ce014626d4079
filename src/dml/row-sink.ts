// Where DML puts the rows it produces: new data rows (inserts, update post-images, copied rows) and,
// with the Change Data Feed on, change rows for `_change_data/` (PROTOCOL.md "Change Data Files",
// `_change_type` insert/update_preimage/update_postimage/delete). Rows are buffered and written as
// data files when the buffer reaches a bound, so memory stays near the batch plus one target file.
import { ConstraintViolationError } from '../errors.js'
import type { AddCDCFile, AddFile } from '../log/actions.js'
import type { ListOptions, ObjectMeta, ObjectStore, PutOptions } from '../storage/object-store.js'
import type { StructField, StructType } from '../schema/types.js'
import { LONG_MAX, LONG_MIN, type DeltaValue } from '../schema/values.js'
import { applyGeneratedColumns, checkRowRules, valuesBatch } from '../write/constraints.js'
import { writeDataFiles, type DataFilesTarget, type WriteFilesOptions } from '../write/data-files.js'
import type { ColumnValues } from '../write/parquet-write.js'
import { gatherRows } from './join.js'

export const CHANGE_TYPE_COLUMN = '_change_type'
export const CDC_DIR = '_change_data'
export type ChangeType = 'insert' | 'update_preimage' | 'update_postimage' | 'delete'

/** Rows flushed to files once this many are buffered (bounds memory on large rewrites). */
export const FLUSH_ROWS = 1_000_000

/** A store seen from a sub-folder: CDC files go through writeDataFiles unchanged. */
class PrefixedStore implements ObjectStore {
  constructor(private readonly inner: ObjectStore, private readonly prefix: string) {}
  get url(): string { return this.inner.url }
  get(key: string): Promise<Uint8Array> { return this.inner.get(this.prefix + key) }
  getRange(key: string, s: number, e: number): Promise<Uint8Array> { return this.inner.getRange(this.prefix + key, s, e) }
  putIfAbsent(key: string, data: Uint8Array): Promise<boolean> { return this.inner.putIfAbsent(this.prefix + key, data) }
  put(key: string, data: Uint8Array, options?: PutOptions): Promise<void> { return this.inner.put(this.prefix + key, data, options) }
  async *list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta> {
    for await (const m of this.inner.list(this.prefix + prefix, options)) yield { ...m, key: m.key.slice(this.prefix.length) }
  }
  head(key: string): Promise<ObjectMeta | undefined> { return this.inner.head(this.prefix + key) }
  delete(key: string): Promise<void> { return this.inner.delete(this.prefix + key) }
}

/**
 * Column-major row buffer for a fixed list of fields, kept as chunks (one copy at flush, none for one
 * chunk). A lazy chunk holds columns that outlive the buffer anyway (the source batch) and the row
 * indexes to take from them: consecutive lazy chunks over the same columns are gathered once, at flush.
 */
class Buffer {
  private chunks: { cols: ArrayLike<DeltaValue>[]; rows?: ArrayLike<number> }[] = []
  length = 0
  constructor(readonly fields: StructField[]) {}
  /** Append n rows (gathered through `rows` when given); a `tail` value fills the last field (the change type). */
  push(values: ArrayLike<DeltaValue>[], rows: ArrayLike<number> | undefined, n: number, tail?: DeltaValue, lazy = false): void {
    if (lazy && rows && tail === undefined) {
      let kept: Int32Array
      if (rows instanceof Int32Array) kept = rows.slice(0, n)
      else {
        kept = new Int32Array(n)
        for (let i = 0; i < n; i++) kept[i] = rows[i]
      }
      this.chunks.push({ cols: values.slice(0, this.fields.length), rows: kept })
      this.length += n
      return
    }
    const cols = this.fields.map((_, c) => {
      if (tail !== undefined && c === this.fields.length - 1) return new Array<DeltaValue>(n).fill(tail)
      const src = values[c]
      if (!rows) return src.length === n ? src : isTyped(src) ? src.slice(0, n) : Array.prototype.slice.call(src, 0, n) as DeltaValue[]
      return gatherRows(src, rows, n)
    })
    this.chunks.push({ cols })
    this.length += n
  }
  take(): { columns: Map<string, ColumnValues>; length: number } {
    // lazy chunks over the same columns, one after the other: one row list
    const groups: { cols: ArrayLike<DeltaValue>[]; rows?: ArrayLike<number>[] }[] = []
    for (const ch of this.chunks) {
      const last = groups[groups.length - 1]
      if (ch.rows && last?.rows && ch.cols.every((c, i) => c === last.cols[i])) last.rows.push(ch.rows)
      else groups.push({ cols: ch.cols, rows: ch.rows && [ch.rows] })
    }
    // A lazy group's rows in source order (the order of new rows in a data file is free): the
    // gather then walks the source columns forward instead of jumping around them.
    const chunks = groups.map((g) => ({ cols: g.cols, rows: g.rows && inOrder(g.rows, rowBound(g.cols, g.rows)) }))
    const columns = new Map<string, ColumnValues>(this.fields.map((f, c) => {
      const parts = chunks.map((ch) => (ch.rows ? gatherTyped(ch.cols[c], ch.rows, f.type) : ch.cols[c]))
      if (parts.length === 1) return [f.name, parts[0]]
      const typed = concatTyped(parts, this.length)
      if (typed) return [f.name, typed]
      const out = new Array<DeltaValue>(this.length)
      let o = 0
      for (const col of parts) for (let i = 0; i < col.length; i++) out[o++] = col[i] ?? null
      return [f.name, out]
    }))
    const out = { columns, length: this.length }
    this.chunks = []
    this.length = 0
    return out
  }
}

/** The row lists joined and sorted ascending (a counting sort over the rows' range; rows may repeat). */
/** Above every row index of a lazy group, as a rule: its columns' length (the rows index them). */
function rowBound(cols: ArrayLike<DeltaValue>[], lists: ArrayLike<number>[]): number {
  return cols.length > 0 ? cols[0].length : maxRow(lists) + 1
}

function maxRow(lists: ArrayLike<number>[]): number {
  let max = -1
  for (const l of lists) for (let i = 0; i < l.length; i++) if (l[i] > max) max = l[i]
  return max
}

function inOrder(lists: ArrayLike<number>[], bound: number): Int32Array {
  let total = 0
  for (const l of lists) total += l.length
  const out = new Int32Array(total)
  if (bound >= 4 * total + 1024) {
    // sparse: a native sort
    let o = 0
    for (const l of lists) for (let i = 0; i < l.length; i++) out[o++] = l[i]
    return out.sort()
  }
  // rows index the group's columns: all below `bound` (else counted again over their own range)
  const counts = new Int32Array(bound)
  for (const l of lists) {
    for (let i = 0; i < l.length; i++) {
      const r = l[i]
      if (!(r < bound)) return inOrder(lists, maxRow(lists) + 1)
      counts[r]++
    }
  }
  let o = 0
  for (let r = 0; r < bound; r++) {
    const c = counts[r]
    if (c === 0) continue
    out[o++] = r
    for (let k = 1; k < c; k++) out[o++] = r
  }
  return out
}

/**
 * gatherRows, into a typed array when the field's type has one and no gathered value is null: a
 * source column with nulls (say in its delete rows) is a plain array, the rows written from it
 * mostly hold none, and the Parquet writer takes typed columns faster.
 */
function gatherTyped(values: ArrayLike<DeltaValue>, rows: ArrayLike<number>, type: StructField['type']): ColumnValues {
  const n = rows.length
  if (isTyped(values) || n === 0) return gatherRows(values, rows, n)
  if (type === 'long' || type === 'timestamp' || type === 'timestamp_ntz') {
    const out = new BigInt64Array(n)
    for (let i = 0; i < n; i++) {
      const v = values[rows[i]]
      if (typeof v !== 'bigint' || v < LONG_MIN || v > LONG_MAX) return gatherRows(values, rows, n)
      out[i] = v
    }
    return out as unknown as ColumnValues
  }
  if (type === 'double' || type === 'integer') {
    const out = type === 'double' ? new Float64Array(n) : new Int32Array(n)
    for (let i = 0; i < n; i++) {
      const v = values[rows[i]]
      if (typeof v !== 'number' || (type === 'integer' && (v | 0) !== v)) return gatherRows(values, rows, n)
      out[i] = v
    }
    return out as unknown as ColumnValues
  }
  return gatherRows(values, rows, n)
}


type Typed = BigInt64Array | Float64Array | Int32Array

function isTyped(v: ArrayLike<DeltaValue>): v is ArrayLike<DeltaValue> & Typed {
  return v instanceof BigInt64Array || v instanceof Float64Array || v instanceof Int32Array
}

/** Chunks all of one typed array class joined into one (a memory copy), else undefined. */
function concatTyped(parts: ArrayLike<DeltaValue>[], length: number): ColumnValues | undefined {
  const first = parts[0]
  if (!isTyped(first) || !parts.every((p) => p.constructor === first.constructor)) return undefined
  const out = new (first.constructor as new (n: number) => Typed)(length)
  let o = 0
  for (const p of parts as unknown as Typed[]) { (out as BigInt64Array).set(p as BigInt64Array, o); o += p.length }
  return out as unknown as ColumnValues
}

export interface RowSinkOptions {
  target: DataFilesTarget
  /** Configuration whose CHECK constraints and invariants new rows must satisfy. */
  configuration: Record<string, string>
  cdf: boolean
  write?: WriteFilesOptions
  flushRows?: number
}

export class RowSink {
  private readonly data: Buffer
  private readonly changes?: Buffer
  readonly adds: AddFile[] = []
  readonly cdcs: AddCDCFile[] = []
  bytesAdded = 0
  rowsWritten = 0
  /** Called with a data file written from exactly these columns, rows in order (unpartitioned, one file). */
  onFileWritten?: (add: AddFile, columns: Map<string, ColumnValues>) => void
  private readonly flushRows: number
  private readonly schema: StructType
  /** Hidden columns after the schema's (row tracking); rows given without them get nulls there. */
  private readonly hidden: number

  constructor(private readonly opts: RowSinkOptions) {
    this.schema = opts.target.schema
    this.hidden = opts.target.hiddenFields?.length ?? 0
    this.data = new Buffer([...this.schema.fields, ...(opts.target.hiddenFields ?? [])])
    if (opts.cdf) this.changes = new Buffer([...this.schema.fields, { name: CHANGE_TYPE_COLUMN, type: 'string', nullable: true, metadata: {} }])
    this.flushRows = opts.flushRows ?? FLUSH_ROWS
  }

  get cdfEnabled(): boolean { return this.changes !== undefined }
  /** Whether any data row was produced (buffered or written). */
  get pending(): boolean { return this.data.length > 0 || this.adds.length > 0 }
  /** Whether any change row was produced. */
  get hasChanges(): boolean { return (this.changes?.length ?? 0) > 0 || this.cdcs.length > 0 }

  /** New rows with generated columns computed from them (PROTOCOL.md "Generated Columns"); call before addRows/addChanges. */
  complete(values: ArrayLike<DeltaValue>[], n: number): ArrayLike<DeltaValue>[] {
    if (!this.schema.fields.some((f) => typeof f.metadata['delta.generationExpression'] === 'string')) return values
    const columns = new Map<string, ColumnValues>(this.schema.fields.map((f, i) => [f.name, values[i]]))
    applyGeneratedColumns(this.schema, columns, n, this.opts.target.table)
    return this.schema.fields.map((f) => columns.get(f.name)!)
  }

  /** Whether written rows get computed columns (then `complete` must see every new row). */
  get computesColumns(): boolean {
    return this.schema.fields.some((f) => typeof f.metadata['delta.generationExpression'] === 'string')
  }

  /**
   * New data rows: one column per schema field (in order), optionally gathered through `rows`.
   * `retained`: the columns live as long as the sink anyway (the source batch), so only the row
   * indexes are kept and the values gathered once at flush.
   */
  async addRows(columns: ArrayLike<DeltaValue>[], n: number, rows?: ArrayLike<number>, retained = false): Promise<void> {
    if (n === 0) return
    if (this.hidden && columns.length === this.schema.fields.length) {
      // new rows (inserts): no materialized row id or commit version, the file's defaults apply
      const nulls = new Array<DeltaValue>(rows ? columns[0].length : n).fill(null)
      columns = [...columns, ...Array.from({ length: this.hidden }, () => nulls)]
    }
    this.data.push(columns, rows, n, undefined, retained)
    if (this.data.length >= this.flushRows) await this.flushData()
  }

  /** Change rows of one type (CDF on only). */
  async addChanges(type: ChangeType, columns: ArrayLike<DeltaValue>[], n: number, rows?: ArrayLike<number>): Promise<void> {
    if (!this.changes || n === 0) return
    this.changes.push(columns, rows, n, type)
    if (this.changes.length >= this.flushRows) await this.flushChanges()
  }

  /** Enforce NOT NULL, invariants and CHECK constraints on rows about to be written. */
  private check(columns: Map<string, ColumnValues>, n: number): void {
    const table = this.opts.target.table
    for (const f of this.schema.fields) {
      if (f.nullable) continue
      const v = columns.get(f.name)!
      if (isTyped(v)) continue // holds no null
      for (let i = 0; i < n; i++) {
        if (v[i] === null || v[i] === undefined) throw new ConstraintViolationError(`NOT NULL column ${f.name} would be null in a written row (table ${table})`, { column: f.name, table })
      }
    }
    checkRowRules(this.schema, this.opts.configuration, valuesBatch(columns, n), table)
  }

  private async flushData(): Promise<void> {
    const { columns, length } = this.data.take()
    if (length === 0) return
    applyGeneratedColumns(this.schema, columns, length, this.opts.target.table)
    this.check(columns, length)
    const w = await writeDataFiles(this.opts.target, columns, length, this.opts.write)
    // one unpartitioned file: its rows are these columns, in order
    if (w.adds.length === 1 && this.opts.target.partitionColumns.length === 0) this.onFileWritten?.(w.adds[0], columns)
    this.adds.push(...w.adds)
    this.bytesAdded += w.numOutputBytes
    this.rowsWritten += length
  }

  private async flushChanges(): Promise<void> {
    if (!this.changes) return
    const { columns, length } = this.changes.take()
    if (length === 0) return
    const t = this.opts.target
    const target: DataFilesTarget = {
      ...t, store: new PrefixedStore(t.store, `${CDC_DIR}/`), tightBounds: false, materializePartitionColumns: false,
      schema: { type: 'struct', fields: this.changes.fields },
    }
    const w = await writeDataFiles(target, columns, length, this.opts.write)
    for (const a of w.adds) this.cdcs.push({ path: `${CDC_DIR}/${a.path}`, partitionValues: a.partitionValues, size: a.size, dataChange: false })
  }

  /** Write whatever is buffered. */
  async finish(): Promise<void> {
    await this.flushData()
    await this.flushChanges()
  }
}
