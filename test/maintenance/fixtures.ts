// Helpers for the maintenance tests: small tables in memory, deletion vectors committed the way a
// merge-on-read DELETE would, and rows sorted for comparison across versions.
import type { AddFile, RemoveFile } from '../../src/log/actions.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { encodeDeletionVectorFile, encodeRoaringBitmapArray, inlineDescriptor, uuidDescriptor } from '../../src/scan/deletion-vectors.js'
import type { StructType } from '../../src/schema/types.js'
import { MemoryStore } from '../../src/storage/memory-store.js'
import type { ObjectStore } from '../../src/storage/object-store.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import { Transaction } from '../../src/txn/transaction.js'

export const SCHEMA: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'part', type: 'string', nullable: true, metadata: {} },
    { name: 'v', type: 'double', nullable: true, metadata: {} },
  ],
}

export function rowsOf(from: number, n: number, part: string): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({ id: BigInt(from + i), part, v: (from + i) / 2 }))
}

export async function newTable(opts: { partitioned?: boolean; properties?: Record<string, string> } = {}): Promise<{ store: MemoryStore; t: DeltaTable }> {
  const store = new MemoryStore()
  const t = await DeltaTable.create(store, { schema: SCHEMA, partitionBy: opts.partitioned ? ['part'] : [], properties: opts.properties })
  return { store, t }
}

/** Rows sorted by id, as JSON text (bigint-safe) for equality across versions. */
export function canon(rows: Record<string, unknown>[]): string {
  const sorted = [...rows].sort((a, b) => (String(a.id).padStart(20, '0') < String(b.id).padStart(20, '0') ? -1 : 1))
  return JSON.stringify(sorted, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))
}

export async function rowsAt(store: ObjectStore, version: number): Promise<string> {
  return canon(await (await DeltaTable.open(store, { version })).toRows())
}

/**
 * Mark rows of an active file deleted with a deletion vector (inline, or in a DV file when `onDisk`),
 * committed as a DELETE would: remove the file with its old DV, add it back with the new one.
 */
export async function deleteRowsWithDv(store: ObjectStore, path: string, rows: number[], onDisk = false): Promise<{ version: number; dvKey?: string }> {
  const snap = await loadSnapshot(store)
  const add = snap.activeFiles().find((a) => a.path === path)
  if (!add) throw new Error(`no active file ${path}`)
  const sorted = [...rows].sort((a, b) => a - b)
  let dvKey: string | undefined
  let dv
  if (onDisk) {
    const bitmap = encodeRoaringBitmapArray(sorted)
    const { bytes, offsets } = encodeDeletionVectorFile([bitmap])
    const uuid = globalThis.crypto.randomUUID()
    dv = uuidDescriptor(uuid, '', offsets[0], bitmap, sorted.length)
    dvKey = `deletion_vector_${uuid}.bin`
    await store.put(dvKey, bytes)
  } else {
    dv = inlineDescriptor(sorted)
  }
  const remove: RemoveFile = { path: add.path, deletionTimestamp: Date.now(), dataChange: true, partitionValues: add.partitionValues, size: add.size, deletionVector: add.deletionVector }
  const next: AddFile = { ...add, deletionVector: dv, dataChange: true }
  const txn = Transaction.on(snap, { operation: 'DELETE', read: { files: [add.path] } })
  txn.removeFiles([remove]).addFiles([next])
  const r = await txn.commit()
  return { version: r.version, dvKey }
}

/** Keys of the store that are Parquet data files (not in `_delta_log`). */
export async function dataKeys(store: ObjectStore): Promise<string[]> {
  const out: string[] = []
  for await (const m of store.list('')) if (m.key.endsWith('.parquet') && !m.key.startsWith('_delta_log/')) out.push(m.key)
  return out.sort()
}
