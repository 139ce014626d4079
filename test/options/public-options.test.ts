// Every public call refuses an options key it does not know (a typo, another call's option) with
// UnknownOptionError naming the key, before it reads or writes anything. MERGE's options are
// checked with the CDC merge (test/dml); the medallion layer has its own.
import { describe, expect, it } from 'vitest'
import { FaultStore } from '../../src/testing.js'
import { DeltaTable, MemoryStore, Transaction, UnknownOptionError, InvalidArgumentError, cleanupExpiredLogs, loadSnapshot } from '../../src/index.js'
import { AzureStore, HttpStore, S3Store, registerCloudStores } from '../../src/cloud.js'
import { optionKeys } from '../../src/options.js'

const SCHEMA = { type: 'struct' as const, fields: [{ name: 'id', type: 'long' as const, nullable: true, metadata: {} }] }

async function table(): Promise<DeltaTable> {
  const t = await DeltaTable.create(new MemoryStore(), { schema: SCHEMA })
  await t.append([{ id: 1n }, { id: 2n }])
  return t
}

/** Runs `call`, expects UnknownOptionError naming `key` (and the call in its message). */
async function refuses(call: () => unknown, key: string, name: string): Promise<void> {
  let err: unknown
  try { await call() } catch (e) { err = e }
  expect(err, `${name} with ${key}`).toBeInstanceOf(UnknownOptionError)
  expect((err as UnknownOptionError).option).toBe(key)
  expect((err as Error).message).toContain(name)
  expect((err as Error).message).toContain(JSON.stringify(key))
}

const bad = <T extends object>(o: T, key: string): T => ({ ...o, [key]: 1 }) as T

describe('unknown option keys on public calls', () => {
  it('DeltaTable calls, each with a misspelled key', async () => {
    const t = await table()
    const v = t.version
    const cases: [string, string, (t: DeltaTable) => unknown][] = [
      ['DeltaTable.open', 'verison', (x) => DeltaTable.open(x.store, bad({}, 'verison'))],
      ['DeltaTable.create', 'partitonBy', () => DeltaTable.create(new MemoryStore(), bad({ schema: SCHEMA }, 'partitonBy'))],
      ['files', 'filtr', (x) => x.files(bad({}, 'filtr'))],
      ['history', 'limt', (x) => x.history(bad({}, 'limt'))],
      ['toArrow', 'colums', (x) => x.toArrow(bad({}, 'colums'))],
      ['toRows', 'where', (x) => x.toRows(bad({}, 'where'))],
      ['scan', 'batchSize', (x) => x.scan(bad({}, 'batchSize')).next()],
      ['changes', 'startingVersion', (x) => x.changes(bad({ startVersion: 0 }, 'startingVersion'))],
      ['append', 'mergeSchemas', (x) => x.append([{ id: 3n }], bad({}, 'mergeSchemas'))],
      ['overwrite', 'replaceWere', (x) => x.overwrite([{ id: 3n }], bad({}, 'replaceWere'))],
      ['update', 'isolation', (x) => x.update('id = 1', { id: 5 }, bad({}, 'isolation'))],
      ['delete', 'predicate', (x) => x.delete('id = 1', bad({}, 'predicate'))],
      ['optimize', 'zorderBy', (x) => x.optimize(bad({}, 'zorderBy'))],
      ['vacuum', 'retentionHour', (x) => x.vacuum(bad({}, 'retentionHour'))],
      ['restore', 'toVersion', (x) => x.restore(bad({ version: 0 }, 'toVersion'))],
      ['setProperties', 'allowArbitrary', (x) => x.setProperties({ 'delta.appendOnly': 'false' }, bad({}, 'allowArbitrary'))],
      ['unsetProperties', 'ifExist', (x) => x.unsetProperties(['a'], bad({}, 'ifExist'))],
      ['dropConstraint', 'ifexists', (x) => x.dropConstraint('c', bad({}, 'ifexists'))],
      ['addColumns column', 'parnet', (x) => x.addColumns([bad({ name: 'n', type: 'integer' as const }, 'parnet')])],
      ['refresh', 'verison', (x) => x.refresh(bad({}, 'verison'))],
    ]
    for (const [name, key, call] of cases) await refuses(() => call(t), key, name)
    expect(t.version).toBe(v)
    expect(await t.toRows()).toEqual([{ id: 1n }, { id: 2n }])
  })

  it('nested objects: txn and write of writes, retry of a Transaction', async () => {
    const t = await table()
    const v = t.version
    await refuses(() => t.append([{ id: 3n }], { txn: bad({ appId: 'a', version: 1 }, 'verison') }), 'verison', 'append txn')
    await refuses(() => t.overwrite([{ id: 3n }], { txn: bad({ appId: 'a', version: 1 }, 'app') }), 'app', 'overwrite txn')
    await refuses(() => t.update('true', { id: 5 }, { write: bad({}, 'targetSize') }), 'targetSize', 'update write')
    await refuses(() => t.delete('true', { txn: bad({ appId: 'a', version: 1 }, 'appid') }), 'appid', 'delete txn')
    expect(t.version).toBe(v)
    await refuses(() => Transaction.on(t.snapshot, bad({ operation: 'WRITE' }, 'isolation')), 'isolation', 'Transaction')
    await refuses(() => Transaction.on(t.snapshot, { operation: 'WRITE', retry: bad({}, 'maxAttempt') }), 'maxAttempt', 'Transaction retry')
    await refuses(() => loadSnapshot(t.store, bad({}, 'versoin')), 'versoin', 'loadSnapshot')
    await refuses(() => cleanupExpiredLogs(t.store, bad({}, 'dryrun')), 'dryrun', 'cleanupExpiredLogs')
  })

  it('stores: constructors and their retry / credentials objects', async () => {
    await refuses(() => new S3Store(bad({ bucket: 'b' }, 'regon')), 'regon', 'S3Store')
    await refuses(() => new S3Store({ bucket: 'b', retry: bad({}, 'attempt') }), 'attempt', 'S3Store retry')
    await refuses(() => new S3Store({ bucket: 'b', credentials: bad({ accessKeyId: 'a', secretAccessKey: 's' }, 'token') }), 'token', 'S3Store credentials')
    await refuses(() => new AzureStore(bad({ container: 'c' }, 'acount')), 'acount', 'AzureStore')
    await refuses(() => new HttpStore('https://example.invalid/t', bad({}, 'header')), 'header', 'HttpStore')
    await refuses(() => new FaultStore(new MemoryStore(), [], bad({}, 'capacity')), 'capacity', 'FaultStore')
    await refuses(() => registerCloudStores(bad({}, 'gcs')), 'gcs', 'registerCloudStores')
    await refuses(() => registerCloudStores({ s3: bad({}, 'endpiont') }), 'endpiont', 'registerCloudStores s3')
    // the valid forms still construct
    expect(new S3Store({ bucket: 'b', region: 'eu-west-1', retry: { attempts: 2 } }).bucket).toBe('b')
    expect(new HttpStore('https://example.invalid/t', { headers: {} }).url).toBe('https://example.invalid/t')
  })

  it('optionKeys lists each options type once: a missing or foreign key does not compile', () => {
    interface O { a?: number; b: string }
    expect(optionKeys<O>()(['a', 'b'])).toEqual(['a', 'b'])
    // @ts-expect-error b is missing
    optionKeys<O>()(['a'])
    // @ts-expect-error c is not a key of O
    optionKeys<O>()(['a', 'b', 'c'])
  })
})

describe('the clock option `now` is one type everywhere: () => number (docs/api.md)', () => {
  it('a clock is used as given by writes, maintenance and Transaction', async () => {
    const at = Date.parse('2030-01-02T03:04:05Z')
    const t = await DeltaTable.create(new MemoryStore(), { schema: SCHEMA, now: () => at })
    expect((await t.history())[0].operationTimestamp).toBe(at)
    await t.append([{ id: 1n }], { now: () => at + 1 })
    expect((await t.files()).map((f) => f.modificationTime)).toEqual([at + 1])
    await t.vacuum({ now: () => at + 2, dryRun: true })
  })

  it('a number, a Date or a clock returning a non-number is refused before anything is written', async () => {
    const t = await table()
    const v = t.version
    for (const now of [Date.now(), new Date(), () => 'soon']) {
      await expect(t.append([{ id: 3n }], { now: now as never })).rejects.toThrow(InvalidArgumentError)
      await expect(t.optimize({ now: now as never })).rejects.toThrow(/clock/)
      await expect(t.vacuum({ now: now as never })).rejects.toThrow(/clock/)
      await expect(cleanupExpiredLogs(t.store, { now: now as never })).rejects.toThrow(InvalidArgumentError)
    }
    expect((await DeltaTable.open(t.store)).version).toBe(v)
  })
})
