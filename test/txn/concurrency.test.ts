import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  CommitRetriesExhaustedError, ConcurrentAppendError, ConcurrentDeleteDeleteError, ConcurrentTransactionError, MemoryStore,
} from '../../src/index.js'
import { parseActionLines, type AddFile, type Metadata, type Protocol } from '../../src/log/actions.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { LocalStore } from '../../src/storage/local-store.js'
import type { ObjectStore } from '../../src/storage/object-store.js'
import type { RetryClock } from '../../src/txn/retry.js'
import { Transaction } from '../../src/txn/transaction.js'

const protocol: Protocol = { minReaderVersion: 1, minWriterVersion: 2 }
const metadata = (configuration: Record<string, string> = {}): Metadata => ({
  id: '0b5e2d9a-0000-4000-8000-00000000c0de', format: { provider: 'parquet', options: {} }, partitionColumns: ['p'], configuration,
  schemaString: JSON.stringify({ type: 'struct', fields: [
    { name: 'p', type: 'string', nullable: true, metadata: {} }, { name: 'x', type: 'long', nullable: true, metadata: {} },
  ] }),
})
const addFile = (path: string, p: string): AddFile => ({ path: `p=${p}/${path}`, partitionValues: { p }, size: 10, modificationTime: 1, dataChange: true })
const removeOf = (a: AddFile) => ({ path: a.path, partitionValues: a.partitionValues, dataChange: true, deletionTimestamp: 2, size: a.size })

const instant: RetryClock = { sleep: async () => {}, random: () => 0.5 }

async function createTable(store: ObjectStore, files: AddFile[], configuration: Record<string, string> = {}) {
  await Transaction.create(store, store.url, { operation: 'CREATE TABLE' })
    .setProtocol(protocol).setMetadata(metadata(configuration)).addFiles(files).commit()
}

async function commitsInLog(store: ObjectStore): Promise<number> {
  let n = 0
  for await (const m of store.list('_delta_log/')) if (m.key.endsWith('.json')) n++
  return n
}

const tmp = mkdtempSync(join(tmpdir(), 'lagomago-concurrency-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const stores: [string, () => ObjectStore][] = [
  ['MemoryStore', () => new MemoryStore()],
  ['LocalStore', () => new LocalStore(mkdtempSync(join(tmp, 't-')))],
]

describe.each(stores)('two handles racing on one table (%s)', (_name, makeStore) => {
  it('racing blind appends both commit, at consecutive versions', async () => {
    const store = makeStore()
    await createTable(store, [])
    const [h1, h2] = await Promise.all([loadSnapshot(store), loadSnapshot(store)])
    const append = (snap: typeof h1, path: string) => {
      const t = Transaction.on(snap, { operation: 'WRITE', clock: instant }).addFiles([addFile(path, 'a')])
      t.blindAppend = true
      return t.commit()
    }
    const results = await Promise.all([append(h1, 'one.parquet'), append(h2, 'two.parquet')])
    expect(results.map((r) => r.version).sort()).toEqual([1, 2])
    expect(results.map((r) => r.attempts).sort()).toEqual([1, 2])
    const after = await loadSnapshot(store)
    expect(after.version).toBe(2)
    expect(after.activeFiles().map((f) => f.path).sort()).toEqual(['p=a/one.parquet', 'p=a/two.parquet'])
  })

  it('racing deletes of the same file: one commits, the other gets ConcurrentDeleteDeleteError', async () => {
    const store = makeStore()
    const f = addFile('victim.parquet', 'a')
    await createTable(store, [f, addFile('other.parquet', 'b')])
    const [h1, h2] = await Promise.all([loadSnapshot(store), loadSnapshot(store)])
    const del = (snap: typeof h1) => Transaction.on(snap, { operation: 'DELETE', clock: instant })
      .recordRead({ predicates: ["p = 'a'"], files: [f.path] }).removeFiles([removeOf(f)]).commit()
    const settled = await Promise.allSettled([del(h1), del(h2)])
    const ok = settled.filter((s) => s.status === 'fulfilled')
    const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected')
    expect(ok).toHaveLength(1)
    expect(failed).toHaveLength(1)
    const err = failed[0]!.reason as Error
    expect(err).toBeInstanceOf(ConcurrentDeleteDeleteError)
    expect(err.message).toContain(store.url)
    expect(err.message).toContain('version 0')
    expect(err.message).toContain('version 1')
    expect(err.message).toContain('DELETE')
    expect(err.message).toContain(f.path)
    expect(await commitsInLog(store)).toBe(2)
  })
})

describe("the seed pipeline's scenario: two CDC merge jobs at once", () => {
  // A merge job at the action level: read the partition, rewrite the file holding the keys.
  const mergeJob = (snap: Awaited<ReturnType<typeof loadSnapshot>>, p: string, out: string) => {
    const inPartition = snap.activeFiles().filter((f) => f.partitionValues.p === p)
    return Transaction.on(snap, { operation: 'MERGE', clock: instant })
      .recordRead({ predicates: [`p = '${p}'`], files: inPartition.map((f) => f.path) })
      .removeFiles(inPartition.map(removeOf)).addFiles([addFile(out, p)]).commit()
  }

  it('merging into disjoint partitions: both succeed', async () => {
    const store = new MemoryStore()
    await createTable(store, [addFile('a0.parquet', 'a'), addFile('b0.parquet', 'b')])
    const [h1, h2] = await Promise.all([loadSnapshot(store), loadSnapshot(store)])
    const results = await Promise.all([mergeJob(h1, 'a', 'a1.parquet'), mergeJob(h2, 'b', 'b1.parquet')])
    expect(results.map((r) => r.version).sort()).toEqual([1, 2])
    expect((await loadSnapshot(store)).activeFiles().map((f) => f.path).sort()).toEqual(['p=a/a1.parquet', 'p=b/b1.parquet'])
  })

  it('merging into the same rows: the second gets a clear conflict naming the file and partition', async () => {
    const store = new MemoryStore()
    await createTable(store, [addFile('a0.parquet', 'a'), addFile('b0.parquet', 'b')])
    const [h1, h2] = await Promise.all([loadSnapshot(store), loadSnapshot(store)])
    const settled = await Promise.allSettled([mergeJob(h1, 'a', 'a1.parquet'), mergeJob(h2, 'a', 'a2.parquet')])
    const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected')
    expect(failed).toHaveLength(1)
    expect(failed[0]!.reason).toBeInstanceOf(ConcurrentDeleteDeleteError)
    expect((failed[0]!.reason as Error).message).toMatch(/concurrent MERGE \(version 1\) also removed file p=a\/a0\.parquet in partition \[p=a\]/)
    expect((await loadSnapshot(store)).activeFiles()).toHaveLength(2)
  })
})

describe('isolation levels end to end', () => {
  async function deleteVersusAppend(configuration: Record<string, string>, appendTo: string) {
    const store = new MemoryStore()
    const f = addFile('old.parquet', 'a')
    await createTable(store, [f], configuration)
    const snap = await loadSnapshot(store)
    // The append wins the race…
    const app = Transaction.on(snap, { operation: 'WRITE' }).addFiles([addFile('new.parquet', appendTo)])
    app.blindAppend = true
    await app.commit()
    // …then the delete of partition a, planned on version 0, tries to commit.
    return Transaction.on(snap, { operation: 'DELETE', clock: instant })
      .recordRead({ predicates: ["p = 'a'"], files: [f.path] }).removeFiles([removeOf(f)]).commit()
  }

  it('WriteSerializable (default): a blind append into the deleted partition does not fail the delete', async () => {
    await expect(deleteVersusAppend({}, 'a')).resolves.toMatchObject({ version: 2 })
  })

  it('Serializable: it does, with ConcurrentAppendError naming the partition; other partitions do not', async () => {
    const err = await deleteVersusAppend({ 'delta.isolationLevel': 'Serializable' }, 'a').catch((e: unknown) => e as Error)
    expect(err).toBeInstanceOf(ConcurrentAppendError)
    expect((err as Error).message).toContain('partition [p=a]')
    await expect(deleteVersusAppend({ 'delta.isolationLevel': 'Serializable' }, 'b')).resolves.toMatchObject({ version: 2 })
  })
})

describe('rebasing and retries', () => {
  it('checks every winner up to the tip in one round, then commits after them', async () => {
    const store = new MemoryStore()
    await createTable(store, [])
    const snap = await loadSnapshot(store)
    for (const name of ['w1', 'w2', 'w3']) {
      const t = Transaction.on(await loadSnapshot(store), { operation: 'WRITE' }).addFiles([addFile(`${name}.parquet`, 'b')])
      t.blindAppend = true
      await t.commit()
    }
    const sleeps: number[] = []
    const ours = Transaction.on(snap, { operation: 'DELETE', clock: { sleep: async (ms) => { sleeps.push(ms) }, random: () => 0.5 } })
      .recordRead({ predicates: ["p = 'a'"] }).addFiles([addFile('mine.parquet', 'a')])
    expect((await ours.commit()).version).toBe(4)
    expect(sleeps).toHaveLength(1)
  })

  it('a put reported as lost that had in fact landed is recognised as our own commit, not rebased', async () => {
    const store = new MemoryStore()
    await createTable(store, [])
    // A store whose conditional put succeeds but reports failure (a retried request after a timeout).
    const flaky: ObjectStore = Object.assign(Object.create(store) as MemoryStore, {
      putIfAbsent: async (key: string, data: Uint8Array) => { await store.putIfAbsent(key, data); return false },
    })
    const snap = await loadSnapshot(store)
    const t = Transaction.on({ ...snap, store: flaky, tableUrl: snap.tableUrl, version: snap.version, protocol: snap.protocol, metadata: snap.metadata, timestamp: snap.timestamp },
      { operation: 'WRITE', clock: instant }).addFiles([addFile('once.parquet', 'a')])
    t.blindAppend = true
    expect(await t.commit()).toMatchObject({ version: 1, attempts: 1 })
    expect(await commitsInLog(store)).toBe(2)
  })

  it('gives up with CommitRetriesExhaustedError when the race is lost more than maxAttempts times', async () => {
    const store = new MemoryStore()
    await createTable(store, [])
    const snap = await loadSnapshot(store)
    let n = 0
    // Every backoff, another writer slips in a commit.
    const clock: RetryClock & { sleeps: number } = {
      sleeps: 0,
      random: () => 0.5,
      sleep: async () => {
        clock.sleeps++
        const t = Transaction.on(await loadSnapshot(store), { operation: 'WRITE' }).addFiles([addFile(`x${n++}.parquet`, 'b')])
        t.blindAppend = true
        await t.commit()
      },
    }
    // not a blind append (it read the table), so it backs off between attempts
    const t = Transaction.on(snap, { operation: 'WRITE', clock, retry: { maxAttempts: 3 }, read: { predicates: [] } }).addFiles([addFile('late.parquet', 'a')])
    const first = Transaction.on(snap, { operation: 'WRITE' }).addFiles([addFile('first.parquet', 'a')])
    first.blindAppend = true
    await first.commit()
    await expect(t.commit()).rejects.toBeInstanceOf(CommitRetriesExhaustedError)
    expect(clock.sleeps).toBe(2)
  })

  it('a blind append that lost the race retries at the next version at once (no backoff), up to maxAttempts', async () => {
    // Another writer takes every version this one tries, just before it tries.
    class Interloper extends MemoryStore {
      armed = false
      n = 0
      override async putIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
        if (this.armed && key.endsWith('.json')) {
          this.armed = false
          const other = Transaction.on(await loadSnapshot(this), { operation: 'WRITE' }).addFiles([addFile(`x${this.n++}.parquet`, 'b')])
          other.blindAppend = true
          await other.commit()
          this.armed = true
        }
        return super.putIfAbsent(key, data)
      }
    }
    const store = new Interloper()
    await createTable(store, [])
    const snap = await loadSnapshot(store)
    const clock: RetryClock & { sleeps: number } = { sleeps: 0, random: () => 0.5, sleep: async () => { clock.sleeps++ } }
    const t = Transaction.on(snap, { operation: 'WRITE', clock, retry: { maxAttempts: 4 } }).addFiles([addFile('late.parquet', 'a')])
    t.blindAppend = true
    store.armed = true
    await expect(t.commit()).rejects.toBeInstanceOf(CommitRetriesExhaustedError)
    expect(clock.sleeps).toBe(0)
    expect(store.n).toBe(4) // one lost race per attempt
    // with the interloper gone, the same kind of append lands after the others' versions
    store.armed = false
    const u = Transaction.on(snap, { operation: 'WRITE', clock }).addFiles([addFile('late.parquet', 'a')])
    u.blindAppend = true
    expect((await u.commit()).version).toBe(5)
    expect(clock.sleeps).toBe(0)
  })

  it('many concurrent appenders on one store: every acknowledged commit is in the log exactly once', async () => {
    const store = new MemoryStore()
    await createTable(store, [])
    const writers = 8
    const perWriter = 5
    const acked: { path: string; version: number }[] = []
    await Promise.all(Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        const path = `p=a/w${w}-${i}.parquet`
        const t = Transaction.on(await loadSnapshot(store), { operation: 'WRITE', clock: instant }).addFiles([addFile(`w${w}-${i}.parquet`, 'a')])
        t.blindAppend = true
        acked.push({ path, version: (await t.commit()).version })
      }
    }))
    const snap = await loadSnapshot(store)
    expect(snap.version).toBe(writers * perWriter)
    expect(new Set(acked.map((a) => a.version)).size).toBe(writers * perWriter)
    const active = snap.activeFiles().map((f) => f.path).sort()
    expect(active).toEqual(acked.map((a) => a.path).sort())
    for (const { path, version } of acked) {
      const text = new TextDecoder().decode(await store.get(`_delta_log/${String(version).padStart(20, '0')}.json`))
      expect(parseActionLines(text).filter((a) => 'add' in a).map((a) => ('add' in a ? a.add.path : ''))).toEqual([path])
    }
  })
})

describe('idempotent writes (txn appId, version)', () => {
  it('a batch the snapshot already records is a no-op returning the read version', async () => {
    const store = new MemoryStore()
    await createTable(store, [])
    const t = Transaction.on(await loadSnapshot(store), { operation: 'STREAMING UPDATE' }).addFiles([addFile('b1.parquet', 'a')]).setTxn('stream', 7)
    t.blindAppend = true
    expect((await t.commit()).version).toBe(1)
    for (const v of [7, 6]) {
      const again = Transaction.on(await loadSnapshot(store), { operation: 'STREAMING UPDATE' }).addFiles([addFile(`dup${v}.parquet`, 'a')]).setTxn('stream', v)
      again.blindAppend = true
      expect(await again.commit()).toMatchObject({ version: 1, alreadyCommitted: true, actions: [] })
    }
    expect(await commitsInLog(store)).toBe(2)
  })

  it('two instances committing the same batch: one writes it, the other returns the winner\'s version', async () => {
    const store = new MemoryStore()
    await createTable(store, [])
    const [h1, h2] = await Promise.all([loadSnapshot(store), loadSnapshot(store)])
    const batch = (snap: typeof h1, path: string) => {
      const t = Transaction.on(snap, { operation: 'STREAMING UPDATE', clock: instant }).addFiles([addFile(path, 'a')]).setTxn('stream', 1)
      t.blindAppend = true
      return t.commit()
    }
    const [r1, r2] = await Promise.all([batch(h1, 'i1.parquet'), batch(h2, 'i2.parquet')])
    expect([r1.version, r2.version]).toEqual([1, 1])
    expect([r1.alreadyCommitted, r2.alreadyCommitted].filter(Boolean)).toHaveLength(1)
    const snap = await loadSnapshot(store)
    expect(snap.version).toBe(1)
    expect(snap.activeFiles()).toHaveLength(1)
    expect(snap.txns.get('stream')).toBe(1)
  })

  it('two instances committing different batches of one app: ConcurrentTransactionError', async () => {
    const store = new MemoryStore()
    await createTable(store, [])
    const snap = await loadSnapshot(store)
    const t1 = Transaction.on(snap, { operation: 'STREAMING UPDATE' }).addFiles([addFile('n1.parquet', 'a')]).setTxn('stream', 2)
    t1.blindAppend = true
    await t1.commit()
    const t2 = Transaction.on(snap, { operation: 'STREAMING UPDATE', clock: instant }).addFiles([addFile('n2.parquet', 'a')]).setTxn('stream', 3)
    t2.blindAppend = true
    const err = await t2.commit().catch((e: unknown) => e as Error)
    expect(err).toBeInstanceOf(ConcurrentTransactionError)
    expect((err as Error).message).toContain("'stream'")
  })
})

describe('reading the winners of lost races', () => {
  it('one read per winner and one that finds the tip: no existence check before each, on a local folder and in memory', async () => {
    for (const [name, make] of stores) {
      const inner = make()
      await createTable(inner, [])
      const calls: string[] = []
      const log = (op: string, key: string) => { if (/^_delta_log\/\d{20}\.json$/.test(key)) calls.push(`${op} ${Number(key.slice(11, 31))}`) }
      const store: ObjectStore = Object.assign(Object.create(inner), {
        get: (key: string) => { log('get', key); return inner.get(key) },
        head: (key: string) => { log('head', key); return inner.head(key) },
        putIfAbsent: (key: string, data: Uint8Array) => { log('put', key); return inner.putIfAbsent(key, data) },
      })
      const snap = await loadSnapshot(store)
      // three other writers take versions 1..3 after our read
      for (const p of ['a', 'b', 'c']) await Transaction.on(await loadSnapshot(inner), { operation: 'WRITE' }).addFiles([addFile(`${p}.parquet`, p)]).commit()
      calls.length = 0
      const txn = Transaction.on(snap, { operation: 'WRITE', clock: instant }).addFiles([addFile('ours.parquet', 'z')])
      txn.blindAppend = true
      const r = await txn.commit()
      expect(r.version, name).toBe(4)
      expect(calls, name).toEqual(['put 1', 'get 1', 'get 2', 'get 3', 'get 4', 'put 4'])
      // every winner was checked and ours committed once, after them
      const t = await loadSnapshot(inner)
      expect(t.version, name).toBe(4)
      expect(t.activeFiles().map((f) => f.path).sort(), name).toEqual(['p=a/a.parquet', 'p=b/b.parquet', 'p=c/c.parquet', 'p=z/ours.parquet'])
    }
  })
})
