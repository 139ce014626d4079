// UPDATE and DELETE on tables with identity columns (PROTOCOL.md "Identity Columns"): rows keep
// their identity values, assigning one is refused.
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
})
