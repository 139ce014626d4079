// DML on tables with identity columns (PROTOCOL.md "Identity Columns"): inserted rows get fresh
// values beyond the high water mark, updated and copied rows keep theirs, assigning one is refused.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ConstraintViolationError, DeltaTable } from '../../src/index.js'
import type { StructType } from '../../src/schema/types.js'

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: { 'delta.identity.start': 1, 'delta.identity.step': 1, 'delta.identity.allowExplicitInsert': false } },
    { name: 'v', type: 'string', nullable: true, metadata: {} },
  ],
}

async function identityTable(properties: Record<string, string> = {}) {
  const t = await DeltaTable.create(`memory://identity-dml-${Math.random()}`, { schema, properties })
  await t.append(['a', 'b', 'c', 'd'].map((v) => ({ v })))
  return t
}

const rows = async (t: DeltaTable) => (await t.toRows()).map((r) => [r.id, r.v]).sort((a, b) => Number(a[0]) - Number(b[0]))

describe('DML on identity tables', () => {
  for (const dv of ['true', 'false']) {
    it(`UPDATE and DELETE keep identity values (deletion vectors ${dv})`, async () => {
      const t = await identityTable({ 'delta.enableDeletionVectors': dv })
      await t.update("v = 'b'", { v: "'B'" })
      await t.delete("v = 'c'")
      expect(await rows(t)).toEqual([[1n, 'a'], [2n, 'B'], [4n, 'd']])
      // the high water mark is untouched: the next append continues after 4
      await t.append([{ v: 'e' }])
      expect((await rows(t)).at(-1)).toEqual([5n, 'e'])
    })
  }

  it('UPDATE refuses to assign an identity column and leaves the table as it was', async () => {
    const t = await identityTable()
    const before = t.version
    const err = await t.update("v = 'a'", { id: '100' }).catch((e) => e)
    expect(err).toBeInstanceOf(ConstraintViolationError)
    expect(err.message).toMatch(/identity column id/)
    await t.refresh()
    expect(t.version).toBe(before)
  })

  it('MERGE inserts get identity values, updates keep theirs, and the mark lands in the same commit', async () => {
    const t = await DeltaTable.create(`memory://identity-merge-${Math.random()}`, {
      schema: { type: 'struct', fields: [...schema.fields, { name: 'code', type: 'string', nullable: false, metadata: {} }] },
    })
    await t.append([{ v: 'a', code: 'A' }, { v: 'b', code: 'B' }])
    await t.merge([{ code: 'B', v: 'b2' }, { code: 'C', v: 'c' }, { code: 'D', v: 'd' }], { on: 'target.code = source.code' })
      .whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
    const got = (await t.toRows()).map((r) => [r.id, r.code, r.v]).sort((a, b) => Number(a[0]) - Number(b[0]))
    expect(got).toEqual([[1n, 'A', 'a'], [2n, 'B', 'b2'], [3n, 'C', 'c'], [4n, 'D', 'd']])
    expect(t.schema.fields[0].metadata['delta.identity.highWaterMark']).toBe(4)
    const err = await t.merge([{ code: 'A', v: 'x' }], { on: 'target.code = source.code' }).whenMatchedUpdate({ set: { id: '99' } }).execute().catch((e) => e)
    expect(err).toBeInstanceOf(ConstraintViolationError)
    const explicit = await t.merge([{ code: 'Z', v: 'z', id: 50n }], { on: 'target.code = source.code' }).whenNotMatchedInsertAll().execute().catch((e) => e)
    expect(explicit).toBeInstanceOf(ConstraintViolationError)
    expect(explicit.message).toMatch(/GENERATED ALWAYS AS IDENTITY/)
  })

  it('MERGE with mergeSchema adds a column to an identity table and still numbers the inserts', async () => {
    const t = await identityTable()
    await t.merge([{ v: 'e', extra: 1n }], { on: 'target.v = source.v', mergeSchema: true }).whenNotMatchedInsertAll().execute()
    expect(t.schema.fields.map((f) => f.name)).toEqual(['id', 'v', 'extra'])
    expect((await rows(t)).at(-1)).toEqual([5n, 'e'])
  })

  it('CDC merges into an identity table match a reference model (property)', async () => {
    type Op = { code: number; op: 'I' | 'U' | 'D'; v: string }
    const opArb = fc.record({ code: fc.integer({ min: 0, max: 12 }), op: fc.constantFrom<'I' | 'U' | 'D'>('I', 'U', 'D'), v: fc.string({ maxLength: 3 }) })
    await fc.assert(fc.asyncProperty(fc.array(fc.uniqueArray(opArb, { selector: (o) => o.code, maxLength: 6 }), { minLength: 1, maxLength: 4 }), async (batches: Op[][]) => {
      const t = await DeltaTable.create(`memory://identity-cdc-${Math.random()}`, {
        schema: { type: 'struct', fields: [...schema.fields, { name: 'code', type: 'long', nullable: false, metadata: {} }] },
        primaryKey: 'code',
      })
      const model = new Map<number, { id: bigint; v: string }>()
      let next = 1n
      for (const batch of batches) {
        await t.merge(batch.map((o) => (o.op === 'D' ? { op: 'D', code: BigInt(o.code) } : { op: o.op, code: BigInt(o.code), v: o.v })))
        for (const o of batch) {
          if (o.op === 'D') { model.delete(o.code); continue }
          const old = model.get(o.code)
          model.set(o.code, { id: old ? old.id : next++, v: o.v })
        }
      }
      const got = (await t.toRows()).map((r) => [Number(r.code), r.id, r.v]).sort((a, b) => Number(a[0]) - Number(b[0]))
      const want = [...model].map(([code, r]) => [code, r.id, r.v]).sort((a, b) => Number(a[0]) - Number(b[0]))
      expect(got).toEqual(want)
    }), { numRuns: 30 })
  })
})
