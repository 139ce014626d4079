import { describe, expect, it } from 'vitest'
import { CommitConflictError, InvalidArgumentError } from '../../src/errors.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { selectFiles } from '../../src/scan/file-skipping.js'
import { MemoryStore } from '../../src/storage/memory-store.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import { optimize } from '../../src/maintenance/optimize.js'
import { bitsPerColumn, normalizedRanks, zOrderKeys, zOrderPermutation } from '../../src/maintenance/zorder.js'
import { canon, dataKeys, deleteRowsWithDv, newTable, rowsAt, rowsOf } from './fixtures.js'

describe('optimize: bin-packing compaction', () => {
  it('compacts each partition to one file; every version reads the same rows before and after', async () => {
    const { store, t } = await newTable({ partitioned: true })
    for (let i = 0; i < 6; i++) await t.append([...rowsOf(i * 10, 5, 'a'), ...rowsOf(i * 10 + 5, 5, 'b')])
    expect(await t.files()).toHaveLength(12)
    const before = new Map<number, string>()
    for (let v = 0; v <= t.version; v++) before.set(v, await rowsAt(store, v))
    const r = await t.optimize()
    expect(r.metrics).toMatchObject({ numFilesAdded: 2, numFilesRemoved: 12, numPartitionsOptimized: 2 })
    expect(t.version).toBe(7)
    const files = await t.files()
    expect(files).toHaveLength(2)
    expect(files.every((f) => f.dataChange === false)).toBe(true)
    for (const [v, rows] of before) expect(await rowsAt(store, v)).toBe(rows)
    expect(await rowsAt(store, 7)).toBe(before.get(6))
    const [h] = await t.history({ limit: 1 })
    expect(h.operation).toBe('OPTIMIZE')
    expect(h.operationParameters).toMatchObject({ predicate: '[]', zOrderBy: '[]', auto: 'false' })
    expect(h.operationMetrics).toMatchObject({ numRemovedFiles: '12', numAddedFiles: '2' })
    const commit = new TextDecoder().decode(await store.get('_delta_log/00000000000000000007.json'))
    expect(commit).not.toContain('"dataChange":true')
    // idempotent: nothing left to compact
    const again = await t.optimize()
    expect(again.versions).toEqual([])
    expect(t.version).toBe(7)
  })

  it('respects the target size, a partition predicate, and refuses a non-partition predicate', async () => {
    const { t } = await newTable({ partitioned: true })
    for (let i = 0; i < 8; i++) await t.append([...rowsOf(i * 100, 50, 'a'), ...rowsOf(i * 100 + 50, 50, 'b')])
    await expect(t.optimize({ where: 'id > 3' })).rejects.toThrow(InvalidArgumentError)
    const size = (await t.files())[0].size
    const r = await t.optimize({ where: "part = 'a'", targetFileSize: size * 4.5 })
    const files = await t.files()
    expect(files.filter((f) => f.partitionValues.part === 'b')).toHaveLength(8)
    const a = files.filter((f) => f.partitionValues.part === 'a')
    expect(a.length).toBe(2)
    expect(r.metrics.numFilesRemoved).toBe(8)
    expect((await t.history({ limit: 1 }))[0].operationParameters).toMatchObject({ predicate: `["part = 'a'"]` })
    expect((await t.toRows()).length).toBe(800)
  })

  it('commits in batches with minCommitSize', async () => {
    const { t } = await newTable({ partitioned: true })
    for (let i = 0; i < 4; i++) await t.append([...rowsOf(i * 10, 5, 'a'), ...rowsOf(i * 10 + 5, 5, 'b')])
    const rows = canon(await t.toRows())
    const r = await t.optimize({ minCommitSize: 1 })
    expect(r.versions).toHaveLength(2)
    expect(await t.files()).toHaveLength(2)
    expect(canon(await t.toRows())).toBe(rows)
  })

  it('purges deletion vectors that delete a large share of a file (rows dropped), keeps light ones', async () => {
    const { store, t } = await newTable()
    await t.append(rowsOf(0, 100, 'x'))
    await t.append(rowsOf(100, 100, 'x'))
    const [f1, f2] = (await t.files()).map((f) => f.path)
    await deleteRowsWithDv(store, f1, Array.from({ length: 60 }, (_, i) => i * 1 + 10))
    await deleteRowsWithDv(store, f2, [3], true)
    await t.refresh()
    const rows = canon(await t.toRows())
    expect(JSON.parse(rows)).toHaveLength(139)
    const r = await t.optimize({ maxDeletedRowsRatio: 0.05, targetFileSize: 100 })
    expect(r.metrics).toMatchObject({ numFilesRemoved: 1, numFilesAdded: 1, numDeletionVectorsRemoved: 1, numDeletionVectorRowsRemoved: 60 })
    const files = await t.files()
    expect(files.filter((f) => f.deletionVector)).toHaveLength(1)
    expect(files.find((f) => f.path === f2)?.deletionVector?.cardinality).toBe(1)
    expect(canon(await t.toRows())).toBe(rows)
    expect(JSON.parse(files.find((f) => f.path !== f2)!.stats!).numRecords).toBe(40)
  })

  it('a file whose rows are all deleted is removed without a replacement', async () => {
    const { store, t } = await newTable()
    await t.append(rowsOf(0, 10, 'x'))
    await t.append(rowsOf(10, 10, 'x'))
    const [f1] = (await t.files()).map((f) => f.path)
    await deleteRowsWithDv(store, f1, Array.from({ length: 10 }, (_, i) => i))
    await t.refresh()
    const r = await t.optimize({ targetFileSize: 100 })
    expect(r.metrics).toMatchObject({ numFilesRemoved: 1, numFilesAdded: 0 })
    expect((await t.toRows()).map((x) => x.id)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(10 + i)))
  })
})

describe('optimize: concurrency', () => {
  it('gives up with the conflict when a concurrent writer removed an input file, and leaves no orphans', async () => {
    const { store, t } = await newTable({ partitioned: true })
    for (let i = 0; i < 3; i++) await t.append([...rowsOf(i * 10, 5, 'a'), ...rowsOf(i * 10 + 5, 5, 'b')])
    const stale = await loadSnapshot(store)
    const other = await DeltaTable.open(store)
    await other.overwrite(rowsOf(1000, 3, 'a'), { replaceWhere: "part = 'a'" })
    const keysBefore = await dataKeys(store)
    await expect(optimize(stale)).rejects.toThrow(CommitConflictError)
    expect(await dataKeys(store)).toEqual(keysBefore)
    const latest = await DeltaTable.open(store)
    expect(latest.version).toBe(other.version)
    expect((await latest.toRows()).filter((r) => r.part === 'a').map((r) => r.id)).toEqual([1000n, 1001n, 1002n])
  })

  it('with batches: a user write landing mid-run keeps its data; the batches before it stay committed', async () => {
    const { store, t } = await newTable({ partitioned: true })
    for (let i = 0; i < 3; i++) await t.append([...rowsOf(i * 10, 5, 'a'), ...rowsOf(i * 10 + 5, 5, 'b')])
    // When OPTIMIZE writes its file for partition b, a user overwrites partition b first.
    let fired = false
    const put = store.put.bind(store)
    store.put = async (key, data) => {
      if (!fired && key.startsWith('part=b/')) {
        fired = true
        await (await DeltaTable.open(store)).overwrite(rowsOf(900, 2, 'b'), { replaceWhere: "part = 'b'" })
      }
      return put(key, data)
    }
    const before = t.version
    const e = await t.optimize({ minCommitSize: 1 }).catch((x) => x)
    expect(e).toBeInstanceOf(CommitConflictError)
    const latest = await DeltaTable.open(store)
    expect(latest.version).toBe(before + 2)   // OPTIMIZE of a, then the user's overwrite of b
    const ops = (await latest.history({ limit: 2 })).map((h) => h.operation)
    expect(ops).toEqual(['WRITE', 'OPTIMIZE'])
    const rows = await latest.toRows()
    expect(rows.filter((r) => r.part === 'b').map((r) => r.id)).toEqual([900n, 901n])
    expect(rows.filter((r) => r.part === 'a')).toHaveLength(15)
    const active = new Set((await latest.files()).map((f) => f.path))
    expect((await dataKeys(store)).filter((k) => k.startsWith('part=b/') && !active.has(k)).length).toBe(3) // the 3 tombstoned inputs only
  })

  it('rebases over a concurrent append (the appended rows survive)', async () => {
    const { store, t } = await newTable()
    for (let i = 0; i < 3; i++) await t.append(rowsOf(i * 10, 10, 'a'))
    const stale = await loadSnapshot(store)
    const other = await DeltaTable.open(store)
    await other.append(rowsOf(500, 2, 'z'))
    const r = await optimize(stale)
    expect(r.version).toBe(other.version + 1)
    const latest = await DeltaTable.open(store)
    expect(await latest.files()).toHaveLength(2)
    expect((await latest.toRows()).length).toBe(32)
  })
})

describe('z-order', () => {
  it('interleaves normalised ranks (Morton order)', () => {
    expect(bitsPerColumn(1)).toBe(16)
    expect(bitsPerColumn(4)).toBe(12)
    const r = normalizedRanks([30n, null, 10n, 20n, 10n], 'long', 2)
    expect([...r]).toEqual([3, 0, 1, 2, 1])
    // 2 bits each, x=1 (01), y=2 (10): interleaved x1 y1 x0 y0 = 0 1 1 0
    expect([...zOrderKeys([Uint32Array.of(1), Uint32Array.of(2)], 2, 1)]).toEqual([6])
    const perm = zOrderPermutation([[3, 0, 3, 0], [3, 0, 0, 3]], ['integer', 'integer'], 4)
    expect([...perm]).toEqual([1, 3, 2, 0])
  })

  it('Z-ordered files let stats skipping prune on every Z-order column; rows unchanged', async () => {
    const { store, t } = await newTable()
    // x and y from a fixed LCG: every file spans the whole range before clustering
    let seed = 7
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % 1000
    const zs = new MemoryStore()
    const z = await DeltaTable.create(zs, { schema: { type: 'struct', fields: [
      { name: 'x', type: 'integer', nullable: true, metadata: {} }, { name: 'y', type: 'integer', nullable: true, metadata: {} },
      { name: 's', type: 'string', nullable: true, metadata: {} }] } })
    for (let i = 0; i < 8; i++) await z.append(Array.from({ length: 500 }, (_, j) => ({ x: rnd(), y: rnd(), s: `r${i}-${j}` })))
    const info = (tb: DeltaTable) => ({ schema: tb.schema, partitionColumns: tb.partitionColumns, configuration: tb.properties })
    const rowsBefore = JSON.stringify((await z.toRows()).map((r) => r.s).sort())
    const filesBefore = await z.files()
    expect(selectFiles(filesBefore, info(z), 'x < 100')).toHaveLength(8)
    const total = filesBefore.reduce((n, f) => n + f.size, 0)
    const r = await z.optimize({ zOrderBy: ['x', 'y'], targetFileSize: Math.ceil(total / 8) })
    const after = await z.files()
    expect(after.length).toBeGreaterThanOrEqual(6)
    expect(r.metrics.numFilesRemoved).toBe(8)
    const hitsX = selectFiles(after, info(z), 'x < 100').length
    const hitsY = selectFiles(after, info(z), 'y < 100').length
    expect(hitsX).toBeLessThanOrEqual(after.length / 2)
    expect(hitsY).toBeLessThanOrEqual(after.length / 2)
    expect(JSON.stringify((await z.toRows()).map((r) => r.s).sort())).toBe(rowsBefore)
    expect((await z.toRows({ filter: 'x < 100 AND y < 100' })).length).toBeGreaterThan(0)
    await expect(z.optimize({ zOrderBy: ['nope'] })).rejects.toThrow(/nope/)
    await z.setProperties({ 'delta.dataSkippingNumIndexedCols': '1' })
    await expect(z.optimize({ zOrderBy: ['x', 'y'] })).rejects.toThrow(/on y would be ineffective/)
    void store; void t
  })
})

describe('optimize: table features', () => {
  it('column mapping (renamed columns, physical partition names), append-only and CDF tables', async () => {
    const { store, t } = await newTable({ partitioned: true, properties: { 'delta.columnMapping.mode': 'name', 'delta.appendOnly': 'true', 'delta.enableChangeDataFeed': 'true' } })
    for (let i = 0; i < 3; i++) await t.append([...rowsOf(i * 10, 3, 'a'), ...rowsOf(i * 10 + 5, 3, 'b')])
    await t.renameColumn('v', 'value')
    await t.renameColumn('part', 'region')
    const rows = canon(await t.toRows())
    const r = await t.optimize()
    expect(r.metrics.numFilesAdded).toBe(2)
    expect(canon(await t.toRows())).toBe(rows)
    const files = await t.files()
    const phys = t.schema.fields.find((f) => f.name === 'region')!.metadata['delta.columnMapping.physicalName'] as string
    expect(files.every((f) => phys in f.partitionValues)).toBe(true)
    expect(JSON.parse(files[0].stats!).minValues).toHaveProperty(t.schema.fields.find((f) => f.name === 'value')!.metadata['delta.columnMapping.physicalName'] as string)
    expect((await t.toRows({ filter: "region = 'b' AND value > 5" })).length).toBe(6)
    // dataChange=false: the change feed of the OPTIMIZE version is empty
    expect(await t.changes({ startVersion: t.version, endVersion: t.version })).toEqual([])
    void store
  })
})

describe('optimize: memory bound', () => {
  it('maxRowsPerFile closes bins (compaction) and splits Z-order output', async () => {
    const { t } = await newTable()
    for (let i = 0; i < 6; i++) await t.append(rowsOf(i * 10, 10, 'x'))
    const rows = canon(await t.toRows())
    const r = await t.optimize({ maxRowsPerFile: 25 })
    expect(r.metrics).toMatchObject({ numFilesRemoved: 6, numFilesAdded: 3 })
    expect((await t.files()).map((f) => JSON.parse(f.stats!).numRecords)).toEqual([20, 20, 20])
    const z = await t.optimize({ zOrderBy: ['v'], maxRowsPerFile: 15 })
    expect(z.metrics.numFilesAdded).toBe(4)
    expect(canon(await t.toRows())).toBe(rows)
  })
})
