// The read side of the public DeltaTable over a table built in a MemoryStore and over corpus tables.
import { describe, expect, it } from 'vitest'
import { TableNotFoundError, VersionNotFoundError } from '../../src/errors.js'
import { MemoryStore } from '../../src/storage/memory-store.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import { add, commitInfo, metadataAction, protocolAction, remove, writeCheckpoint, writeCommit } from '../log/fixtures.js'
import { corpusAvailable, corpusPath } from '../conformance/manifest.js'

async function sample(name: string): Promise<MemoryStore> {
  MemoryStore.drop(name)
  const store = new MemoryStore(name)
  await writeCommit(store, 0, [commitInfo(1000, { operation: 'CREATE TABLE' }), protocolAction(), metadataAction({ 'delta.appendOnly': 'false' }, ['part']),
    add('part=a/1.parquet', { partitionValues: { part: 'a' } })], 1000)
  await writeCommit(store, 1, [commitInfo(2000), add('part=b/2.parquet', { partitionValues: { part: 'b' } }), { txn: { appId: 'ingest', version: 4 } }], 2000)
  await writeCommit(store, 2, [commitInfo(3000, { operation: 'DELETE' }), remove('part=a/1.parquet', { deletionTimestamp: 3000 })], 3000)
  await writeCheckpoint(store, 2)
  await writeCommit(store, 3, [commitInfo(4000), add('part=c/3.parquet', { partitionValues: { part: 'c' } })], 4000)
  return store
}

describe('DeltaTable (read side)', () => {
  it('opens the latest version of a memory:// table and exposes its state', async () => {
    await sample('dt-latest')
    const t = await DeltaTable.open('memory://dt-latest')
    expect(t.version).toBe(3)
    expect(t.schema.fields.map((f) => f.name)).toEqual(['id', 'part'])
    expect(t.partitionColumns).toEqual(['part'])
    expect(t.properties).toEqual({ 'delta.appendOnly': 'false' })
    expect(t.protocol).toMatchObject({ minReaderVersion: 1, minWriterVersion: 2 })
    expect(t.metadata.id).toBe('test-table-id')
    expect([...t.txns]).toEqual([['ingest', 4]])
    expect((await t.files()).map((f) => f.path).sort()).toEqual(['part=b/2.parquet', 'part=c/3.parquet'])
    expect((await t.tombstones()).map((r) => r.path)).toEqual(['part=a/1.parquet'])
    expect(t.snapshot.version).toBe(3)
    expect(t.timestamp).toBe(4000)
  })

  it('opens an ObjectStore directly and travels by version and timestamp', async () => {
    const store = await sample('dt-travel')
    const t1 = await DeltaTable.open(store, { version: 1 })
    expect((await t1.files()).map((f) => f.path).sort()).toEqual(['part=a/1.parquet', 'part=b/2.parquet'])
    const t2 = await DeltaTable.open(store, { timestamp: 3500 })
    expect(t2.version).toBe(2)
    await expect(DeltaTable.open(store, { version: 9 })).rejects.toThrowError(VersionNotFoundError)
  })

  it('returns history newest first with versions and timestamps', async () => {
    const t = await DeltaTable.open(await sample('dt-history'))
    const h = await t.history()
    expect(h.map((e) => e.version)).toEqual([3, 2, 1, 0])
    expect(h.map((e) => e.timestamp)).toEqual([4000, 3000, 2000, 1000]) // commit file mtimes
    expect(h.map((e) => e.operationTimestamp)).toEqual([4000, 3000, 2000, 1000]) // commitInfo.timestamp
    expect(h[1].operation).toBe('DELETE')
    expect((await t.history({ limit: 2 })).map((e) => e.version)).toEqual([3, 2])
    const old = await DeltaTable.open(t.store, { version: 1 })
    expect((await old.history()).map((e) => e.version)).toEqual([1, 0])
  })

  it('prunes files by partition and skips them by stats', async () => {
    const store = await sample('dt-filter')
    await writeCommit(store, 4, [commitInfo(5000), add('part=c/4.parquet', { partitionValues: { part: 'c' },
      stats: '{"numRecords":3,"minValues":{"id":100},"maxValues":{"id":200},"nullCount":{"id":0}}' })], 5000)
    const t = await DeltaTable.open(store)
    expect((await t.files({ filter: "part = 'c'" })).map((f) => f.path).sort()).toEqual(['part=c/3.parquet', 'part=c/4.parquet'])
    // 3.parquet has no min/max for id, so it must be kept; 4.parquet's ids are 100..200
    expect((await t.files({ filter: 'id < 50' })).map((f) => f.path).sort()).toEqual(['part=b/2.parquet', 'part=c/3.parquet'])
    expect(await t.files({ filter: null })).toHaveLength(3)
  })

  it('refreshes to the latest version', async () => {
    const store = await sample('dt-refresh')
    const t = await DeltaTable.open(store, { version: 0 })
    await t.refresh()
    expect(t.version).toBe(3)
  })

  it('reports a missing table', async () => {
    await expect(DeltaTable.open('memory://no-such-table-here')).rejects.toThrowError(TableNotFoundError)
  })

  it.skipIf(!corpusAvailable())('opens a local corpus table by path and by file:// URL', async () => {
    const dir = corpusPath('tables', 'deltars__simple_table', 'delta')
    const a = await DeltaTable.open(dir)
    const b = await DeltaTable.open(`file://${dir}`)
    expect(a.version).toBe(4)
    expect((await b.files()).length).toBe((await a.files()).length)
    const err = await DeltaTable.open(dir, { version: 99 }).catch((e: Error) => e)
    expect((err as Error).message).toContain(dir)
  })
})
