import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CommitConflictError, InvalidArgumentError, MemoryStore } from '../../src/index.js'
import type { Action, Metadata, Protocol } from '../../src/log/actions.js'
import { parseActionLines } from '../../src/log/actions.js'
import { serializeActions, validateCommit } from '../../src/txn/commit.js'
import { ENGINE_INFO, LAGOMAGO_VERSION } from '../../src/txn/engine.js'
import { Transaction } from '../../src/txn/transaction.js'

const protocol: Protocol = { minReaderVersion: 1, minWriterVersion: 2 }
const metadata = (config: Record<string, string> = {}): Metadata => ({
  id: 'f0f0f0f0-0000-4000-8000-000000000000', format: { provider: 'parquet', options: {} },
  schemaString: '{"type":"struct","fields":[{"name":"a","type":"long","nullable":true,"metadata":{}}]}',
  partitionColumns: [], configuration: config, createdTime: 1,
})
const add = (path: string) => ({ path, partitionValues: {}, size: 1, modificationTime: 1, dataChange: true })

async function readCommit(store: MemoryStore, v: number): Promise<Action[]> {
  return parseActionLines(new TextDecoder().decode(await store.get(`_delta_log/${String(v).padStart(20, '0')}.json`)))
}

describe('Transaction', () => {
  it('creates version 0 with commitInfo first, protocol, metaData and adds', async () => {
    const store = new MemoryStore()
    const txn = Transaction.create(store, store.url, { operation: 'CREATE TABLE', operationParameters: { partitionBy: [] }, now: () => 1234 })
    txn.setProtocol(protocol).setMetadata(metadata()).addFiles([add('a.parquet')])
    txn.metrics = { numFiles: 1 }
    const r = await txn.commit()
    expect(r.version).toBe(0)
    const actions = await readCommit(store, 0)
    expect(Object.keys(actions[0])).toEqual(['commitInfo'])
    const info = (actions[0] as { commitInfo: Record<string, unknown> }).commitInfo
    expect(info).toMatchObject({ timestamp: 1234, operation: 'CREATE TABLE', engineInfo: ENGINE_INFO, operationMetrics: { numFiles: '1' }, operationParameters: { partitionBy: '[]' } })
    expect(info.readVersion).toBeUndefined()
    expect(actions.map((a) => Object.keys(a)[0])).toEqual(['commitInfo', 'protocol', 'metaData', 'add'])
  })

  it('a lost race without a conflict check is a CommitConflictError naming the version', async () => {
    const store = new MemoryStore()
    await Transaction.create(store, 't', { operation: 'CREATE TABLE' }).setProtocol(protocol).setMetadata(metadata()).commit()
    const state = { store, tableUrl: 't', version: 0, protocol, metadata: metadata(), timestamp: 1 }
    await Transaction.on(state, { operation: 'WRITE' }).addFiles([add('b.parquet')]).commit()
    const late = Transaction.on(state, { operation: 'WRITE' }).addFiles([add('c.parquet')])
    await expect(late.commit()).rejects.toThrow(CommitConflictError)
    await expect(Transaction.on(state, { operation: 'WRITE' }).commit()).rejects.toThrow(/version 1/)
    // the winner's commit is untouched
    expect((await readCommit(store, 1)).some((a) => 'add' in a && a.add.path === 'b.parquet')).toBe(true)
  })

  it('a conflict check that passes rebases onto the next version; one that throws aborts', async () => {
    const store = new MemoryStore()
    await Transaction.create(store, 't', { operation: 'CREATE TABLE' }).setProtocol(protocol).setMetadata(metadata()).commit()
    const state = { store, tableUrl: 't', version: 0, protocol, metadata: metadata(), timestamp: 1 }
    await Transaction.on(state, { operation: 'WRITE' }).addFiles([add('b.parquet')]).commit()
    const seen: number[] = []
    const r = await Transaction.on(state, { operation: 'WRITE', conflictCheck: (w) => { seen.push(w.version) } }).addFiles([add('c.parquet')]).commit()
    expect(r.version).toBe(2)
    expect(seen).toEqual([1])
    const abort = Transaction.on(state, { operation: 'WRITE', conflictCheck: () => { throw new CommitConflictError('no') } })
    await expect(abort.commit()).rejects.toThrow('no')
  })

  it('in-commit timestamps: first action, monotonic past the previous commit', async () => {
    const store = new MemoryStore()
    const p: Protocol = { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['inCommitTimestamp'] }
    const m = metadata({ 'delta.enableInCommitTimestamps': 'true' })
    const state = { store, tableUrl: 't', version: 0, protocol: p, metadata: m, timestamp: 5000 }
    await Transaction.create(store, 't', { operation: 'CREATE TABLE' }).setProtocol(p).setMetadata(m).commit()
    const r = await Transaction.on(state, { operation: 'WRITE', now: () => 1000 }).commit()
    expect(r.commitInfo.inCommitTimestamp).toBe(5001)
    expect(r.commitInfo.timestamp).toBe(5001)
  })

  it('idempotent txn ids are written once per appId', async () => {
    const store = new MemoryStore()
    const txn = Transaction.create(store, 't', { operation: 'CREATE TABLE' }).setProtocol(protocol).setMetadata(metadata()).setTxn('app', 3)
    expect(() => txn.setTxn('app', 4)).toThrow(InvalidArgumentError)
    await txn.commit()
    const actions = await readCommit(store, 0)
    expect(actions.find((a) => 'txn' in a)).toMatchObject({ txn: { appId: 'app', version: 3 } })
  })
})

describe('commit files', () => {
  it('serialise deterministically, one action per line', () => {
    const a: Action[] = [{ add: { ...add('x'), stats: '{"numRecords":1}' } }, { txn: { appId: 'a', version: 1 } }]
    const b: Action[] = [{ add: { dataChange: true, modificationTime: 1, size: 1, partitionValues: {}, path: 'x', stats: '{"numRecords":1}' } }, { txn: { version: 1, appId: 'a' } }]
    expect(serializeActions(a)).toEqual(serializeActions(b))
    const text = new TextDecoder().decode(serializeActions(a))
    expect(text.split('\n')).toHaveLength(3)
    expect(text.endsWith('\n')).toBe(true)
  })

  it('refuse entries PROTOCOL.md forbids', () => {
    expect(() => validateCommit([{ protocol }, { protocol }])).toThrow(/protocol/)
    expect(() => validateCommit([{ metaData: metadata() }, { metaData: metadata() }])).toThrow(/metaData/)
    expect(() => validateCommit([{ add: add('x') }, { add: add('x') }])).toThrow(/twice/)
    expect(() => validateCommit([{ txn: { appId: 'a', version: 1 } }, { txn: { appId: 'a', version: 2 } }])).toThrow(/appId a/)
    expect(() => validateCommit([{ add: add('x') }, { commitInfo: {} }])).toThrow(/first/)
    expect(() => validateCommit([{ add: add('x') }, { remove: { path: 'x', dataChange: true } }])).not.toThrow()
  })

  it('engineInfo carries the package version', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8'))
    expect(LAGOMAGO_VERSION).toBe(pkg.version)
  })
})
