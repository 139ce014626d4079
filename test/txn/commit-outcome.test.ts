// How a commit whose put-if-absent failed is settled (Transaction.settle), on a scripted store: a
// failure that may have been applied (StorageError.uncertain) is read back — ours → committed,
// another writer's → a lost race; absent → put again; never settled → CommitOutcomeUnknownError.
// A definite failure is passed through. The same paths run against real servers in
// test/cloud/net-faults.test.ts; here they run without them.
import { expect, it } from 'vitest'
import { CommitOutcomeUnknownError, MemoryStore, StorageError } from '../../src/index.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { parseActionLines, type Metadata } from '../../src/log/actions.js'
import { Transaction } from '../../src/txn/transaction.js'

const metadata: Metadata = {
  id: 'c0c0c0c0-0000-4000-8000-000000000000', format: { provider: 'parquet', options: {} }, partitionColumns: [], configuration: {},
  schemaString: '{"type":"struct","fields":[{"name":"a","type":"long","nullable":true,"metadata":{}}]}',
}
const add = (path: string) => ({ path, partitionValues: {}, size: 1, modificationTime: 1, dataChange: true })
const uncertain = (key: string) => Object.assign(new StorageError(`PUT ${key}: connection reset`, { file: key }), { uncertain: true })

/** putIfAbsent of commits follows a script: 'lost' writes then fails, 'fail' fails without writing, 'refuse' fails definitely, 'ok' writes. */
class ScriptedStore extends MemoryStore {
  script: ('lost' | 'fail' | 'refuse' | 'ok')[] = []
  failGets = 0
  puts = 0
  override async putIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    if (!key.startsWith('_delta_log/')) return super.putIfAbsent(key, data)
    this.puts++
    const step = this.script.shift() ?? 'ok'
    if (step === 'fail') throw uncertain(key)
    if (step === 'refuse') throw Object.assign(new StorageError(`PUT ${key}: HTTP 403 AccessDenied`, { file: key }), { status: 403 })
    const written = await super.putIfAbsent(key, data)
    if (step === 'lost') throw uncertain(key)
    return written
  }
  override async get(key: string): Promise<Uint8Array> {
    if (key.startsWith('_delta_log/0') && this.failGets > 0) { this.failGets--; throw uncertain(key) }
    return super.get(key)
  }
}

async function table(): Promise<ScriptedStore> {
  const store = new ScriptedStore()
  await Transaction.create(store, store.url, { operation: 'CREATE TABLE' }).setProtocol({ minReaderVersion: 1, minWriterVersion: 2 }).setMetadata(metadata).commit()
  return store
}

/** A blind append planned on the latest version (not committed yet); the store's counters start from here. */
async function append(store: ScriptedStore, path: string): Promise<Transaction> {
  const txn = Transaction.on(await loadSnapshot(store), { operation: 'WRITE' }).addFiles([add(path)])
  txn.blindAppend = true
  store.puts = 0
  return txn
}
const outcome = (p: Promise<unknown>) => p.then(() => undefined, (x: unknown) => x)

async function commitsOf(store: ScriptedStore): Promise<string[][]> {
  const out: string[][] = []
  for (let v = 1; ; v++) {
    const key = `_delta_log/${String(v).padStart(20, '0')}.json`
    if (!(await store.head(key))) return out
    out.push(parseActionLines(new TextDecoder().decode(await store.get(key))).flatMap((a) => ('add' in a ? [a.add.path] : [])))
  }
}

it('a lost reply: the commit is read back, recognised by its txnId, reported committed once', async () => {
  const store = await table()
  store.script = ['lost']
  expect((await (await append(store, 'a.parquet')).commit()).version).toBe(1)
  expect(await commitsOf(store)).toEqual([['a.parquet']])
})

it('a failure that may or may not have landed, and had not: the same bytes are put again and land once', async () => {
  const store = await table()
  store.script = ['fail', 'fail']
  expect((await (await append(store, 'b.parquet')).commit()).version).toBe(1)
  expect(store.puts).toBe(3)
  expect(await commitsOf(store)).toEqual([['b.parquet']])
})

it('a re-put that finds the key taken by our own earlier attempt is ours', async () => {
  const store = await table()
  store.script = ['fail', 'lost']
  expect((await (await append(store, 'c.parquet')).commit()).version).toBe(1)
  expect(await commitsOf(store)).toEqual([['c.parquet']])
})

it('never settled: CommitOutcomeUnknownError with version and txnId, bounded attempts, nothing written', async () => {
  const store = await table()
  store.script = Array(10).fill('fail')
  const txn = await append(store, 'd.parquet')
  const e = await outcome(txn.commit())
  expect(e).toBeInstanceOf(CommitOutcomeUnknownError)
  expect(e).toMatchObject({ code: 'COMMIT_OUTCOME_UNKNOWN', version: 1, txnId: txn.txnId })
  expect(store.puts).toBe(3)
  expect(await commitsOf(store)).toEqual([])
})

it('landed but unreadable: CommitOutcomeUnknownError, not a plain failure', async () => {
  const store = await table()
  const txn = await append(store, 'e.parquet')
  store.script = ['lost']
  store.failGets = 100
  const e = await outcome(txn.commit())
  expect(e).toBeInstanceOf(CommitOutcomeUnknownError)
  store.failGets = 0
  expect(await commitsOf(store)).toEqual([['e.parquet']])
})

it("another writer's commit found on read-back is a lost race: the blind append goes to the next version", async () => {
  const store = await table()
  const first = await append(store, 'mine.parquet') // planned on version 0
  await (await append(store, 'theirs.parquet')).commit() // version 1 is taken meanwhile
  store.script = ['fail'] // our put of version 1 fails without writing; read-back finds theirs
  expect((await first.commit()).version).toBe(2)
  expect(await commitsOf(store)).toEqual([['theirs.parquet'], ['mine.parquet']])
})

it('a definite refusal (403) is passed through as it is: nothing was written', async () => {
  const store = await table()
  store.script = ['refuse']
  const e = await outcome((await append(store, 'f.parquet')).commit())
  expect(e).toBeInstanceOf(StorageError)
  expect(e).not.toBeInstanceOf(CommitOutcomeUnknownError)
  expect((e as StorageError).status).toBe(403)
  expect(await commitsOf(store)).toEqual([])
})
