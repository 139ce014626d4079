// Clustered tables (PROTOCOL.md "Clustered Table"): create({ clusterBy }), writes that keep the
// `delta.clustering` domain and add unclustered files, and OPTIMIZE clustering by the clustering
// columns, marking its files with clusteringProvider and leaving files another provider owns.
import { cpSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DeltaTable, InvalidArgumentError, MemoryStore } from '../../src/index.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { corpusAvailable } from '../conformance/manifest.js'

const schema = { type: 'struct' as const, fields: [
  { name: 'a', type: 'long' as const, nullable: true, metadata: {} }, { name: 'b', type: 'long' as const, nullable: true, metadata: {} },
  { name: 's', type: 'string' as const, nullable: true, metadata: {} },
] }
const key = (r: Record<string, unknown>) => `${r.a}/${r.b}/${r.s}`

describe('clustered tables', () => {
  it('create({ clusterBy }): feature, domain, unclustered appends, OPTIMIZE clusters and marks its files', async () => {
    const store = new MemoryStore()
    const t = await DeltaTable.create(store, { schema, clusterBy: ['b', 'a'], properties: { 'delta.dataSkippingNumIndexedCols': '0' } })
    expect(t.protocol.writerFeatures).toEqual(expect.arrayContaining(['clustering', 'domainMetadata']))
    const domain = (await loadSnapshot(store)).domainMetadata.get('delta.clustering')!
    expect(JSON.parse(domain.configuration)).toEqual({ clusteringColumns: [['b'], ['a']] })
    const model: Record<string, unknown>[] = []
    for (let f = 0; f < 4; f++) {
      const rows = Array.from({ length: 50 }, (_, i) => ({ a: BigInt((i * 7 + f) % 50), b: BigInt((i * 13 + f * 3) % 40), s: `r${f}-${i}` }))
      await t.append(rows)
      model.push(...rows)
    }
    // stats for the clustering columns even with no indexed columns; no clusteringProvider yet
    for (const f of await t.files()) {
      expect(Object.keys(JSON.parse(f.stats!).minValues).sort()).toEqual(['a', 'b'])
      expect(f.clusteringProvider).toBeUndefined()
    }
    await t.delete('a = 3')
    const kept = model.filter((r) => r.a !== 3n)
    const o = await t.optimize({ targetFileSize: 600 })
    expect(o.versions.length).toBe(1)
    const files = await t.files()
    expect(files.length).toBeGreaterThan(1)
    for (const f of files) expect(f.clusteringProvider).toBe('lagomago')
    expect((await t.toRows()).map(key).sort()).toEqual(kept.map(key).sort())
    // clustered: files cover narrow, mostly disjoint b ranges (b leads the Z-order key)
    const ranges = files.map((f) => JSON.parse(f.stats!)).map((s) => Number(s.maxValues.b) - Number(s.minValues.b))
    expect(Math.min(...ranges)).toBeLessThan(39)
    // a second OPTIMIZE finds nothing new to cluster; the domain is still there
    expect((await t.optimize({ targetFileSize: 600 })).versions).toEqual([])
    expect((await loadSnapshot(store)).domainMetadata.get('delta.clustering')?.configuration).toBe(domain.configuration)
    await expect(t.optimize({ zOrderBy: ['a'] })).rejects.toThrow(InvalidArgumentError)
  })

  it('clusterBy with partitionBy, or an unknown column, is refused', async () => {
    await expect(DeltaTable.create(new MemoryStore(), { schema, clusterBy: ['a'], partitionBy: ['s'] })).rejects.toThrow(InvalidArgumentError)
    await expect(DeltaTable.create(new MemoryStore(), { schema, clusterBy: ['zz'] })).rejects.toThrow(InvalidArgumentError)
  })

  it.runIf(corpusAvailable())('deltars__table_with_liquid_clustering (liquid, row tracking): append, DML, MERGE, OPTIMIZE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lagomago-liquid-'))
    cpSync('/work/shared/conformance/tables/deltars__table_with_liquid_clustering/delta', dir, { recursive: true })
    const t = await DeltaTable.open(dir)
    const before = await t.toRows({ rowTracking: true })
    await t.append(before.map((r) => ({ id: (r.id as bigint) + 100n })))
    await t.delete('id < 3')
    await t.merge([{ id: 5n }, { id: 1000n }], { on: ['id'] }).whenNotMatchedInsertAll().execute()
    await t.optimize()
    const after = await t.toRows({ rowTracking: true })
    const want = [...before.map((r) => r.id as bigint).filter((id) => id >= 3n), ...before.map((r) => (r.id as bigint) + 100n), 1000n]
    expect(after.map((r) => r.id).sort()).toEqual(want.sort())
    // rows that were there keep their row ids through DELETE and OPTIMIZE
    const idOf = new Map(before.map((r) => [r.id, r._row_id]))
    for (const r of after) if (idOf.has(r.id)) expect(r._row_id).toBe(idOf.get(r.id))
    expect(new Set(after.map((r) => r._row_id)).size).toBe(after.length)
  })
})

describe('clusteringProvider in checkpoints', () => {
  it('a checkpoint keeps the files OPTIMIZE marked', async () => {
    const store = new MemoryStore()
    const t = await DeltaTable.create(store, { schema, clusterBy: ['a'], properties: { 'delta.checkpointInterval': '3' } })
    await t.append([{ a: 2n, b: 1n, s: 'x' }])
    await t.append([{ a: 1n, b: 2n, s: 'y' }])
    await t.optimize() // version 3: a checkpoint follows
    expect(await store.head('_delta_log/00000000000000000003.checkpoint.parquet')).toBeDefined()
    const files = (await DeltaTable.open(store)).files()
    expect((await files).map((f) => f.clusteringProvider)).toEqual(['lagomago'])
  })
})
