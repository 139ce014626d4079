import { describe, expect, it } from 'vitest'
import { parquetMetadata } from 'hyparquet'
import { MemoryStore } from '../../src/index.js'
import type { AddFile, Metadata, Protocol } from '../../src/log/actions.js'
import { checkpointSchema, parseIntervalMs, retainedTombstones, checkpointDue, writeCheckpoint } from '../../src/log/checkpoint-write.js'
import { loadSnapshot, type Snapshot } from '../../src/log/snapshot.js'
import { Transaction } from '../../src/txn/transaction.js'
import { canon } from '../log/fixtures.js'

const protocol: Protocol = { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors', 'domainMetadata'] }
const metadata: Metadata = {
  id: '1b0c6f3e-1111-4000-8000-000000000000', name: 'events', format: { provider: 'parquet', options: {} },
  schemaString: JSON.stringify({ type: 'struct', fields: [{ name: 'p', type: 'string', nullable: true, metadata: {} }, { name: 'x', type: 'long', nullable: true, metadata: {} }] }),
  partitionColumns: ['p'], configuration: { 'delta.checkpointInterval': '5', 'delta.enableDeletionVectors': 'true' }, createdTime: 1700000000000,
}
const add = (i: number, extra: Partial<AddFile> = {}): AddFile => ({
  path: `p=${i % 3}/part-${i}.parquet`, partitionValues: { p: i % 3 === 0 ? null : String(i % 3) }, size: 100 + i, modificationTime: 1700000000000 + i,
  dataChange: true, stats: `{"numRecords":${i},"minValues":{"x":${i}},"maxValues":{"x":${i * 2}},"nullCount":{"x":0}}`, ...extra,
})

function state(s: Snapshot) {
  const files = (xs: object[]) => xs.map((x) => JSON.stringify(canon(x))).sort()
  return {
    version: s.version, protocol: canon(s.protocol), metadata: canon(s.metadata), txns: [...s.txns].sort(),
    domains: [...s.domainMetadata.values()].filter((d) => !d.removed).sort((a, b) => a.domain.localeCompare(b.domain)),
    adds: files(s.activeFiles()), removes: s.tombstones().map((r) => r.path).sort(),
  }
}

describe('classic checkpoint writer', () => {
  it('reading from the checkpoint gives exactly what JSON-only replay gives', async () => {
    const store = new MemoryStore()
    await Transaction.create(store, 't', { operation: 'CREATE TABLE' }).setProtocol(protocol).setMetadata(metadata).addFiles([add(1), add(2)]).commit()
    let snap = await loadSnapshot(store)
    for (let i = 3; i <= 7; i++) {
      const txn = Transaction.on(snap, { operation: 'WRITE' }).addFiles([add(i, i === 5 ? { tags: { k: 'v' }, deletionVector: { storageType: 'i', pathOrInlineDv: 'wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L', sizeInBytes: 40, cardinality: 2, maxRowIndex: 9 } } : {})])
      if (i === 4) txn.removeFiles([{ path: add(1).path, deletionTimestamp: Date.now(), dataChange: true, partitionValues: add(1).partitionValues, size: 101, extendedFileMetadata: true }])
      if (i === 6) txn.removeFiles([{ path: add(2).path, deletionTimestamp: 1, dataChange: true }]) // expired tombstone
      txn.setTxn(`app-${i % 2}`, i)
      txn.setDomainMetadata({ domain: `d${i % 2}`, configuration: `{"i":${i}}`, removed: i === 7 })
      await txn.commit()
      snap = await loadSnapshot(store)
    }
    expect(checkpointDue(5, -1, metadata.configuration)).toBe(true)
    const last = await writeCheckpoint(snap)
    expect(last.version).toBe(5)
    expect(await store.head('_delta_log/00000000000000000005.checkpoint.parquet')).toBeDefined()
    const pointer = JSON.parse(new TextDecoder().decode(await store.get('_delta_log/_last_checkpoint')))
    expect(pointer).toEqual({ version: 5, size: last.size, sizeInBytes: last.sizeInBytes, numOfAddFiles: 5 })

    const fromCheckpoint = await loadSnapshot(store)
    const jsonOnly = await loadSnapshot(store, { jsonOnly: true })
    const a = state(fromCheckpoint)
    const b = state(jsonOnly)
    // the expired tombstone (deletionTimestamp 1) is dropped from the checkpoint only
    expect(b.removes).toContain(add(2).path)
    expect(a.removes).toEqual(b.removes.filter((p) => p !== add(2).path))
    expect({ ...a, removes: [] }).toEqual({ ...b, removes: [] })
  })

  it('writes the column layout Spark writes', () => {
    const names = checkpointSchema().filter((e) => e.num_children !== undefined && e.name !== 'spark_schema').map((e) => e.name)
    expect(names.slice(0, 3)).toEqual(['txn', 'add', 'partitionValues'])
    const top: string[] = []
    const schema = checkpointSchema()
    let i = 1
    const skip = (idx: number): number => { let n = schema[idx].num_children ?? 0; let j = idx + 1; while (n-- > 0) j = skip(j); return j }
    while (i < schema.length) { top.push(schema[i].name); i = skip(i) }
    expect(top).toEqual(['txn', 'add', 'remove', 'metaData', 'protocol', 'domainMetadata'])
  })

  it('parses retention intervals and keeps only fresh tombstones', () => {
    expect(parseIntervalMs('interval 1 week')).toBe(604_800_000)
    expect(parseIntervalMs('interval 30 days')).toBe(30 * 86_400_000)
    expect(parseIntervalMs('2 hours 30 minutes')).toBe(9_000_000)
    expect(parseIntervalMs('soon')).toBeUndefined()
    const now = 10 * 86_400_000
    const kept = retainedTombstones([{ path: 'a', dataChange: true, deletionTimestamp: now - 86_400_000 }, { path: 'b', dataChange: true, deletionTimestamp: now - 8 * 86_400_000 }], {}, now)
    expect(kept.map((r) => r.path)).toEqual(['a'])
  })

  it('the checkpoint file is valid Parquet with one row per action', async () => {
    const store = new MemoryStore()
    await Transaction.create(store, 't', { operation: 'CREATE TABLE' }).setProtocol(protocol).setMetadata(metadata).addFiles([add(1)]).commit()
    const snap = await loadSnapshot(store)
    await writeCheckpoint(snap)
    const bytes = await store.get('_delta_log/00000000000000000000.checkpoint.parquet')
    const md = parquetMetadata(bytes.slice().buffer)
    expect(Number(md.num_rows)).toBe(3) // protocol, metaData, add
  })
})

describe('v2Checkpoint tables', () => {
  it('get a classic checkpoint in the V2 spec (checkpointMetadata row) that reads back the same', async () => {
    const store = new MemoryStore()
    const p: Protocol = { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['v2Checkpoint'], writerFeatures: ['v2Checkpoint'] }
    await Transaction.create(store, 't', { operation: 'CREATE TABLE' }).setProtocol(p).setMetadata(metadata).addFiles([add(1), add(2)]).commit()
    const snap = await loadSnapshot(store)
    await writeCheckpoint(snap)
    const bytes = await store.get('_delta_log/00000000000000000000.checkpoint.parquet')
    expect(parquetMetadata(bytes.slice().buffer).schema.some((e) => e.name === 'checkpointMetadata')).toBe(true)
    const again = await loadSnapshot(store)
    expect(state(again)).toEqual(state(await loadSnapshot(store, { jsonOnly: true })))
  })
})
