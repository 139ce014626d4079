import { describe, expect, it } from 'vitest'
import { InvalidArgumentError, UnsupportedFeatureError, VersionNotFoundError } from '../../src/errors.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { readChanges } from '../../src/scan/cdf.js'
import { inlineDescriptor } from '../../src/scan/deletion-vectors.js'
import type { StructType } from '../../src/schema/types.js'
import type { DeltaValue } from '../../src/schema/values.js'
import { writeParquet } from '../../src/write/parquet-write.js'
import { commitLine, dataActions, field, makeTable } from './fixtures.js'

const schema: StructType = { type: 'struct', fields: [field('id', 'long'), field('s', 'string')] }
const enc = new TextEncoder()
const rows = (ids: number[]) => ids.map((i) => ({ id: BigInt(i), s: `v${i}` }))

async function changes(store: Awaited<ReturnType<typeof makeTable>>, startVersion: number, endVersion?: number) {
  const snap = await loadSnapshot(store)
  const r = await readChanges(snap, { startVersion, endVersion })
  const out: Record<string, DeltaValue>[] = []
  for await (const b of r.batches) for (let i = 0; i < b.length; i++) out.push(Object.fromEntries(b.fields.map((f, k) => [f.name, b.columns[k][i]])))
  return out.map((o) => `${o.id}:${o._change_type}@${o._commit_version}`).sort()
}

describe('readChanges', () => {
  const cdfOn = { 'delta.enableChangeDataFeed': 'true' }

  it('reads adds, removes, DV changes and cdc files per commit', async () => {
    const store = await makeTable(schema, [{ rows: rows([1, 2, 3]) }], { configuration: cdfOn })
    const add0 = JSON.parse((await store.get('_delta_log/00000000000000000000.json').then((b) => new TextDecoder().decode(b))).trim().split('\n')[2]).add
    // v1: rows 2 deleted through a DV (remove old logical file, add it with the DV)
    const dv = inlineDescriptor([1])
    await store.put('_delta_log/00000000000000000001.json', enc.encode([
      commitLine({ commitInfo: { timestamp: 1_700_000_000_000 } }),
      commitLine({ remove: { path: add0.path, dataChange: true, partitionValues: {}, size: add0.size } }),
      commitLine({ add: { ...add0, deletionVector: dv } }),
    ].join('\n')))
    // v2: a cdc file wins over the commit's add
    const cdcBytes = writeParquet([
      { field: field('id', 'long'), values: [3n, 3n] },
      { field: field('s', 'string'), values: ['v3', 'w3'] },
      { field: field('_change_type', 'string'), values: ['update_preimage', 'update_postimage'] },
    ], 2)
    await store.put('_change_data/c.parquet', cdcBytes)
    const adds = await dataActions(store, schema, [{ rows: rows([9]) }], [], cdfOn, 2)
    await store.put('_delta_log/00000000000000000002.json', enc.encode([
      ...adds, commitLine({ cdc: { path: '_change_data/c.parquet', partitionValues: {}, size: cdcBytes.length, dataChange: false } }),
    ].join('\n')))
    expect(await changes(store, 0)).toEqual(['1:insert@0', '2:delete@1', '2:insert@0', '3:insert@0', '3:update_postimage@2', '3:update_preimage@2'])
    expect(await changes(store, 1, 1)).toEqual(['2:delete@1'])
    const snap = await loadSnapshot(store)
    const r = await readChanges(snap, { startVersion: 1, endVersion: 1 })
    expect(r.fields.map((f) => f.name)).toEqual(['id', 's', '_change_type', '_commit_version', '_commit_timestamp'])
    for await (const b of r.batches) expect(b.columns[4][0]).toBe(1_700_000_000_000_000n)
  })

  it('fills partition values of removes written without extendedFileMetadata', async () => {
    const pschema: StructType = { type: 'struct', fields: [field('id', 'long'), field('p', 'string')] }
    const store = await makeTable(pschema, [{ rows: [{ id: 1n, p: 'x' }] }], { partitionColumns: ['p'], configuration: cdfOn })
    const path = (await loadSnapshot(store)).activeFiles()[0].path
    await store.put('_delta_log/00000000000000000001.json', enc.encode(commitLine({ remove: { path, dataChange: true, deletionTimestamp: 1 } })))
    const snap = await loadSnapshot(store)
    const r = await readChanges(snap, { startVersion: 1 })
    const got: DeltaValue[][] = []
    for await (const b of r.batches) for (let i = 0; i < b.length; i++) got.push(b.columns.slice(0, 3).map((c) => c[i]))
    expect(got).toEqual([[1n, 'x', 'delete']])
  })

  it('refuses ranges where change data feed is off, or out of the log', async () => {
    const store = await makeTable(schema, [{ rows: rows([1]) }])
    await expect(changes(store, 0)).rejects.toThrow(UnsupportedFeatureError)
    await expect(changes(store, 0)).rejects.toThrow(/enableChangeDataFeed/)
    const on = await makeTable(schema, [{ rows: rows([1]) }], { configuration: cdfOn })
    await expect(changes(on, 0, 3)).rejects.toThrow(VersionNotFoundError)
    await expect(changes(on, 2, 1)).rejects.toThrow(InvalidArgumentError)
  })
})

describe('changes() in three forms: rows, one Arrow table, Arrow batches', () => {
  it('agree with a model of the commits; batches respect batchRows; CDF off is refused', async () => {
    const { DeltaTable, MemoryStore } = await import('../../src/index.js')
    const t = await DeltaTable.create(new MemoryStore(), { schema, properties: { 'delta.enableChangeDataFeed': 'true' } })
    await t.append(rows([1, 2, 3, 4, 5]))
    await t.delete('id = 2')
    await t.update('id = 4', { s: "'four'" })
    // model, written here: v1 inserts 1..5, v2 deletes 2, v3 updates 4 (pre- and post-image)
    const model = [
      ...[1, 2, 3, 4, 5].map((i) => `${i}:insert:v${i}@1`), '2:delete:v2@2', '4:update_preimage:v4@3', '4:update_postimage:four@3',
    ].sort()
    const key = (r: Record<string, unknown>) => `${r.id}:${r._change_type}:${r.s}@${r._commit_version}`
    expect((await t.changes({ startVersion: 1 })).map(key).sort()).toEqual(model)
    const table = await t.changesToArrow({ startVersion: 1 })
    expect(table.schema.fields.map((f) => f.name)).toEqual(['id', 's', '_change_type', '_commit_version', '_commit_timestamp'])
    expect(table.toArray().map((r) => key(r.toJSON())).sort()).toEqual(model)
    const sizes: number[] = []
    const fromBatches: string[] = []
    for await (const b of t.scanChanges({ startVersion: 1, batchRows: 2 })) {
      sizes.push(b.numRows)
      for (const r of b.toArray()) fromBatches.push(key(r.toJSON()))
    }
    expect(fromBatches.sort()).toEqual(model)
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2)
    expect((await t.changesToArrow({ startVersion: 3, endVersion: 3, columns: ['id'] })).numRows).toBe(2)

    const off = await DeltaTable.create(new MemoryStore(), { schema })
    await off.append(rows([1]))
    await expect(off.changesToArrow({ startVersion: 1 })).rejects.toThrow(/enableChangeDataFeed/)
    await expect(off.scanChanges({ startVersion: 1 }).next()).rejects.toThrow(/enableChangeDataFeed/)
    await expect(t.changesToArrow({ startVersion: 1, nope: 1 } as never)).rejects.toThrow(/nope/)
  })
})
