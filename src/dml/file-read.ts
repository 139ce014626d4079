// Reading one target file for DML: the requested columns of every physical row (row index = position
// in the Parquet file, as deletion vectors count them), partition values filled in, and the file's
// current deletion vector so callers skip rows already deleted. One file in memory at a time.
import type { AddFile } from '../log/actions.js'
import type { Snapshot } from '../log/snapshot.js'
import { parsePartitionValue } from '../schema/partition-values.js'
import { physicalName, type PrimitiveType, type StructField } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import { DeletionVector, readDeletionVector } from '../scan/deletion-vectors.js'
import { readDataFile } from '../scan/parquet-read.js'
import { cachedDvRows } from './dv-writer.js'

export interface FileRows {
  numRows: number
  columns: Map<string, DeltaValue[]>
}

/** The file's deletion vector (empty when it has none). */
export async function fileDeletionVector(snapshot: Snapshot, add: AddFile): Promise<DeletionVector> {
  if (!add.deletionVector) return new DeletionVector(new Float64Array())
  const cached = cachedDvRows(snapshot.store, add.deletionVector)
  if (cached) return new DeletionVector(cached)
  return readDeletionVector(add.deletionVector, snapshot, { table: snapshot.tableUrl, version: snapshot.version, file: add.path })
}

function partitionValue(snapshot: Snapshot, add: AddFile, f: StructField): DeltaValue {
  const values = add.partitionValues ?? {}
  const phys = physicalName(f, snapshot.columnMappingMode)
  let raw: string | null | undefined = phys in values ? values[phys] : values[f.name]
  if (raw === undefined) {
    const lower = f.name.toLowerCase()
    for (const k of Object.keys(values)) if (k.toLowerCase() === lower) raw = values[k]
  }
  return parsePartitionValue(raw ?? null, f.type as PrimitiveType)
}

/** Every physical row of `add` for `fields` (deleted rows included: callers consult the DV). */
export async function readFileColumns(snapshot: Snapshot, add: AddFile, fields: StructField[]): Promise<FileRows> {
  const parts = new Set(snapshot.partitionColumns.map((c) => c.toLowerCase()))
  const dataFields = fields.filter((f) => !parts.has(f.name.toLowerCase()))
  const columns = new Map<string, DeltaValue[]>()
  const chunks: DeltaValue[][][] = []
  let numRows = 0
  const ctx = { table: snapshot.tableUrl, version: snapshot.version, file: add.path }
  const key = snapshot.resolvePath(add.path)
  for await (const chunk of readDataFile({ store: snapshot.store, key, size: add.size, fields: dataFields, mode: snapshot.columnMappingMode, ctx })) {
    chunks.push(chunk.columns)
    numRows = chunk.rowStart + chunk.numRows
  }
  dataFields.forEach((f, j) => {
    if (chunks.length === 1) { columns.set(f.name, chunks[0][j]); return }
    const out = new Array<DeltaValue>(numRows)
    let o = 0
    for (const c of chunks) { const col = c[j]; for (let i = 0; i < col.length; i++) out[o++] = col[i] }
    columns.set(f.name, out)
  })
  for (const f of fields) {
    if (!parts.has(f.name.toLowerCase())) continue
    columns.set(f.name, new Array<DeltaValue>(numRows).fill(partitionValue(snapshot, add, f)))
  }
  return { numRows, columns }
}

/** Ascending union of two ascending row lists. */
export function unionRows(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length + b.length)
  let i = 0
  let j = 0
  let o = 0
  while (i < a.length && j < b.length) {
    const x = a[i]
    const y = b[j]
    if (x === y) { out[o++] = x; i++; j++ } else if (x < y) { out[o++] = x; i++ } else { out[o++] = y; j++ }
  }
  while (i < a.length) out[o++] = a[i++]
  while (j < b.length) out[o++] = b[j++]
  return o === out.length ? out : out.subarray(0, o)
}
