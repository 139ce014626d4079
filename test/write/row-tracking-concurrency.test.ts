// Row tracking under concurrent writers: a commit that assigns row ids and loses the race to another
// is moved past it with its ids assigned again above the winner's high water mark and its commit
// version updated (PROTOCOL.md "Writer Requirements for Row Tracking": no duplicate row ids, ever).
import { describe, expect, it } from 'vitest'
import { DeltaTable, MemoryStore } from '../../src/index.js'

const schema = { type: 'struct' as const, fields: [{ name: 'k', type: 'long' as const, nullable: true, metadata: {} }] }

describe('row tracking with concurrent commits', () => {
  it('appends, an UPDATE and an OPTIMIZE from stale snapshots all commit; ids stay unique and versions right', async () => {
    const store = new MemoryStore()
    const t = await DeltaTable.create(store, { schema, properties: { 'delta.enableRowTracking': 'true', 'delta.enableDeletionVectors': 'false' } })
    await t.append([{ k: 0n }, { k: 1n }])
    const base = await t.toRows({ rowTracking: true })
    // four writers open the same version, then commit one after another
    const writers = await Promise.all([0, 1, 2, 3].map(() => DeltaTable.open(store)))
    await writers[0].append([{ k: 10n }, { k: 11n }])
    await writers[1].append([{ k: 20n }])
    await writers[2].update('k = 1', { k: '100' })
    const r = await writers[3].append([{ k: 30n }, { k: 31n }, { k: 32n }])
    expect(r.version).toBe(5)
    await t.refresh()
    const rows = await t.toRows({ rowTracking: true })
    expect(rows.map((x) => x.k).sort((a, b) => Number(a) - Number(b))).toEqual([0n, 10n, 11n, 20n, 30n, 31n, 32n, 100n])
    const ids = rows.map((x) => x._row_id as bigint)
    expect(new Set(ids).size).toBe(ids.length)
    const byK = new Map(rows.map((x) => [x.k, x]))
    // the updated row keeps its id and got the UPDATE's version (4); the copied row keeps both
    expect(byK.get(100n)!._row_id).toBe(base.find((x) => x.k === 1n)!._row_id)
    expect(byK.get(100n)!._row_commit_version).toBe(4n)
    expect(byK.get(0n)!._row_id).toBe(base.find((x) => x.k === 0n)!._row_id)
    expect(byK.get(0n)!._row_commit_version).toBe(1n)
    expect([10n, 11n, 20n, 30n].map((k) => byK.get(k)!._row_commit_version)).toEqual([2n, 2n, 3n, 5n])
    for (const f of await t.files()) expect(f.defaultRowCommitVersion).toBeGreaterThanOrEqual(1)
    // an OPTIMIZE from a stale snapshot (after another append) keeps every id
    const stale = await DeltaTable.open(store)
    await t.append([{ k: 40n }])
    await stale.optimize()
    await t.refresh()
    const after = await t.toRows({ rowTracking: true })
    for (const x of rows) expect(after.find((y) => y.k === x.k)!._row_id).toBe(x._row_id)
    expect(new Set(after.map((x) => x._row_id)).size).toBe(after.length)
  })
})
