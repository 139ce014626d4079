// CDC apply: whatever the batch split and arrival order, a table fed with soft deletes and
// ignoreOlderThanTarget ends holding, per key, the event with the highest sequence (a model built
// from the events alone). Checked for the overwrite fallback and for the path `applyCdc` picks.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DeltaTable, MemoryStore } from '../../src/index.js'
import { applyCdc, cdcOp, latestPerKey, keyOf } from '../../src/medallion/cdc.js'
import type { StructType } from '../../src/schema/types.js'

const SCHEMA: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'seq', type: 'long', nullable: true, metadata: {} },
    { name: 'val', type: 'string', nullable: true, metadata: {} },
    { name: '_deleted', type: 'boolean', nullable: true, metadata: {} },
  ],
}

type Ev = { op: string; id: bigint; seq: bigint; val: string }

const eventsArb = fc.array(fc.record({ op: fc.constantFrom('I', 'U', 'D', 'insert', 'update', 'delete', 'c', 'u', 'd'), id: fc.bigInt(1n, 6n), val: fc.string({ maxLength: 3 }) }), { minLength: 1, maxLength: 24 })
  .chain((evs) => fc.tuple(
    fc.shuffledSubarray(evs.map((_, i) => i), { minLength: evs.length, maxLength: evs.length }), // seq order ≠ arrival order
    fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }), // batch sizes
  ).map(([perm, sizes]) => {
    const withSeq: Ev[] = evs.map((e, i) => ({ ...e, seq: BigInt(1000 + perm[i]) }))
    const batches: Ev[][] = []
    let i = 0, b = 0
    while (i < withSeq.length) { const n = sizes[b++ % sizes.length]; batches.push(withSeq.slice(i, i + n)); i += n }
    return batches
  }))

function model(batches: Ev[][]): Map<string, { val: string; deleted: boolean }> {
  const out = new Map<string, { val: string; deleted: boolean }>()
  for (const e of latestPerKey(batches.flat(), ['id'], 'seq')) out.set(String(e.id), { val: e.val as string, deleted: cdcOp(e.op, 'op') === 'delete' })
  return out
}

async function run(batches: Ev[][], via: 'auto' | 'overwrite'): Promise<Map<string, { val: string; deleted: boolean }>> {
  const t = await DeltaTable.create(new MemoryStore(), { schema: SCHEMA, primaryKey: 'id', properties: { 'delta.enableChangeDataFeed': 'true' } })
  let v = 0
  for (const b of batches) await applyCdc(t, b, { op: 'op', sequence: 'seq', softDelete: '_deleted', ignoreOlderThanTarget: true, via, txn: { appId: 'p', version: v++ } })
  const got = new Map<string, { val: string; deleted: boolean }>()
  for (const r of await t.toRows()) got.set(String(r.id), { val: r.val as string, deleted: r._deleted === true })
  return got
}

describe('applyCdc', () => {
  it('fallback: final state is the highest-sequence event per key, for any split and order', async () => {
    await fc.assert(fc.asyncProperty(eventsArb, async (batches) => {
      expect(await run(batches, 'overwrite')).toEqual(model(batches))
    }), { numRuns: 25 })
  })

  it('the default path (merge when DeltaTable has it) agrees with the model', async () => {
    await fc.assert(fc.asyncProperty(eventsArb, async (batches) => {
      expect(await run(batches, 'auto')).toEqual(model(batches))
    }), { numRuns: 15 })
  })

  it('hard deletes without ignoreOlderThanTarget: batches apply in arrival order, each batch\'s last event per key winning (both paths)', async () => {
    await fc.assert(fc.asyncProperty(eventsArb, async (batches) => {
      const want = new Map<string, string>()
      for (const b of batches) {
        for (const e of latestPerKey(b, ['id'], 'seq')) {
          if (cdcOp(e.op, 'op') === 'delete') want.delete(String(e.id))
          else want.set(String(e.id), e.val as string)
        }
      }
      for (const via of ['overwrite', 'auto'] as const) {
        const t = await DeltaTable.create(new MemoryStore(), { schema: SCHEMA, primaryKey: 'id' })
        for (const b of batches) await applyCdc(t, b, { op: 'op', sequence: 'seq', via })
        const got = new Map((await t.toRows()).map((r) => [String(r.id), r.val as string]))
        expect([via, got]).toEqual([via, want])
        expect((await t.toRows()).every((r) => r._deleted === null)).toBe(true)
      }
    }), { numRuns: 12 })
  })

  it('a batch whose txn version is recorded is skipped', async () => {
    const t = await DeltaTable.create(new MemoryStore(), { schema: SCHEMA, primaryKey: 'id' })
    const r1 = await applyCdc(t, [{ op: 'I', id: 1n, seq: 1n, val: 'a' }], { op: 'op', txn: { appId: 'q', version: 0 } })
    const r2 = await applyCdc(t, [{ op: 'U', id: 1n, seq: 2n, val: 'b' }], { op: 'op', txn: { appId: 'q', version: 0 } })
    expect(r1.skipped).toBe(false)
    expect(r2).toMatchObject({ skipped: true, version: r1.version })
    expect((await t.toRows()).map((r) => r.val)).toEqual(['a'])
  })

  it('hard deletes remove the row; unknown ops are refused before anything is written', async () => {
    const t = await DeltaTable.create(new MemoryStore(), { schema: SCHEMA, primaryKey: 'id' })
    await applyCdc(t, [{ op: 'I', id: 1n, val: 'a' }, { op: 'I', id: 2n, val: 'b' }], { op: 'op', via: 'overwrite' })
    await applyCdc(t, [{ op: 'D', id: 1n }], { op: 'op', via: 'overwrite' })
    expect((await t.toRows()).map((r) => r.id)).toEqual([2n])
    const v = t.version
    await expect(applyCdc(t, [{ op: 'I', id: 3n }, { op: 'X', id: 4n }], { op: 'op' })).rejects.toThrow(/unknown CDC operation "X" in column op/)
    expect(t.version).toBe(v)
  })

  it('keyOf compares bigint, number and Date keys by value', () => {
    expect(keyOf({ a: 1n }, ['a'])).toBe(keyOf({ a: 1 }, ['a']))
    expect(keyOf({ a: new Date(5) }, ['a'])).toBe(keyOf({ a: new Date(5) }, ['a']))
    expect(keyOf({ a: 'x', b: null }, ['a', 'b'])).not.toBe(keyOf({ a: 'x', b: 'null' }, ['a', 'b']))
  })
})
