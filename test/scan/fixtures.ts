// Builds small Delta tables in a MemoryStore for scan tests: data files written with the write
// layer's Parquet writer, stats with its stats writer, and a hand-written log.
import type { DeletionVectorDescriptor } from '../../src/log/actions.js'
import { serializePartitionValue } from '../../src/schema/partition-values.js'
import type { PrimitiveType, StructField, StructType } from '../../src/schema/types.js'
import type { DeltaValue } from '../../src/schema/values.js'
import { MemoryStore } from '../../src/storage/memory-store.js'
import { writeParquet } from '../../src/write/parquet-write.js'
import { fileStatsJson, statsColumnSelection } from '../../src/write/stats.js'

export interface FixtureFile {
  rows: Record<string, DeltaValue>[]
  dv?: DeletionVectorDescriptor
  rowGroupSize?: number
}

export function field(name: string, type: StructField['type'], nullable = true): StructField {
  return { name, type, nullable, metadata: {} }
}

const enc = new TextEncoder()

export function commitLine(action: object): string {
  return JSON.stringify(action)
}

/** A table at version 0 holding `files`, partitioned by `partitionColumns`. */
export async function makeTable(
  schema: StructType, files: FixtureFile[], opts: { partitionColumns?: string[]; configuration?: Record<string, string>; store?: MemoryStore } = {},
): Promise<MemoryStore> {
  const store = opts.store ?? new MemoryStore()
  const partitionColumns = opts.partitionColumns ?? []
  const configuration = opts.configuration ?? {}
  const lines = [
    commitLine({ protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] } }),
    commitLine({ metaData: { id: 'test', format: { provider: 'parquet', options: {} }, schemaString: JSON.stringify(schema), partitionColumns, configuration, createdTime: 0 } }),
  ]
  lines.push(...(await dataActions(store, schema, files, partitionColumns, configuration, 0)))
  await store.put('_delta_log/00000000000000000000.json', enc.encode(lines.join('\n') + '\n'))
  return store
}

/** Write the files of `files` and return their add actions (JSON lines). */
export async function dataActions(
  store: MemoryStore, schema: StructType, files: FixtureFile[], partitionColumns: string[], configuration: Record<string, string>, version: number,
): Promise<string[]> {
  const dataFields = schema.fields.filter((f) => !partitionColumns.includes(f.name))
  const partFields = schema.fields.filter((f) => partitionColumns.includes(f.name))
  const selected = statsColumnSelection({ type: 'struct', fields: dataFields }, configuration)
  const out: string[] = []
  for (let i = 0; i < files.length; i++) {
    const f = files[i]
    const columns = dataFields.map((fd) => ({ field: fd, values: f.rows.map((r) => r[fd.name] ?? null) }))
    const bytes = writeParquet(columns, f.rows.length, { rowGroupSize: f.rowGroupSize ?? 100_000 })
    const partitionValues: Record<string, string | null> = {}
    for (const p of partFields) partitionValues[p.name] = f.rows.length ? serializePartitionValue(f.rows[0][p.name] ?? null, p.type as PrimitiveType) : null
    const dir = partFields.map((p) => `${p.name}=${encodeURIComponent(partitionValues[p.name] ?? '__HIVE_DEFAULT_PARTITION__')}`).join('/')
    const path = `${dir ? `${dir}/` : ''}part-v${version}-${i}.parquet`
    await store.put(path, bytes)
    const stats = fileStatsJson(dataFields, new Map(columns.map((c) => [c.field.name, c.values])), f.rows.length, { selected })
    out.push(commitLine({ add: { path, partitionValues, size: bytes.length, modificationTime: 0, dataChange: true, stats, ...(f.dv ? { deletionVector: f.dv } : {}) } }))
  }
  return out
}
