// Reading a snapshot's rows: select files (partition pruning, stats skipping), read each file row
// group by row group, drop rows deleted by its deletion vector, filter rows exactly, project, and hand
// out Arrow RecordBatches (bounded memory: one file's row group at a time) or plain rows.
import type { RecordBatch, Table } from 'apache-arrow'
import { InvalidArgumentError, SchemaMismatchError } from '../errors.js'
import type { AddFile } from '../log/actions.js'
import type { Snapshot } from '../log/snapshot.js'
import { arrowModule } from '../schema/arrow-lazy.js'
import { parsePartitionValue } from '../schema/partition-values.js'
import { findField, physicalName, type PrimitiveType, type StructField, type StructType } from '../schema/types.js'
import { toRowValue, type DeltaValue, type RowValue } from '../schema/values.js'
import { readDeletionVector, type DeletionVector } from './deletion-vectors.js'
import { readDataFile } from './parquet-read.js'
import { materializedFields, rowTrackingEnabled, stableValues } from './row-tracking.js'
import { compileFilter, type CompiledFilter, type RowGroupInfo } from './filter.js'
import type { BoundExpr, ExprLike } from '../expr/bind.js'
import { optionKeys } from '../options.js'

/** Options of the reads (`toRows`, `toArrow`, `scan`): columns, a filter, batch size. */
export interface ScanOptions {
  /** Top-level columns to return, in this order (default: every column of the schema). */
  columns?: string[]
  /** Keep only rows where this predicate is true (SQL-subset string or expression). */
  filter?: ExprLike
  /** Upper bound on rows per RecordBatch (default 65,536). */
  batchRows?: number
  /**
   * Add each row's stable row id and row commit version (Spark's `_metadata.row_id` and
   * `_metadata.row_commit_version`) as the last two columns, `_row_id` and `_row_commit_version`
   * (longs). Tables with row tracking enabled only (`delta.enableRowTracking`).
   */
  rowTracking?: boolean
}
export const SCAN_OPTION_KEYS = optionKeys<ScanOptions>()(['columns', 'filter', 'batchRows', 'rowTracking'])

/** The columns `rowTracking: true` adds to a scan. */
export const ROW_ID_COLUMN = '_row_id'
export const ROW_COMMIT_VERSION_COLUMN = '_row_commit_version'
const trackingField = (name: string): StructField => ({ name, type: 'long', nullable: false, metadata: {} })
const PUBLIC_TRACKING = { id: ROW_ID_COLUMN, version: ROW_COMMIT_VERSION_COLUMN }

/** A run of rows as Delta values, column-major, for `fields`. */
export interface ValueBatch {
  fields: StructField[]
  length: number
  columns: DeltaValue[][]
}

const DEFAULT_BATCH_ROWS = 65_536

/** The fields a scan returns for `columns` (case-insensitive lookup; `void` columns are dropped as Spark does). */
export function outputFields(schema: StructType, columns: string[] | undefined, table?: string): StructField[] {
  if (!columns) return schema.fields.filter((f) => f.type !== 'void')
  return columns.map((c) => {
    const f = findField(schema, c)
    if (!f) throw new SchemaMismatchError(`unknown column ${c} in columns (table ${table ?? '?'}); the table has ${schema.fields.map((x) => x.name).join(', ')}`, { table, column: c })
    return f
  })
}

/** Scan as Delta-valued batches: the layer under `scanBatches`, `toRows` and CDF. */
export async function* scanValues(snapshot: Snapshot, options: ScanOptions = {}): AsyncGenerator<ValueBatch> {
  const table = snapshot.tableUrl
  let fields = outputFields(snapshot.schema, options.columns, table)
  if (options.rowTracking) {
    if (!rowTrackingEnabled(snapshot)) {
      throw new InvalidArgumentError(`rowTracking: table ${table} does not track rows (delta.enableRowTracking is not true, or its materialized column names are missing)`, { table, version: snapshot.version })
    }
    for (const name of [ROW_ID_COLUMN, ROW_COMMIT_VERSION_COLUMN]) {
      if (findField(snapshot.schema, name)) throw new SchemaMismatchError(`rowTracking: table ${table} has a column ${name}, the name of a row tracking column`, { table, column: name })
    }
    fields = [...fields, trackingField(ROW_ID_COLUMN), trackingField(ROW_COMMIT_VERSION_COLUMN)]
  }
  const filter = options.filter === undefined || options.filter === null ? undefined : compileFilter(options.filter, snapshot)
  const files = filter ? filter.selectFiles(snapshot.activeFiles()) : snapshot.activeFiles()
  for (const add of files) {
    yield* readFileValues(snapshot, add, fields, filter, options.batchRows ?? DEFAULT_BATCH_ROWS, options.rowTracking ? { rowTracking: PUBLIC_TRACKING } : {})
  }
}

/**
 * Rows of one logical file (data file + DV) for `fields`: partition values injected, DV applied,
 * `filter` applied exactly. `extraFields` (e.g. `_change_type` of CDC files) are read from the file
 * when present. Exposed for CDF, which reads files outside the snapshot's active set.
 */
export async function* readFileValues(
  snapshot: Snapshot,
  add: Pick<AddFile, 'path' | 'partitionValues' | 'size' | 'deletionVector' | 'baseRowId' | 'defaultRowCommitVersion'>,
  fields: StructField[],
  filter: CompiledFilter | undefined,
  batchRows: number,
  /** rowTracking: `fields` ends with these two columns, the stable row id and commit version, computed here. */
  options: { invertDv?: boolean; dv?: DeletionVector; rowTracking?: { id: string; version: string } } = {},
): AsyncGenerator<ValueBatch> {
  const table = snapshot.tableUrl
  const ctx = { table, version: snapshot.version, file: add.path }
  const mode = snapshot.columnMappingMode
  const partitionSet = new Set(snapshot.partitionColumns.map((c) => c.toLowerCase()))
  // read the output fields plus whatever the filter needs
  const needed = [...fields]
  for (const f of filter?.fields ?? []) if (!needed.some((n) => n.name === f.name)) needed.push(f)
  const tracking = options.rowTracking
  if (tracking) needed.splice(needed.findIndex((f) => f.name === tracking.id), 2)
  const hidden = options.rowTracking ? materializedFields(snapshot.properties) : undefined
  const dataFields = needed.filter((f) => !partitionSet.has(f.name.toLowerCase()))
  if (hidden) dataFields.push(...hidden)
  const dv = options.dv ?? (add.deletionVector ? await readDeletionVector(add.deletionVector, snapshot, ctx) : undefined)
  const partitionValues = new Map<string, DeltaValue>()
  for (const f of needed) {
    if (!partitionSet.has(f.name.toLowerCase())) continue
    const raw = lookupPartitionValue(add.partitionValues ?? {}, f, mode)
    partitionValues.set(f.name, parsePartitionValue(raw, f.type as PrimitiveType, { table, file: add.path, column: f.name } as never))
  }
  const key = snapshot.resolvePath(add.path)
  // Per row group, the filter's conjuncts that its statistics leave undecided; the columns only the
  // decided ones read are not read. (The plan is made just before its group's chunk is yielded.)
  const plan = filter?.planRowGroup(partitionValues)
  let residual: BoundExpr | undefined
  const always = [...fields.map((f) => f.name), ...(hidden ?? []).map((f) => f.name)]
  const keepRowGroup = plan && ((group: RowGroupInfo) => {
    const p = plan(group)
    if (p.skip) return false
    residual = p.residual
    if (!p.fields) return true
    const read = new Set(always)
    for (const f of p.fields) read.add(f)
    return read
  })
  for await (const chunk of readDataFile({ store: snapshot.store, key, size: add.size, fields: dataFields, mode, ctx, keepRowGroup })) {
    const n = chunk.numRows
    const byName = new Map<string, DeltaValue[]>()
    dataFields.forEach((f, i) => { if (!chunk.unread?.has(f.name)) byName.set(f.name, chunk.columns[i]) })
    if (tracking) {
      // stable values by physical row index, before the DV and the filter drop rows
      const s = stableValues(add, chunk.rowStart, n, hidden && byName.get(hidden[0].name), hidden && byName.get(hidden[1].name), table)
      byName.set(tracking.id, s.ids)
      byName.set(tracking.version, s.versions)
    }
    const column = (name: string): DeltaValue[] => {
      let c = byName.get(name)
      if (!c) {
        if (chunk.unread?.has(name)) throw new Error(`internal: column ${name} of ${add.path} was not read for this row group`)
        c = new Array<DeltaValue>(n).fill(partitionValues.get(name) ?? null)
        byName.set(name, c)
      }
      return c
    }
    // selection: rows kept by the DV (or, inverted, the rows it deletes), then by the filter
    let keep: Uint8Array | undefined
    if (dv && dv.cardinality > 0) {
      keep = new Uint8Array(n).fill(options.invertDv ? 0 : 1)
      // DV rows are ascending: visit only those inside this row group
      const rows = dv.rows
      let lo = 0
      let hi = rows.length
      while (lo < hi) { const mid = (lo + hi) >>> 1; if (rows[mid] < chunk.rowStart) lo = mid + 1; else hi = mid }
      for (let j = lo; j < rows.length && rows[j] < chunk.rowStart + n; j++) keep[rows[j] - chunk.rowStart] = options.invertDv ? 1 : 0
    } else if (options.invertDv) {
      keep = new Uint8Array(n)
    }
    if (filter && residual) {
      const pass = filter.evalResidual(residual, { length: n, column })
      keep = keep ? andInto(keep, pass) : pass // 1 where the row passes
    }
    const cols = fields.map((f) => column(f.name))
    const selected = keep ? compact(cols, keep) : { columns: cols, length: n }
    for (let start = 0; start < selected.length; start += batchRows) {
      const end = Math.min(selected.length, start + batchRows)
      const columns = start === 0 && end === selected.length ? selected.columns : selected.columns.map((c) => c.slice(start, end))
      yield { fields, length: end - start, columns }
    }
  }
}

/** Partition values are keyed by physical name under column mapping (PROTOCOL.md "Column Mapping"). */
function lookupPartitionValue(values: Record<string, string | null>, f: StructField, mode: Snapshot['columnMappingMode']): string | null | undefined {
  const phys = physicalName(f, mode)
  if (phys in values) return values[phys]
  if (f.name in values) return values[f.name]
  const lower = f.name.toLowerCase()
  for (const k of Object.keys(values)) if (k.toLowerCase() === lower) return values[k]
  return null
}

/** keep &= pass (outside the async generator: a plain loop is optimised sooner). */
function andInto(keep: Uint8Array, pass: Uint8Array): Uint8Array {
  for (let i = 0; i < keep.length; i++) if (!pass[i]) keep[i] = 0
  return keep
}

function compact(cols: DeltaValue[][], keep: Uint8Array): { columns: DeltaValue[][]; length: number } {
  let count = 0
  for (let i = 0; i < keep.length; i++) count += keep[i]
  if (count === keep.length) return { columns: cols, length: count }
  const columns = cols.map((c) => {
    const out = new Array<DeltaValue>(count)
    let o = 0
    for (let i = 0; i < keep.length; i++) if (keep[i]) out[o++] = c[i]
    return out
  })
  return { columns, length: count }
}

/** `scan()`: Arrow RecordBatches, one row group of one file at a time. */
export async function* scanBatches(snapshot: Snapshot, options: ScanOptions = {}): AsyncGenerator<RecordBatch> {
  const A = await arrowModule()
  const schema = A.toArrowSchema(outputFields(snapshot.schema, options.columns, snapshot.tableUrl))
  for await (const b of scanValues(snapshot, options)) {
    if (b.length > 0) yield A.valueBatchToArrow(b, schema)
  }
}

/** `toArrow()`: one Arrow Table (empty with the right schema when nothing matches). */
export async function toArrow(snapshot: Snapshot, options: ScanOptions = {}): Promise<Table> {
  const A = await arrowModule()
  const schema = A.toArrowSchema(outputFields(snapshot.schema, options.columns, snapshot.tableUrl))
  const batches: RecordBatch[] = []
  for await (const b of scanBatches(snapshot, options)) batches.push(b)
  return A.arrowTable(schema, batches)
}

/** `toRows()`: plain objects (bigint for long, Date for date/timestamp, string for decimal…). */
export async function toRows(snapshot: Snapshot, options: ScanOptions = {}): Promise<Record<string, RowValue>[]> {
  const rows: Record<string, RowValue>[] = []
  for await (const b of scanValues(snapshot, options)) rows.push(...valueBatchToRows(b))
  return rows
}

export function valueBatchToRows(b: ValueBatch): Record<string, RowValue>[] {
  const rows = new Array<Record<string, RowValue>>(b.length)
  for (let r = 0; r < b.length; r++) {
    const row: Record<string, RowValue> = {}
    for (let c = 0; c < b.fields.length; c++) row[b.fields[c].name] = toRowValue(b.columns[c][r], b.fields[c].type)
    rows[r] = row
  }
  return rows
}
