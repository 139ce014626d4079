import { describe, expect, it } from 'vitest'
import { CorruptLogError, UnsafePathError, UnsupportedFeatureError } from '../../src/errors.js'
import { commitKey } from '../../src/log/log-path.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { MemoryStore } from '../../src/storage/memory-store.js'
import { add, buildTable, commitInfo, metadataAction, protocolAction, remove, SpyStore, writeCheckpoint, writeCommit } from './fixtures.js'

const enc = (s: string) => new TextEncoder().encode(s)
const CP20 = '_delta_log/00000000000000000020.checkpoint.parquet'

describe('loadSnapshot', () => {
  it('reports malformed JSON in a commit with the file and line', async () => {
    const store = await buildTable(3, 0)
    const text = new TextDecoder().decode(await store.get(commitKey(1)))
    await store.put(commitKey(1), enc(text + '{"add":{"path":\n'))
    const err = await loadSnapshot(store).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CorruptLogError)
    expect((err as Error).message).toMatch(/line 3 of _delta_log\/00000000000000000001\.json/)
  })

  it('falls back to an older checkpoint when the newest is unreadable', async () => {
    const spy = new SpyStore(await buildTable(25, 10))
    spy.broken.add(CP20)
    const snap = await loadSnapshot(spy)
    const json = await loadSnapshot(spy, { jsonOnly: true })
    expect(snap.version).toBe(24)
    expect(snap.activeFiles().map((f) => f.path).sort()).toEqual(json.activeFiles().map((f) => f.path).sort())
  })

  it('replays JSON when no checkpoint is readable and the commits exist', async () => {
    const spy = new SpyStore(await buildTable(25, 10))
    spy.broken.add(CP20)
    spy.broken.add('_delta_log/00000000000000000010.checkpoint.parquet')
    expect((await loadSnapshot(spy)).activeFiles()).toHaveLength((await loadSnapshot(spy, { jsonOnly: true })).activeFiles().length)
  })

  it('fails clearly when the checkpoint is unreadable and older commits are gone', async () => {
    const inner = await buildTable(25, 10)
    for (let v = 0; v < 20; v++) await inner.delete(commitKey(v))
    await inner.delete('_delta_log/00000000000000000010.checkpoint.parquet')
    const spy = new SpyStore(inner)
    spy.broken.add(CP20)
    const err = await loadSnapshot(spy).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CorruptLogError)
    expect((err as Error).message).toContain('00000000000000000020.checkpoint.parquet')
    expect((err as Error).message).toMatch(/checkpoint unreadable/)
  })

  it('reads compacted ranges in place of their commits, first line winning (newest first)', async () => {
    const store = new MemoryStore()
    await writeCommit(store, 0, [commitInfo(1), protocolAction(), metadataAction(), add('a'), add('b')])
    await writeCommit(store, 1, [commitInfo(2), add('c')])
    await writeCommit(store, 2, [commitInfo(3), remove('c'), remove('a')])
    await writeCommit(store, 3, [commitInfo(4), add('d')])
    // as delta-kernel-rs writes them: newest commit first, with the older add of c still listed
    const compacted = [remove('c'), remove('a'), add('c')].map((a) => JSON.stringify(a)).join('\n')
    await store.put('_delta_log/00000000000000000001.00000000000000000002.compacted.json', enc(compacted))
    const snap = await loadSnapshot(store)
    expect(snap.activeFiles().map((f) => f.path).sort()).toEqual(['b', 'd'])
    expect(snap.tombstones().map((f) => f.path).sort()).toEqual(['a', 'c'])
  })

  it('requires protocol and metaData', async () => {
    const store = new MemoryStore()
    await writeCommit(store, 0, [commitInfo(1), metadataAction(), add('a')])
    await expect(loadSnapshot(store)).rejects.toThrowError(/no protocol action/)
    const store2 = new MemoryStore()
    await writeCommit(store2, 0, [commitInfo(1), protocolAction(), add('a')])
    await expect(loadSnapshot(store2)).rejects.toThrowError(/no metaData action/)
  })

  it('refuses unsupported reader features, naming them', async () => {
    const store = new MemoryStore()
    await writeCommit(store, 0, [commitInfo(1), { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors', 'futureFeature'], writerFeatures: [] } }, metadataAction()])
    await expect(loadSnapshot(store)).rejects.toThrowError(UnsupportedFeatureError)
    await expect(loadSnapshot(store)).rejects.toThrowError(/futureFeature/)
  })

  it('keeps the latest txn per app and live domain metadata', async () => {
    const store = new MemoryStore()
    await writeCommit(store, 0, [commitInfo(1), protocolAction(), metadataAction(), { txn: { appId: 'a', version: 1 } },
      { domainMetadata: { domain: 'd1', configuration: '{}', removed: false } }, { domainMetadata: { domain: 'd2', configuration: '{"x":1}', removed: false } }])
    await writeCommit(store, 1, [commitInfo(2), { txn: { appId: 'a', version: 2 } }, { txn: { appId: 'b', version: 7 } },
      { domainMetadata: { domain: 'd1', configuration: '{}', removed: true } }])
    await writeCheckpoint(store, 1)
    await writeCommit(store, 2, [commitInfo(3), { txn: { appId: 'b', version: 8 } }])
    for (const snap of [await loadSnapshot(store), await loadSnapshot(store, { jsonOnly: true })]) {
      expect([...snap.txns]).toEqual(expect.arrayContaining([['a', 2], ['b', 8]]))
      expect(snap.txns.size).toBe(2)
    }
    const json = await loadSnapshot(store, { jsonOnly: true })
    expect([...json.domainMetadata.keys()]).toEqual(['d2'])
  })

  it('uses the in-commit timestamp when enabled, else the commit file mtime', async () => {
    const store = new MemoryStore()
    await writeCommit(store, 0, [commitInfo(5, { inCommitTimestamp: 1_000 }), protocolAction(3, 7), metadataAction({ 'delta.enableInCommitTimestamps': 'true' })], 99_999)
    expect((await loadSnapshot(store)).timestamp).toBe(1_000)
    const plain = new MemoryStore()
    await writeCommit(plain, 0, [commitInfo(5), protocolAction(), metadataAction()], 42_000)
    expect((await loadSnapshot(plain)).timestamp).toBe(42_000)
  })

  it('treats file: URIs and bare absolute paths as the same file', async () => {
    const store = new MemoryStore()
    await writeCommit(store, 0, [commitInfo(1), protocolAction(), metadataAction(), add('file:/data/t/a.parquet')])
    await writeCommit(store, 1, [commitInfo(2), remove('/data/t/a.parquet')])
    expect((await loadSnapshot(store)).activeFiles()).toHaveLength(0)
  })

  it('resolves file paths under the table root and refuses escapes', async () => {
    const snap = await loadSnapshot(await buildTable(2, 0))
    expect(snap.resolvePath('p=1/a%20b.parquet')).toBe('p=1/a b.parquet')
    expect(() => snap.resolvePath('../../etc/passwd')).toThrowError(UnsafePathError)
  })
})

describe('bad input never escapes as a raw error', () => {
  it('random JSON in a commit gives a DeltaError or a valid snapshot', async () => {
    const { default: fc } = await import('fast-check')
    const { DeltaError } = await import('../../src/errors.js')
    const actionish = fc.oneof(
      fc.jsonValue(),
      fc.record({ add: fc.jsonValue() }),
      fc.record({ remove: fc.jsonValue() }),
      fc.record({ metaData: fc.jsonValue() }),
      fc.record({ protocol: fc.jsonValue() }),
      fc.record({ txn: fc.jsonValue() }),
      fc.record({ add: fc.record({ path: fc.string(), size: fc.jsonValue(), partitionValues: fc.jsonValue(), deletionVector: fc.jsonValue() }, { requiredKeys: [] }) }),
    )
    await fc.assert(fc.asyncProperty(fc.array(actionish, { maxLength: 5 }), fc.boolean(), async (lines, truncate) => {
      const store = await buildTable(3, 0)
      let text = lines.map((l) => JSON.stringify(l)).join('\n')
      if (truncate && text.length > 2) text = text.slice(0, text.length - 1)
      await store.put(commitKey(2), enc(text))
      try {
        const s = await loadSnapshot(store)
        s.activeFiles()
      } catch (e) {
        expect(e).toBeInstanceOf(DeltaError)
      }
    }), { numRuns: 300 })
  })
})
