import { describe, expect, it } from 'vitest'
import { ConcurrentAppendError, InvalidArgumentError, MissingFileError } from '../../src/errors.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { restore } from '../../src/maintenance/restore.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import { deleteRowsWithDv, newTable, rowsAt, rowsOf } from './fixtures.js'

describe('restore', () => {
  it('brings back an old version (files with their DVs re-added, newer ones removed)', async () => {
    const { store, t } = await newTable({ partitioned: true })
    await t.append([...rowsOf(0, 4, 'a'), ...rowsOf(4, 4, 'b')])          // v1
    const [fa] = (await t.files({ filter: "part = 'a'" })).map((f) => f.path)
    await deleteRowsWithDv(store, fa, [0, 2])                                // v2
    await t.refresh()
    const v2 = await rowsAt(store, 2)
    await t.overwrite(rowsOf(50, 2, 'a'), { replaceWhere: "part = 'a'" })   // v3
    await t.append(rowsOf(60, 2, 'c'))                                       // v4
    const r = await t.restore({ version: 2 })
    expect(r).toMatchObject({ version: 5, restoredVersion: 2 })
    expect(r.metrics).toMatchObject({ numRestoredFiles: 1, numRemovedFiles: 2, numOfFilesAfterRestore: 2 })
    expect(await rowsAt(store, 5)).toBe(v2)
    expect(t.version).toBe(5)
    expect((await t.files()).find((f) => f.path === fa)?.deletionVector?.cardinality).toBe(2)
    const [h] = await t.history({ limit: 1 })
    expect(h.operation).toBe('RESTORE')
    expect(h.operationParameters).toMatchObject({ version: '2' })
    // restoring the DV'd state after a DV change: same path, other DV → remove + add of one path
    await deleteRowsWithDv(store, fa, [0, 1, 2])
    await t.refresh()
    await t.restore({ version: 5 })
    expect(await rowsAt(store, t.version)).toBe(v2)
  })

  it('by timestamp, and brings back schema and properties (the protocol never goes down)', async () => {
    const { store, t } = await newTable()
    await t.append(rowsOf(0, 3, 'x'))
    const ts = t.timestamp
    const v1 = await rowsAt(store, 1)
    await new Promise((r) => setTimeout(r, 5))
    await t.addColumns([{ name: 'extra', type: 'string' }])
    await t.setProperties({ 'delta.enableChangeDataFeed': 'true' })
    await t.append([{ id: 9n, part: 'x', v: 1, extra: 'e' }])
    const protocolBefore = t.protocol
    await t.restore({ timestamp: ts })
    expect(t.schema.fields.map((f) => f.name)).toEqual(['id', 'part', 'v'])
    expect(t.properties['delta.enableChangeDataFeed']).toBeUndefined()
    expect(t.protocol).toEqual(protocolBefore)
    expect(await rowsAt(store, t.version)).toBe(v1)
  })

  it('fails naming the file when VACUUM deleted it; nothing is committed', async () => {
    const { store, t } = await newTable()
    await t.append(rowsOf(0, 3, 'x'))
    const [old] = (await t.files()).map((f) => f.path)
    await t.overwrite(rowsOf(10, 3, 'x'))
    await t.vacuum({ retentionHours: 0, enforceRetentionDuration: false, now: () => Date.now() + 1000 })
    const version = t.version
    const e = await t.restore({ version: 1 }).catch((x) => x)
    expect(e).toBeInstanceOf(MissingFileError)
    expect(e.message).toContain(old)
    expect(e.message).toContain('version 1')
    expect((await DeltaTable.open(store)).version).toBe(version)
  })

  it('needs exactly one of version/timestamp; a concurrent change conflicts', async () => {
    const { store, t } = await newTable()
    await t.append(rowsOf(0, 3, 'x'))
    await t.append(rowsOf(3, 3, 'x'))
    await expect(t.restore({})).rejects.toThrow(InvalidArgumentError)
    await expect(t.restore({ version: 1, timestamp: 0 })).rejects.toThrow(InvalidArgumentError)
    const stale = await loadSnapshot(store)
    const other = await DeltaTable.open(store)
    await other.overwrite(rowsOf(100, 1, 'x'))
    await expect(restore(stale, { version: 1 })).rejects.toThrow(/concurrent|Concurrent/)
    void ConcurrentAppendError
  })
})
