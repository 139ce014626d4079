import { describe, expect, it } from 'vitest'
import { DeltaTable, MemoryStore } from '../../src/index.js'
import { ChangeFeedError, ConstraintViolationError, InvalidArgumentError, SchemaMismatchError } from '../../src/errors.js'
import type { StructField } from '../../src/schema/types.js'

const f = (name: string, type: StructField['type'], nullable = true): StructField => ({ name, type, nullable, metadata: {} })

async function orders(extra: StructField[] = [], opts: { primaryKey?: string | string[]; properties?: Record<string, string> } = { primaryKey: 'id' }) {
  const t = await DeltaTable.create(new MemoryStore(), {
    schema: { type: 'struct', fields: [f('id', 'long', false), f('status', 'string'), f('amount', 'double'), ...extra] },
    ...opts,
  })
  await t.append([{ id: 1n, status: 'open', amount: 10 }, { id: 2n, status: 'open', amount: 20 }, { id: 3n, status: 'paid', amount: 30 }])
  return t
}
const sorted = async (t: DeltaTable, columns?: string[]) => (await t.toRows({ columns })).sort((a, b) => Number(a.id) - Number(b.id))

describe('CDC merge: await table.merge(batch)', () => {
  it('recognises I/U/D, insert/update/upsert/delete and Debezium-style c/u/d/r in any case', async () => {
    const ups = ['I', 'i', 'insert', 'INSERT', 'c', 'r', 'U', 'update', 'u', 'Update', 'upsert']
    const dels = ['D', 'd', 'delete', 'DELETE']
    const t = await orders()
    await t.merge(ups.map((op, i) => ({ op, id: BigInt(10 + i), status: op, amount: i })))
    await t.merge(dels.map((op, i) => ({ op, id: BigInt(10 + i) })))
    expect((await sorted(t, ['id'])).map((r) => Number(r.id))).toEqual([1, 2, 3, ...ups.slice(dels.length).map((_, i) => 10 + dels.length + i)])
    for (const op of ['x', '', 'upd']) await expect(t.merge([{ op, id: 1n, status: 's', amount: 1 }])).rejects.toBeInstanceOf(ChangeFeedError)
  })

  it('one source row updating several target rows with its key writes one new row for each, and inserts keep every value', async () => {
    const t = await orders()
    await t.append([{ id: 2n, status: 'dup', amount: 21 }, { id: 2n, status: 'dup2', amount: 22 }])
    const r = await t.merge([{ op: 'I', id: 5n, status: 'ins', amount: 5 }, { op: 'U', id: 2n, status: 'upd', amount: 2 }, { op: 'U', id: 1n, status: 'one', amount: 1 }])
    expect(r.metrics).toMatchObject({ numTargetRowsInserted: 1, numTargetRowsUpdated: 4 })
    expect((await sorted(t)).map((x) => `${x.id}:${x.status}:${x.amount}`)).toEqual(['1:one:1', '2:upd:2', '2:upd:2', '2:upd:2', '3:paid:30', '5:ins:5'])
  })

  it('uses the table primary key; U for a missing key inserts, I for an existing key updates; op column not stored', async () => {
    const t = await orders()
    const r = await t.merge([{ op: 'U', id: 9n, status: 'new', amount: 1 }, { op: 'I', id: 1n, status: 'again', amount: 11 }, { op: 'D', id: 3n }, { op: 'd', id: 77n }])
    expect(r.metrics).toMatchObject({ numTargetRowsInserted: 1, numTargetRowsUpdated: 1, numTargetRowsDeleted: 1 })
    expect(t.schema.fields.map((x) => x.name)).toEqual(['id', 'status', 'amount'])
    expect(await sorted(t)).toEqual([{ id: 1n, status: 'again', amount: 11 }, { id: 2n, status: 'open', amount: 20 }, { id: 9n, status: 'new', amount: 1 }])
  })

  it('a batch without an op column is an upsert; with mergeSchema, columns it lacks keep their values (inserts: NULL)', async () => {
    const t = await orders()
    await t.merge([{ id: 2n, status: 'paid' }, { id: 4n, status: 'open' }], { mergeSchema: true })
    expect(await sorted(t)).toEqual([
      { id: 1n, status: 'open', amount: 10 }, { id: 2n, status: 'paid', amount: 20 }, { id: 3n, status: 'paid', amount: 30 }, { id: 4n, status: 'open', amount: null },
    ])
  })

  it('several changes to one key: highest sequence wins, ties go to the later row, no sequence means batch order', async () => {
    const t = await orders()
    await t.merge([
      { op: 'u', id: 1n, status: 'b', lsn: 5n }, { op: 'u', id: 1n, status: 'a', lsn: 3n },
      { op: 'u', id: 2n, status: 'first', lsn: 4n }, { op: 'u', id: 2n, status: 'second', lsn: 4n },
      { op: 'c', id: 5n, status: 'x', lsn: 1n }, { op: 'd', id: 5n, lsn: 2n },
    ], { sequence: 'lsn', mergeSchema: true })
    expect((await sorted(t, ['id', 'status'])).map((r) => `${r.id}:${r.status}`)).toEqual(['1:b', '2:second', '3:paid'])
    await t.merge([{ op: 'd', id: 3n }, { op: 'i', id: 3n, status: 'back' }], { mergeSchema: true })
    expect((await sorted(t, ['id', 'status'])).map((r) => `${r.id}:${r.status}`)).toEqual(['1:b', '2:second', '3:back'])
  })

  it('ignoreOlderThanTarget skips changes older than the stored sequence', async () => {
    const t = await orders([f('lsn', 'long')])
    await t.merge([{ id: 1n, status: 'v10', lsn: 10n }, { id: 2n, status: 'v10', lsn: 10n }], { sequence: 'lsn', mergeSchema: true })
    await t.merge([{ op: 'u', id: 1n, status: 'late', lsn: 9n }, { op: 'u', id: 2n, status: 'newer', lsn: 11n }, { op: 'd', id: 3n, lsn: 1n }], { sequence: 'lsn', ignoreOlderThanTarget: true, mergeSchema: true })
    expect((await sorted(t, ['id', 'status', 'lsn'])).map((r) => `${r.id}:${r.status}:${r.lsn}`)).toEqual(['1:v10:10', '2:newer:11'])
    // without the option, late events apply
    await t.merge([{ op: 'u', id: 1n, status: 'late', lsn: 9n }], { sequence: 'lsn', mergeSchema: true })
    expect((await t.toRows({ filter: 'id = 1' }))[0].status).toBe('late')
  })

  it('ignoreOlderThanTarget with no sequence the table keeps is refused, not ignored', async () => {
    const t = await orders()
    const before = await sorted(t, ['id', 'status'])
    const v = t.version
    const late = [{ op: 'u', id: 1n, status: 'late', amount: 11, lsn: 9n }]
    const err = await t.merge(late, { sequence: 'lsn', ignoreOlderThanTarget: true }).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidArgumentError)
    expect(String((err as Error).message)).toMatch(/ignoreOlderThanTarget.*sequence column lsn/)
    await expect(t.merge([{ op: 'u', id: 1n, status: 'late', amount: 11 }], { ignoreOlderThanTarget: true })).rejects.toThrow(/no sequence column/)
    expect(t.version).toBe(v)
    expect(await sorted(t, ['id', 'status'])).toEqual(before)
    // once the table keeps the sequence, the same call applies (and stores it)
    await t.addColumns([f('lsn', 'long')])
    await t.merge(late, { sequence: 'lsn', ignoreOlderThanTarget: true })
    expect((await t.toRows({ filter: 'id = 1' }))[0]).toMatchObject({ status: 'late', lsn: 9n })
  })

  it('soft deletes set the tombstone flag and keep the row; a later upsert revives it', async () => {
    const t = await orders([f('deleted', 'boolean')])
    await t.merge([{ op: 'D', id: 2n }, { op: 'D', id: 99n }], { softDelete: { column: 'deleted' } })
    expect((await sorted(t, ['id', 'deleted'])).map((r) => `${r.id}:${r.deleted}`)).toEqual(['1:null', '2:true', '3:null'])
    await t.merge([{ op: 'U', id: 2n, status: 'revived' }], { softDelete: { column: 'deleted' }, mergeSchema: true })
    expect((await t.toRows({ filter: 'id = 2' }))[0]).toMatchObject({ status: 'revived', deleted: false, amount: 20 })
  })

  it('options.keys, a custom op column, Debezium-style names', async () => {
    const t = await orders([], {})
    await t.merge([{ __op: 'r', id: 1n, status: 'snap' }, { __op: 'd', id: 2n }], { keys: ['id'], opColumn: '__op', mergeSchema: true })
    expect((await sorted(t, ['id', 'status'])).map((r) => `${r.id}:${r.status}`)).toEqual(['1:snap', '3:paid'])
  })

  it('refuses bad batches before writing anything', async () => {
    const t = await orders()
    const v = t.version
    const noPk = await orders([], {})
    await expect(noPk.merge([{ id: 1n }])).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(t.merge([{ id: null, status: 'x' }])).rejects.toBeInstanceOf(ConstraintViolationError)
    await expect(t.merge([{ status: 'x' }])).rejects.toBeInstanceOf(SchemaMismatchError)
    await expect(t.merge([{ op: 'X', id: 1n }])).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(t.merge([{ id: 1n, amount: 'lots' }])).rejects.toBeInstanceOf(SchemaMismatchError)
    await expect(t.merge([{ id: 1n }], { sequence: 'lsn' })).rejects.toBeInstanceOf(SchemaMismatchError)
    await expect(t.merge([{ id: 1n, op: 'd' }], { softDelete: { column: 'status' } })).rejects.toBeInstanceOf(SchemaMismatchError)
    expect(t.version).toBe(v)
    expect((await DeltaTable.open(t.store)).version).toBe(v)
  })

  it('composite keys', async () => {
    const t = await DeltaTable.create(new MemoryStore(), { schema: { type: 'struct', fields: [f('uf', 'string', false), f('id', 'integer', false), f('v', 'string')] }, primaryKey: ['uf', 'id'], partitionBy: ['uf'] })
    await t.append([{ uf: 'SP', id: 1, v: 'a' }, { uf: 'RJ', id: 1, v: 'b' }])
    await t.merge([{ uf: 'SP', id: 1, v: 'A' }, { uf: 'MG', id: 1, v: 'c' }, { op: 'D', uf: 'RJ', id: 1 }].map((r) => ({ op: 'U', ...r })))
    expect((await t.toRows()).map((r) => `${r.uf}${r.id}${r.v}`).sort()).toEqual(['MG1c', 'SP1A'])
  })
})
