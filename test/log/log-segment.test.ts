import { describe, expect, it } from 'vitest'
import { CorruptLogError, TableNotFoundError, VersionNotFoundError } from '../../src/errors.js'
import { commitKey } from '../../src/log/log-path.js'
import { buildLogSegment, listLog } from '../../src/log/log-segment.js'
import { MemoryStore } from '../../src/storage/memory-store.js'
import { add, buildTable, commitInfo, metadataAction, protocolAction, SpyStore, writeCommit } from './fixtures.js'

const enc = (s: string) => new TextEncoder().encode(s)

describe('log segment', () => {
  it('uses _last_checkpoint to list only from the checkpoint on', async () => {
    const store = new SpyStore(await buildTable(35, 10))
    const seg = await buildLogSegment(store)
    expect(seg.version).toBe(34)
    expect(seg.checkpoint?.version).toBe(30)
    expect(seg.commits.map((c) => c.version)).toEqual([31, 32, 33, 34])
    expect(store.listCalls).toHaveLength(1)
    expect(store.listed.some((k) => k.includes('00000000000000000029'))).toBe(false)
  })

  it('falls back to a full listing when _last_checkpoint is stale, missing, corrupt or points nowhere', async () => {
    for (const mutate of [
      async (s: MemoryStore) => s.put('_delta_log/_last_checkpoint', enc('{"version":10,"size":3}')), // stale (30 exists)
      async (s: MemoryStore) => s.delete('_delta_log/_last_checkpoint'),
      async (s: MemoryStore) => s.put('_delta_log/_last_checkpoint', enc('{not json')),
      async (s: MemoryStore) => s.put('_delta_log/_last_checkpoint', enc('{"version":33,"size":3}')), // no checkpoint at 33
      async (s: MemoryStore) => s.put('_delta_log/_last_checkpoint', enc('{"version":900,"size":3}')), // past the end
    ]) {
      const inner = await buildTable(35, 10)
      await mutate(inner)
      const seg = await buildLogSegment(inner)
      expect(seg.version).toBe(34)
      expect(seg.checkpoint?.version).toBe(30)
    }
  })

  it('picks the newest checkpoint at or before a requested version', async () => {
    const store = await buildTable(35, 10)
    const seg = await buildLogSegment(store, { version: 25 })
    expect(seg.checkpoint?.version).toBe(20)
    expect(seg.commits.map((c) => c.version)).toEqual([21, 22, 23, 24, 25])
    const seg5 = await buildLogSegment(store, { version: 5 })
    expect(seg5.checkpoint).toBeUndefined()
    expect(seg5.commits.map((c) => c.version)).toEqual([0, 1, 2, 3, 4, 5])
  })

  it('drops incomplete multi-part checkpoints', async () => {
    const store = await buildTable(12, 0)
    const cp = await store.get(commitKey(0)) // content does not matter for listing
    await store.put('_delta_log/00000000000000000010.checkpoint.0000000001.0000000002.parquet', cp)
    await store.put('_delta_log/00000000000000000005.checkpoint.0000000001.0000000002.parquet', cp)
    await store.put('_delta_log/00000000000000000005.checkpoint.0000000002.0000000002.parquet', cp)
    const listing = await listLog(store)
    expect(listing.checkpoints.map((c) => [c.version, c.kind, c.files.length])).toEqual([[5, 'multipart', 2]])
  })

  it('prefers compacted files for runs of commits but reads the last commit itself', async () => {
    const store = await buildTable(8, 0)
    await store.put('_delta_log/00000000000000000001.00000000000000000004.compacted.json', enc(''))
    await store.put('_delta_log/00000000000000000002.00000000000000000007.compacted.json', enc(''))
    const seg = await buildLogSegment(store)
    expect(seg.commits.map((c) => [c.kind, c.version, c.endVersion])).toEqual([
      ['commit', 0, undefined], ['compaction', 1, 4], ['commit', 5, undefined], ['commit', 6, undefined], ['commit', 7, undefined],
    ])
  })

  it('reports a gap as CorruptLogError naming the missing commit', async () => {
    const store = await buildTable(6, 0)
    await store.delete(commitKey(3))
    await expect(buildLogSegment(store)).rejects.toThrowError(CorruptLogError)
    await expect(buildLogSegment(store)).rejects.toThrowError(/00000000000000000003\.json/)
    // versions before the gap are still readable
    expect((await buildLogSegment(store, { version: 2 })).version).toBe(2)
  })

  it('reports a missing table and versions out of range', async () => {
    await expect(buildLogSegment(new MemoryStore())).rejects.toThrowError(TableNotFoundError)
    const store = await buildTable(3, 0)
    await expect(buildLogSegment(store, { version: 3 })).rejects.toThrowError(VersionNotFoundError)
    await expect(buildLogSegment(store, { version: 3 })).rejects.toThrowError(/latest version is 2/)
  })

  it('cannot rebuild versions whose commits were cleaned up without a checkpoint', async () => {
    const store = await buildTable(25, 10)
    for (let v = 0; v < 10; v++) await store.delete(commitKey(v))
    expect((await buildLogSegment(store, { version: 12 })).checkpoint?.version).toBe(10)
    await expect(buildLogSegment(store, { version: 5 })).rejects.toThrowError(VersionNotFoundError)
  })

  it('ignores stray files in _delta_log', async () => {
    const store = new MemoryStore()
    await writeCommit(store, 0, [commitInfo(1), protocolAction(), metadataAction(), add('a')])
    for (const k of ['.tmp/00000000000000000001.json', '.00000000000000000000.json.crc', '00000000000000000000.crc', '_SUCCESS', '_autostats/x.json']) {
      await store.put(`_delta_log/${k}`, enc('garbage'))
    }
    const seg = await buildLogSegment(store)
    expect(seg.version).toBe(0)
  })
})
