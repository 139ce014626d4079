import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { DeltaTable, MemoryStore } from '../../src/index.js'
import { ConstraintViolationError, ExpressionError, InvalidArgumentError } from '../../src/errors.js'
import { parseActionLines, type Action } from '../../src/log/actions.js'
import type { StructField } from '../../src/schema/types.js'

const f = (name: string, type: StructField['type'], nullable = true): StructField => ({ name, type, nullable, metadata: {} })
const SCHEMA = { type: 'struct' as const, fields: [f('id', 'long', false), f('status', 'string'), f('amount', 'integer'), f('day', 'date')] }
const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: BigInt(i), status: ['open', 'paid', 'cancelled'][i % 3], amount: i, day: new Date(Date.UTC(2024, 0, 1 + (i % 4))) }))

async function table(props: Record<string, string> = {}, partitionBy: string[] = []) {
  const t = await DeltaTable.create(new MemoryStore(), { schema: SCHEMA, properties: props, partitionBy })
  await t.append(rows(30))
  return t
}
async function commit(t: DeltaTable): Promise<Action[]> {
  return parseActionLines(new TextDecoder().decode(await t.store.get(`_delta_log/${String(t.version).padStart(20, '0')}.json`)))
}

describe('UPDATE and DELETE', () => {
  it("update('id = 7', { amount: 'amount * 2' }) with a deletion vector", async () => {
    const t = await table()
    const r = await t.update('id = 7', { amount: 'amount * 2' })
    expect(r.metrics).toMatchObject({ numUpdatedRows: 1, numCopiedRows: 0, numDeletionVectorsAdded: 1, numAddedFiles: 1 })
    expect((await t.toRows({ filter: 'id = 7' }))[0]).toMatchObject({ amount: 14, status: 'paid' })
    expect((await t.toRows()).length).toBe(30)
    const info = (await commit(t))[0] as { commitInfo: { operation: string } }
    expect(info.commitInfo.operation).toBe('UPDATE')
  })

  it("delete(\"status = 'cancelled'\") marks rows in a DV; nothing matching means no commit", async () => {
    const t = await table()
    const r = await t.delete("status = 'cancelled'")
    expect(r.metrics).toMatchObject({ numDeletedRows: 10, numDeletionVectorsAdded: 1, numAddedFiles: 0 })
    expect((await t.toRows()).every((x) => x.status !== 'cancelled')).toBe(true)
    const v = t.version
    expect((await t.delete("status = 'cancelled'")).version).toBe(v)
  })

  it('a partition predicate removes whole files without a DV', async () => {
    const t = await table({}, ['status'])
    const r = await t.delete("status = 'paid' OR status = 'open'")
    expect(r.metrics).toMatchObject({ numDeletedRows: 20, numRemovedFiles: 2, numDeletionVectorsAdded: 0 })
    const actions = await commit(t)
    expect(actions.filter((a) => 'add' in a)).toHaveLength(0)
    expect((await t.toRows()).map((x) => x.status)).toEqual(Array(10).fill('cancelled'))
  })

  it('copy-on-write without deletion vectors; CDF delete and update rows', async () => {
    const t = await table({ 'delta.enableDeletionVectors': 'false', 'delta.enableChangeDataFeed': 'true' })
    const r = await t.update('amount < 2', { status: "'x'", amount: 100 })
    expect(r.metrics).toMatchObject({ numUpdatedRows: 2, numCopiedRows: 28, numRemovedFiles: 1 })
    const v = t.version
    await t.delete('amount = 100')
    const ch = await t.changes({ startVersion: v })
    expect(ch.map((c) => `${c._change_type}:${c.id}:${c.status}`).sort()).toEqual(['delete:0:x', 'delete:1:x', 'update_postimage:0:x', 'update_postimage:1:x', 'update_preimage:0:open', 'update_preimage:1:paid'])
    expect((await t.toRows()).length).toBe(28)
  })

  it("delete('true') removes every row; no predicate is refused with a hint; append-only tables refuse", async () => {
    const t = await table()
    const v = t.version
    const n = (await t.toRows()).length
    for (const call of [() => t.delete(undefined as never), () => t.delete(null as never), () => t.delete(' '),
      () => t.update(null as never, { amount: 1 }), () => t.update(undefined as never, { amount: 1 })]) {
      await expect(call()).rejects.toThrow(InvalidArgumentError)
      await expect(call()).rejects.toThrow(/pass 'true'/)
    }
    expect(t.version).toBe(v)
    expect((await t.toRows()).length).toBe(n)
    const r = await t.update('true', { status: "'all'" })
    expect(r.version).toBe(v + 1)
    expect(new Set((await t.toRows()).map((x) => x.status))).toEqual(new Set(['all']))
    await t.delete('true')
    expect(await t.toRows()).toEqual([])
    const ao = await table({ 'delta.appendOnly': 'true' })
    await expect(ao.delete('id = 1')).rejects.toBeInstanceOf(ConstraintViolationError)
    await expect(ao.update('id = 1', { amount: 1 })).rejects.toBeInstanceOf(ConstraintViolationError)
    await expect(t.update('nope = 1', { amount: 1 })).rejects.toBeInstanceOf(ExpressionError)
  })

  it('property: random deletes and updates equal a filter over the rows, with and without DVs', async () => {
    const preds: Array<[string, (r: { id: bigint; amount: number | null; status: string | null }) => boolean]> = [
      ['amount > 20', (r) => r.amount !== null && r.amount > 20], ['id % 4 = 1', (r) => r.id % 4n === 1n],
      ["status = 'open'", (r) => r.status === 'open'], ['amount IS NULL', (r) => r.amount === null],
    ]
    await fc.assert(fc.asyncProperty(fc.boolean(), fc.boolean(), fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: preds.length - 1 })), { minLength: 1, maxLength: 4 }), async (dv, part, ops) => {
      const t = await DeltaTable.create(new MemoryStore(), { schema: SCHEMA, partitionBy: part ? ['status'] : [], properties: { 'delta.enableDeletionVectors': String(dv) } })
      let model = rows(40).map((r) => ({ id: r.id, status: r.status as string | null, amount: (r.id % 5n === 0n ? null : r.amount) as number | null }))
      await t.append(model)
      for (const [isDelete, k] of ops) {
        const [sql, test] = preds[k]
        if (isDelete) { await t.delete(sql); model = model.filter((r) => !test(r)) } else { await t.update(sql, { amount: 'coalesce(amount, 0) + 1' }); model = model.map((r) => (test(r) ? { ...r, amount: (r.amount ?? 0) + 1 } : r)) }
        const got = (await t.toRows({ columns: ['id', 'status', 'amount'] })).sort((a, b) => Number(a.id) - Number(b.id))
        expect(got).toEqual(model)
      }
    }), { numRuns: 25 })
  }, 30_000)
})

describe('bounded buffers', () => {
  it('flushRows splits written rows and change rows into several files; results unchanged', async () => {
    const t = await DeltaTable.create(new MemoryStore(), { schema: SCHEMA, properties: { 'delta.enableDeletionVectors': 'false', 'delta.enableChangeDataFeed': 'true' } })
    const all = rows(30)
    for (let p = 0; p < 3; p++) await t.append(all.slice(p * 10, p * 10 + 10))
    // buffers flush once they reach flushRows (one touched file's rows are pushed at a time)
    const r = await t.update('amount >= 5', { amount: 'amount + 1000' }, { flushRows: 7 })
    expect(r.metrics.numAddedFiles).toBeGreaterThanOrEqual(3)
    expect(r.metrics.numAddedChangeFiles).toBeGreaterThanOrEqual(3)
    const got = (await t.toRows()).map((x) => x.amount as number).sort((a, b) => a - b)
    expect(got).toEqual([...Array.from({ length: 5 }, (_, i) => i), ...Array.from({ length: 25 }, (_, i) => i + 1005)])
    const ch = await t.changes({ startVersion: t.version })
    expect(ch.filter((c) => c._change_type === 'update_postimage').length).toBe(25)
    expect(ch.filter((c) => c._change_type === 'update_preimage').length).toBe(25)
  })
})
