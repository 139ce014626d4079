// Bronze helpers, the seed's two ingestion shapes: a full extract written as the table's current
// snapshot (overwrite) with ingestion metadata columns, and a landing folder of change files streamed
// into a table (appended as they are, or applied as CDC by key), each file exactly once. Values the
// declared schema cannot hold are rescued into `_rescued_data` (or refused, `onError: 'fail'`).
import { basename } from 'node:path'
import { SchemaMismatchError, type DeltaTable, type StructField, type StructType, type WriteResult } from '../index.js'
import { checkOptions } from '../options.js'
import { CAST_OPTIONS, castRows, rescueColumn, type CastOptions } from './cast.js'
import { applyCdc, CDC_OPTIONS, type CdcOptions } from './cdc.js'
import { FileSource } from './file-source.js'
import { readRawFile, type RawFile } from './raw-files.js'
import type { Row } from './rows.js'
import { runStream, type BatchProgress, type StreamSummary, type Trigger } from './stream.js'

/** Bronze column: when the row was ingested. */
export const INGESTED_AT = '_ingested_at'
/** Bronze column: the landing file the row came from. */
export const SOURCE_FILE = '_source_file'
/** Bronze column: values that did not fit the declared schema, as JSON. */
export const RESCUED_DATA = '_rescued_data'

/** The two ingestion metadata columns, to append to a bronze schema. */
export const INGESTION_FIELDS: StructField[] = [
  { name: INGESTED_AT, type: 'timestamp', nullable: true, metadata: {} },
  { name: SOURCE_FILE, type: 'string', nullable: true, metadata: {} },
]

/**
 * `schema` plus the ingestion metadata columns, the rescued-data column (`_rescued_data`, or the
 * name given; `false` for none, for loads with `onError: 'fail'`) and any `extra` fields.
 * @example
 * const bronze = await lake.table('bronze.orders', { schema: bronzeSchema(schema) })
 */
export function bronzeSchema(schema: StructType, extra: StructField[] = [], options: { rescuedDataColumn?: string | false } = {}): StructType {
  checkOptions('bronzeSchema', options, ['rescuedDataColumn'])
  const names = new Set(schema.fields.map((f) => f.name))
  const rescue = options.rescuedDataColumn ?? RESCUED_DATA
  const rescued: StructField[] = rescue === false ? [] : [{ name: rescue, type: 'string', nullable: true, metadata: {} }]
  return { type: 'struct', fields: [...schema.fields, ...[...extra, ...rescued, ...INGESTION_FIELDS].filter((f) => !names.has(f.name))] }
}

/**
 * Rows with `_ingested_at` and `_source_file` set.
 * @example
 * await bronze.append(withIngestionMetadata(rawRows, { sourceFile: 'orders/2024-01-01.jsonl' }))
 */
export function withIngestionMetadata<R extends Record<string, unknown>>(rows: readonly R[], meta: { sourceFile: string; ingestedAt?: Date }): (R & { _ingested_at: Date; _source_file: string })[] {
  checkOptions('withIngestionMetadata', meta, ['sourceFile', 'ingestedAt'])
  const at = meta.ingestedAt ?? new Date()
  return rows.map((r) => ({ ...r, [INGESTED_AT]: at, [SOURCE_FILE]: meta.sourceFile }) as R & { _ingested_at: Date; _source_file: string })
}

/** With rescue on, the table must have the rescued-data column: refused before anything is read. */
function requireRescueColumn(call: string, table: DeltaTable, column: string | undefined): void {
  if (column === undefined || table.schema.fields.some((f) => f.name.toLowerCase() === column.toLowerCase())) return
  throw new SchemaMismatchError(`${call}: table ${table.url} has no rescued-data column ${column} to keep the values its schema cannot hold; create it with bronzeSchema(…) (or add the column), or pass onError: 'fail'`, { table: table.url, column })
}

/** Options of `fullLoad` (a full extract replacing a bronze table, once per sequence). */
export interface FullLoadOptions extends CastOptions {
  /** The table's declared schema (without the metadata columns) to cast the extract to. */
  schema: StructType
  /** Exactly-once across reruns: the extract's sequence number (e.g. yyyymmdd of the extract). */
  txn?: { appId: string; version: number }
  ingestedAt?: Date
}

const FULL_LOAD_OPTIONS = ['schema', 'txn', 'ingestedAt', ...CAST_OPTIONS]

/**
 * Full load: replace the table's rows with the extract in `file` (Parquet or JSON lines), cast to the
 * declared schema, with ingestion metadata. With `txn`, an extract already loaded is skipped.
 * @example
 * await fullLoad(await lake.table('bronze.clientes'), './raw/clientes_20240101.parquet', {
 *   schema, txn: { appId: 'clientes', version: 20240101 },
 * })
 */
export async function fullLoad(table: DeltaTable, file: string, options: FullLoadOptions): Promise<WriteResult & { skipped: boolean; rows: number; rescued: number }> {
  const rescue = rescueColumn('fullLoad', options, FULL_LOAD_OPTIONS)
  requireRescueColumn('fullLoad', table, rescue)
  const { schema, txn, ingestedAt, ...cast } = options
  if (txn && (table.txns.get(txn.appId) ?? -1) >= txn.version) return { version: table.version, metrics: {}, skipped: true, rows: 0, rescued: 0 }
  const raw = await readRawFile(file)
  const rows = castRows(raw, schema, { ...cast, source: basename(file) })
  const r = await table.overwrite(withIngestionMetadata(rows, { sourceFile: basename(file), ingestedAt }), txn ? { txn } : {})
  return { ...r, skipped: false, rows: rows.length, rescued: rescue === undefined ? 0 : rows.filter((x) => x[rescue] !== null).length }
}

/** Options of `ingestFiles` (landing files appended to a bronze table, each once). */
export interface IngestOptions extends CastOptions {
  /** The landing folder (e.g. `<lake>/raw/cdc/transacao`). */
  landing: string
  /** Declared schema of the files (no inference). */
  schema: StructType
  checkpointLocation: string
  maxFilesPerTrigger?: number
  maxBytesPerTrigger?: number
  trigger?: Trigger
  signal?: AbortSignal
  onProgress?: (p: BatchProgress & { files: RawFile[] }) => void
  /** Applied to each batch's rows (cast, with ingestion metadata) before they are written. */
  transform?: (rows: Row[]) => Row[]
  /** CDC mode: apply the events by key (the table's CDC merge); without it the rows are appended. */
  cdc?: Omit<CdcOptions, 'txn'>
  ingestedAt?: () => Date
}

const INGEST_OPTIONS = ['landing', 'schema', 'checkpointLocation', 'maxFilesPerTrigger', 'maxBytesPerTrigger', 'trigger', 'signal', 'onProgress', 'transform', 'cdc', 'ingestedAt', ...CAST_OPTIONS]

/**
 * Stream a landing folder into `table`: each batch of new files is appended (or applied as CDC) in
 * one commit carrying the stream's txn id, so restarts and crashes never ingest a file twice.
 * @example
 * await ingestFiles(await lake.table('bronze.orders', { schema }), {
 *   landing: './raw/orders', schema, checkpointLocation: './lake/_checkpoints/orders',
 * })
 */
export async function ingestFiles(table: DeltaTable, options: IngestOptions): Promise<StreamSummary> {
  requireRescueColumn('ingestFiles', table, rescueColumn('ingestFiles', options, INGEST_OPTIONS))
  checkOptions('ingestFiles (cdc)', options.cdc, CDC_OPTIONS.filter((k) => k !== 'txn'), { table: table.url })
  const { onError, rescuedDataColumn, locale, dateFormat } = options
  const source = new FileSource({ path: options.landing, schema: options.schema, maxFilesPerTrigger: options.maxFilesPerTrigger, maxBytesPerTrigger: options.maxBytesPerTrigger, onError, rescuedDataColumn, locale, dateFormat })
  const filesOf = new Map<number, RawFile[]>()
  return runStream({
    source,
    checkpointLocation: options.checkpointLocation,
    trigger: options.trigger,
    signal: options.signal,
    onProgress: options.onProgress && ((p) => options.onProgress!({ ...p, files: filesOf.get(p.batchId) ?? [] })),
    foreachBatch: async (batch) => {
      filesOf.set(batch.batchId, batch.offset.files)
      await table.refresh()
      const at = options.ingestedAt?.() ?? new Date()
      let rows: Row[] = batch.rows.map((r) => ({ ...r, [INGESTED_AT]: at }))
      if (options.transform) rows = options.transform(rows)
      if (!rows.length) return undefined // empty files: nothing to commit, nothing to replay
      if (options.cdc) return applyCdc(table, rows, { ...options.cdc, txn: batch.txn })
      return table.append(rows, { txn: batch.txn })
    },
  })
}
