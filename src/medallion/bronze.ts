// Bronze helpers, the seed's two ingestion shapes: a full extract written as the table's current
// snapshot (overwrite) with ingestion metadata columns, and a landing folder of change files streamed
// into a table (appended as they are, or applied as CDC by key), each file exactly once.
import { basename } from 'node:path'
import type { StructField, StructType } from '../schema/types.js'
import type { DeltaTable } from '../table/delta-table.js'
import type { WriteResult } from '../write/operations.js'
import { castRows, type CastRowsOptions } from './cast.js'
import { applyCdc, type CdcOptions } from './cdc.js'
import type { Row } from './rows.js'
import { FileSource } from './file-source.js'
import { readRawFile, type RawFile } from './raw-files.js'
import { runStream, type BatchProgress, type StreamSummary, type Trigger } from './stream.js'

export const INGESTED_AT = '_ingested_at'
export const SOURCE_FILE = '_source_file'

/** The two ingestion metadata columns, to append to a bronze schema. */
export const INGESTION_FIELDS: StructField[] = [
  { name: INGESTED_AT, type: 'timestamp', nullable: true, metadata: {} },
  { name: SOURCE_FILE, type: 'string', nullable: true, metadata: {} },
]

/** `schema` plus the ingestion metadata columns (and any `extra` fields). */
export function bronzeSchema(schema: StructType, extra: StructField[] = []): StructType {
  const names = new Set(schema.fields.map((f) => f.name))
  return { type: 'struct', fields: [...schema.fields, ...[...extra, ...INGESTION_FIELDS].filter((f) => !names.has(f.name))] }
}

/** Rows with `_ingested_at` and `_source_file` set. */
export function withIngestionMetadata<R extends Record<string, unknown>>(rows: readonly R[], meta: { sourceFile: string; ingestedAt?: Date }): (R & { _ingested_at: Date; _source_file: string })[] {
  const at = meta.ingestedAt ?? new Date()
  return rows.map((r) => ({ ...r, [INGESTED_AT]: at, [SOURCE_FILE]: meta.sourceFile }) as R & { _ingested_at: Date; _source_file: string })
}

export interface FullLoadOptions extends Pick<CastRowsOptions, 'mode' | 'rescuedDataColumn'> {
  /** The table's declared schema (without the metadata columns) to cast the extract to. */
  schema: StructType
  /** Exactly-once across reruns: the extract's sequence number (e.g. yyyymmdd of the extract). */
  txn?: { appId: string; version: number }
  ingestedAt?: Date
}

/**
 * Full load: replace the table's rows with the extract in `file` (Parquet or JSON lines), cast to the
 * declared schema, with ingestion metadata. With `txn`, an extract already loaded is skipped.
 */
export async function fullLoad(table: DeltaTable, file: string, options: FullLoadOptions): Promise<WriteResult & { skipped: boolean; rows: number }> {
  if (options.txn && (table.txns.get(options.txn.appId) ?? -1) >= options.txn.version) return { version: table.version, metrics: {}, skipped: true, rows: 0 }
  const raw = await readRawFile(file)
  const rows = castRows(raw, options.schema, { mode: options.mode, rescuedDataColumn: options.rescuedDataColumn, source: basename(file) })
  const r = await table.overwrite(withIngestionMetadata(rows, { sourceFile: basename(file), ingestedAt: options.ingestedAt }), options.txn ? { txn: options.txn } : {})
  return { ...r, skipped: false, rows: rows.length }
}

export interface IngestOptions extends Pick<CastRowsOptions, 'mode' | 'rescuedDataColumn'> {
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
  /** CDC mode: apply the events by key (merge); without it the rows are appended. */
  cdc?: Omit<CdcOptions, 'txn'>
  ingestedAt?: () => Date
}

/**
 * Stream a landing folder into `table`: each batch of new files is appended (or applied as CDC) in
 * one commit carrying the stream's txn id, so restarts and crashes never ingest a file twice.
 */
export async function ingestFiles(table: DeltaTable, options: IngestOptions): Promise<StreamSummary> {
  const source = new FileSource({ path: options.landing, schema: options.schema, maxFilesPerTrigger: options.maxFilesPerTrigger, maxBytesPerTrigger: options.maxBytesPerTrigger, mode: options.mode, rescuedDataColumn: options.rescuedDataColumn })
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
