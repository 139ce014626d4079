import { describe, expect, it } from 'vitest'
import { DeltaTable, MemoryStore } from '../../src/index.js'
import { CommitConflictError } from '../../src/errors.js'
import type { StructField } from '../../src/schema/types.js'

const f = (name: string, type: StructField['type'], nullable = true): StructField => ({ name, type, nullable, metadata: {} })

async function setup() {
  const store = new MemoryStore()
  const t = await DeltaTable.create(store, { schema: { type: 'struct', fields: [f('uf', 'string', false), f('id', 'long', false), f('v', 'string')] }, partitionBy: ['uf'], primaryKey: ['uf', 'id'] })
  await t.append(['SP', 'RJ'].flatMap((uf) => Array.from({ length: 20 }, (_, i) => ({ uf, id: BigInt(i), v: 'x' }))))
  return { store, a: await DeltaTable.open(store), b: await DeltaTable.open(store) }
}

describe('DML under concurrent writers (conflict rules through recordRead)', () => {
  it('merges into disjoint partitions both commit; the loser is rebased, nothing lost', async () => {
    const { store, a, b } = await setup()
    await a.merge([{ uf: 'SP', id: 1n, v: 'a' }, { uf: 'SP', id: 99n, v: 'a-new' }])
    await b.merge([{ uf: 'RJ', id: 2n, v: 'b' }])
    const rows = await (await DeltaTable.open(store)).toRows()
    expect(rows.length).toBe(41)
    expect(rows.filter((r) => r.v !== 'x').map((r) => `${r.uf}${r.id}${r.v}`).sort()).toEqual(['RJ2b', 'SP1a', 'SP99a-new'])
  })

  it('two writers changing the same file: the second gets a CommitConflictError and writes nothing', async () => {
    const { store, a, b } = await setup()
    await a.merge([{ uf: 'SP', id: 1n, v: 'a' }])
    const v = (await DeltaTable.open(store)).version
    await expect(b.merge([{ uf: 'SP', id: 2n, v: 'b' }])).rejects.toBeInstanceOf(CommitConflictError)
    await expect(b.delete("uf = 'SP' AND id = 3")).rejects.toBeInstanceOf(CommitConflictError)
    expect((await DeltaTable.open(store)).version).toBe(v)
    // after a refresh the same change goes through
    await b.refresh()
    await b.merge([{ uf: 'SP', id: 2n, v: 'b' }])
    expect((await b.toRows({ filter: "uf = 'SP' AND id IN (1, 2)" })).map((r) => r.v).sort()).toEqual(['a', 'b'])
  })

  it('a concurrent blind append to a partition the merge read: allowed under WriteSerializable, a conflict under Serializable', async () => {
    const { store, a, b } = await setup()
    await a.append([{ uf: 'RJ', id: 500n, v: 'new' }])
    await b.merge([{ uf: 'SP', id: 3n, v: 'ok' }]) // read only SP files: no conflict
    const c = await DeltaTable.open(store)
    const d = await DeltaTable.open(store)
    const e = await DeltaTable.open(store)
    await c.append([{ uf: 'SP', id: 3n, v: 'dup' }])
    await expect(d.merge([{ uf: 'SP', id: 3n, v: 'late' }], { isolationLevel: 'Serializable' })).rejects.toBeInstanceOf(CommitConflictError)
    await e.merge([{ uf: 'SP', id: 4n, v: 'fine' }]) // WriteSerializable (the default): appends may be ordered after
    expect((await e.toRows({ filter: "uf = 'SP' AND id IN (3, 4)" })).map((r) => r.v).sort()).toEqual(['dup', 'fine', 'ok'])
  })
})
