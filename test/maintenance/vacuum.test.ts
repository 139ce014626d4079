import { describe, expect, it } from 'vitest'
import { DeltaError, InvalidArgumentError, MissingFileError, UnsupportedFeatureError } from '../../src/errors.js'
import { isVacuumable, vacuum } from '../../src/maintenance/vacuum.js'
import { MemoryStore } from '../../src/storage/memory-store.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import { dataKeys, deleteRowsWithDv, newTable, rowsAt, rowsOf } from './fixtures.js'

const DAY = 86_400_000
const bytes = (s: string) => new TextEncoder().encode(s)

describe('vacuum', () => {
  it('runs on tables with row tracking (it adds no files) and keeps their rows', async () => {
    const t = await DeltaTable.create(`memory://vacuum-rowtracking-${Math.random()}`, {
      schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }] },
      properties: { 'delta.enableRowTracking': 'true' },
    })
    await t.append([{ id: 1n }])
    await t.overwrite([{ id: 2n }])
    const r = await t.vacuum({ now: () => Date.now() + 8 * DAY })
    expect(r.filesDeleted).toHaveLength(1)
    expect(await t.toRows()).toEqual([{ id: 2n }])
  })

  it('deletes expired tombstones and old orphans only; the latest version reads, older ones fail clearly', async () => {
    const { store, t } = await newTable({ partitioned: true })
    await t.append([...rowsOf(0, 3, 'a'), ...rowsOf(3, 3, 'b')])      // v1
    await t.append(rowsOf(6, 3, 'a'))                                   // v2
    const v2rows = await rowsAt(store, 2)
    const removedKeys = (await t.files({ filter: "part = 'a'" })).map((f) => f.path)
    await t.overwrite(rowsOf(100, 2, 'a'), { replaceWhere: "part = 'a'" }) // v3 removes the a files
    const v3rows = await rowsAt(store, 3)
    // an orphan from a failed write, old enough; a fresh one (a write in flight); hidden files
    await store.put('part=a/part-99999-orphan.snappy.parquet', bytes('x'))
    await store.put('part=a/part-99998-inflight.snappy.parquet', bytes('x'))
    await store.put('_tmp/stuff.parquet', bytes('x'))
    await store.put('part=a/.part-0.crc', bytes('x'))
    await store.put('_change_data/cdc-00000.snappy.parquet', bytes('x'))
    const now = Date.now() + 8 * DAY
    store.setMtime('part=a/part-99998-inflight.snappy.parquet', now - 60_000)
    for (const k of ['part=a/part-99999-orphan.snappy.parquet', '_tmp/stuff.parquet', 'part=a/.part-0.crc', '_change_data/cdc-00000.snappy.parquet']) store.setMtime(k, Date.now() - 30 * DAY)

    // today only the month-old orphans are old enough; the removed files' tombstones are fresh
    expect((await t.vacuum({ dryRun: true })).filesDeleted).toEqual(['_change_data/cdc-00000.snappy.parquet', 'part=a/part-99999-orphan.snappy.parquet'])
    const dry = await t.vacuum({ dryRun: true, now: () => now })
    expect(dry.filesDeleted).toEqual([...removedKeys, '_change_data/cdc-00000.snappy.parquet', 'part=a/part-99999-orphan.snappy.parquet'].sort())
    expect(await store.head(removedKeys[0])).toBeDefined()
    const logBefore = await listKeys(store, '_delta_log/')

    const r = await t.vacuum({ now: () => now })
    expect(r.filesDeleted).toEqual(dry.filesDeleted)
    expect(r.version).toBe(5)
    const h = await t.history({ limit: 2 })
    expect(h.map((x) => x.operation)).toEqual(['VACUUM END', 'VACUUM START'])
    expect(h[1].operationMetrics).toMatchObject({ numFilesToDelete: String(dry.filesDeleted.length) })
    // two commits, and the checksum of the version the handle ends at
    expect((await listKeys(store, '_delta_log/')).filter((k) => !logBefore.includes(k)).sort())
      .toEqual(['_delta_log/00000000000000000004.json', '_delta_log/00000000000000000005.crc', '_delta_log/00000000000000000005.json'])
    for (const k of ['_tmp/stuff.parquet', 'part=a/.part-0.crc', 'part=a/part-99998-inflight.snappy.parquet']) expect(await store.head(k)).toBeDefined()
    expect(await rowsAt(store, 3)).toBe(v3rows)
    expect(await rowsAt(store, 5)).toBe(v3rows)
    const old = rowsAt(store, 2)
    await expect(old).rejects.toThrow(MissingFileError)
    await expect(old).rejects.toThrow(removedKeys[0])
    expect(v2rows).not.toBe(v3rows)
    // a second run finds nothing more
    expect((await t.vacuum({ now: () => now })).filesDeleted).toEqual([])
  })

  it('refuses a retention below the table setting unless told, dry run included; honours the table property', async () => {
    const { t } = await newTable()
    await expect(t.vacuum({ retentionHours: 1 })).rejects.toThrow(InvalidArgumentError)
    await expect(t.vacuum({ retentionHours: 1, dryRun: true })).rejects.toThrow(/enforceRetentionDuration/)
    await expect(t.vacuum({ retentionHours: -1, enforceRetentionDuration: false })).rejects.toThrow(InvalidArgumentError)
    expect((await t.vacuum({ retentionHours: 0, enforceRetentionDuration: false, dryRun: true })).filesDeleted).toEqual([])
    await t.setProperties({ 'delta.deletedFileRetentionDuration': 'interval 2 hours' })
    expect((await t.vacuum({ retentionHours: 2, dryRun: true })).dryRun).toBe(true)
    await expect(t.vacuum({ retentionHours: 1 })).rejects.toThrow(/2 hours/)
  })

  it('retention 0 (forced) keeps exactly the latest version readable', async () => {
    const { store, t } = await newTable()
    await t.append(rowsOf(0, 5, 'x'))
    await t.overwrite(rowsOf(10, 5, 'x'))
    await t.optimize()
    const latest = await rowsAt(store, t.version)
    const r = await t.vacuum({ retentionHours: 0, enforceRetentionDuration: false, now: () => Date.now() + 1000 })
    expect(r.filesDeleted.length).toBe(1)
    expect(await rowsAt(store, t.version)).toBe(latest)
    await expect(rowsAt(store, 1)).rejects.toThrow(MissingFileError)
  })

  it('keeps deletion-vector files the table references, deletes unreferenced ones', async () => {
    const { store, t } = await newTable()
    await t.append(rowsOf(0, 10, 'x'))
    const [f] = (await t.files()).map((x) => x.path)
    const first = await deleteRowsWithDv(store, f, [1, 2], true)
    const second = await deleteRowsWithDv(store, f, [1, 2, 3], true)
    await store.put('deletion_vector_00000000-0000-0000-0000-000000000000.bin', bytes('junk'))
    await t.refresh()
    const rows = await rowsAt(store, t.version)
    const r = await t.vacuum({ now: () => Date.now() + 8 * DAY })
    expect(r.filesDeleted).toEqual([first.dvKey!, 'deletion_vector_00000000-0000-0000-0000-000000000000.bin'].sort())
    expect(await store.head(second.dvKey!)).toBeDefined()
    expect(await rowsAt(store, t.version)).toBe(rows)
  })

  it('checks the write protocol first (vacuumProtocolCheck): an unknown writer feature stops it', async () => {
    const store = new MemoryStore()
    const schema = JSON.stringify({ type: 'struct', fields: [{ name: 'a', type: 'long', nullable: true, metadata: {} }] })
    const lines = [
      { commitInfo: { timestamp: 1, operation: 'CREATE TABLE' } },
      { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['vacuumProtocolCheck'], writerFeatures: ['vacuumProtocolCheck', 'futureFeature'] } },
      { metaData: { id: 'x', format: { provider: 'parquet', options: {} }, schemaString: schema, partitionColumns: [], configuration: {} } },
    ]
    await store.put('_delta_log/00000000000000000000.json', bytes(lines.map((l) => JSON.stringify(l)).join('\n')))
    await store.put('part-00000-orphan.parquet', bytes('x'))
    store.setMtime('part-00000-orphan.parquet', 0)
    const e = await vacuum(store, { now: () => Date.now() + 8 * DAY }).catch((x) => x)
    expect(e).toBeInstanceOf(UnsupportedFeatureError)
    expect(String(e.message)).toContain('futureFeature')
    expect(await store.head('part-00000-orphan.parquet')).toBeDefined()
    await expect(DeltaTable.open(store)).resolves.toBeDefined()
  })

  it('absolute paths inside the root are protected; a path it cannot resolve stops it', async () => {
    const store = new MemoryStore(`vac-abs-${Date.now()}`)
    const t = await DeltaTable.create(store, { schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }] } })
    await t.append([{ id: 1n }])
    const [f] = await t.files()
    const { Transaction } = await import('../../src/txn/transaction.js')
    const txn = Transaction.on(t.snapshot, { operation: 'MANUAL UPDATE' })
    txn.removeFiles([{ path: f.path, deletionTimestamp: 0, dataChange: false }]).addFiles([{ ...f, path: `${store.url}/${f.path}`, dataChange: false }])
    await txn.commit()
    await t.refresh()
    expect((await t.vacuum({ now: () => Date.now() + 8 * DAY })).filesDeleted).toEqual([])
    expect(await t.toRows()).toEqual([{ id: 1n }])
    const bad = Transaction.on(t.snapshot, { operation: 'MANUAL UPDATE' })
    bad.addFiles([{ path: 'bad%zz.parquet', partitionValues: {}, size: 1, modificationTime: 0, dataChange: true }])
    await bad.commit()
    await expect(t.vacuum({ now: () => Date.now() + 8 * DAY })).rejects.toThrow(/malformed/)
  })

  it('hidden paths: _delta_log, _-folders and dot files are never candidates; _change_data and _col= partitions are', () => {
    expect(isVacuumable('_delta_log/00000000000000000000.json', [])).toBe(false)
    expect(isVacuumable('_delta_log/_sidecars/x.parquet', [])).toBe(false)
    expect(isVacuumable('_change_data/x.parquet', [])).toBe(true)
    expect(isVacuumable('_change_data', [])).toBe(false)
    expect(isVacuumable('a=1/_change_data/x.parquet', ['a'])).toBe(false)
    expect(isVacuumable('_p=1/x.parquet', ['_p'])).toBe(true)
    expect(isVacuumable('_p=1/x.parquet', [])).toBe(false)
    expect(isVacuumable('p=1/.x.parquet.crc', ['p'])).toBe(false)
    expect(isVacuumable('ab/deletion_vector_1.bin', [])).toBe(true)
    expect(isVacuumable('.hidden/x', [])).toBe(false)
  })

  it('an unparsable retention property is an error naming it', async () => {
    const { t } = await newTable()
    await expect(t.setProperties({ 'delta.deletedFileRetentionDuration': 'soon' })).rejects.toThrow(/deletedFileRetentionDuration/)
    expect(await dataKeys(t.store)).toEqual([])
  })
})

async function listKeys(store: MemoryStore, prefix: string): Promise<string[]> {
  const out: string[] = []
  for await (const m of store.list(prefix)) out.push(m.key)
  return out
}

void DeltaError
