// Column names holding dots or backticks, next to a struct whose field path spells the same text
// (`a.b` the column vs field b of struct a), through every public call that reads column paths:
// filters and file skipping, DELETE, UPDATE, MERGE, OPTIMIZE Z-order, CHECK constraints, generated
// columns, stats column selection, partition pruning, and the corpus table where DELETE once
// deleted nothing. Expected rows come from a plain model of the rows in this file.
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { DeltaTable, MemoryStore, col } from '../../src/index.js'
import { ConstraintViolationError } from '../../src/errors.js'
import type { StructField } from '../../src/schema/types.js'
import { keyPath, pathKey } from '../../src/schema/column-path.js'

const f = (name: string, type: StructField['type'], extra: Partial<StructField> = {}): StructField => ({ name, type, nullable: true, metadata: {}, ...extra })
const SCHEMA = {
  type: 'struct' as const,
  fields: [
    f('id', 'long', { nullable: false }),
    f('a.b', 'long'),
    f('a', { type: 'struct', fields: [f('b', 'long')] }),
    f('s', { type: 'struct', fields: [f('x.y', 'integer'), f('q`t', 'integer')] }),
    f('p.q', 'string'),
  ],
}

/** The model: one record per row, in plain fields. */
interface M { id: number; ab: number; a_b: number; xy: number; qt: number; pq: string }
const model = (i: number): M => ({ id: i, ab: i, a_b: 29 - i, xy: i % 5, qt: i % 3, pq: `k${i % 2}` })
const toRow = (m: M) => ({ id: BigInt(m.id), 'a.b': BigInt(m.ab), a: { b: BigInt(m.a_b) }, s: { 'x.y': m.xy, 'q`t': m.qt }, 'p.q': m.pq })
const fromRow = (r: Record<string, unknown>): M => ({
  id: Number(r.id), ab: Number(r['a.b']), a_b: Number((r.a as { b: bigint }).b),
  xy: (r.s as Record<string, number>)['x.y']!, qt: (r.s as Record<string, number>)['q`t']!, pq: r['p.q'] as string,
})
const sorted = (ms: M[]) => [...ms].sort((x, y) => x.id - y.id)
const ALL = Array.from({ length: 30 }, (_, i) => model(i))

/** 30 rows in three appends of ten (`a.b` ranges 0–9, 10–19, 20–29), partitioned by `p.q`. */
async function table(properties: Record<string, string> = {}): Promise<DeltaTable> {
  const t = await DeltaTable.create(new MemoryStore(), { schema: SCHEMA, partitionBy: ['p.q'], properties })
  for (let k = 0; k < 3; k++) await t.append(ALL.slice(k * 10, k * 10 + 10).map(toRow))
  return t
}
async function rowsOf(t: DeltaTable, filter?: string | ReturnType<typeof col>): Promise<M[]> {
  return sorted((await t.toRows(filter === undefined ? {} : { filter })).map(fromRow))
}

// predicate text → the model's answer
const PREDICATES: [string, (m: M) => boolean][] = [
  ['`a.b` >= 20', (m) => m.ab >= 20],
  ['a.b >= 20', (m) => m.a_b >= 20],
  ['`A.B` < 3', (m) => m.ab < 3],
  ['`a.b` IS NOT NULL', () => true],
  ['s.`x.y` = 3', (m) => m.xy === 3],
  ['s.`q``t` = 1 AND `a.b` > 10', (m) => m.qt === 1 && m.ab > 10],
  ["`p.q` = 'k1'", (m) => m.pq === 'k1'],
  ["`p.q` = 'k0' AND a.b < 5", (m) => m.pq === 'k0' && m.a_b < 5],
]

describe('column names with dots and backticks', () => {
  it('filters: toRows and the builder read the column the text names', async () => {
    const t = await table()
    for (const [sql, pred] of PREDICATES) expect(await rowsOf(t, sql), sql).toEqual(ALL.filter(pred))
    expect(await rowsOf(t, col(['a.b']).ge(20))).toEqual(ALL.filter((m) => m.ab >= 20))
    expect(await rowsOf(t, col('`a.b`').ge(20))).toEqual(ALL.filter((m) => m.ab >= 20))
    expect(await rowsOf(t, col('a.b').ge(20))).toEqual(ALL.filter((m) => m.a_b >= 20))
    expect(await rowsOf(t, col('s.`x.y`').eq(0))).toEqual(ALL.filter((m) => m.xy === 0))
  })

  it('files({ filter }) skips by the stats of the column the text names, and prunes dotted partitions', async () => {
    const t = await table()
    const names = async (v: number, filter?: string) => (await (await DeltaTable.open(t.store, { version: v })).files(filter ? { filter } : {})).map((x) => x.path).sort()
    const v1 = await names(1)
    const v2 = await names(2)
    const v3 = await names(3)
    const third = v3.filter((p) => !v2.includes(p))
    expect(v1).toHaveLength(2) // one file per partition and append
    expect(await names(3, '`a.b` >= 20')).toEqual(third) // `a.b` 20–29 only in the third append
    expect(await names(3, 'a.b >= 20')).toEqual(v1) // a.b = 29 - i: 20–29 only in the first
    expect(await names(3, 's.`x.y` > 4')).toEqual([]) // x.y is i % 5
    const k1 = (await t.files({ filter: "`p.q` = 'k1'" }))
    expect(k1).toHaveLength(3)
    expect(k1.every((x) => x.partitionValues['p.q'] === 'k1')).toBe(true)
  })

  it('DELETE removes exactly the rows the predicate names', async () => {
    for (const [sql, pred] of PREDICATES) {
      const t = await table()
      const r = await t.delete(sql)
      const expected = ALL.filter((m) => !pred(m))
      expect(r.metrics.numDeletedRows, sql).toBe(ALL.length - expected.length)
      expect(await rowsOf(t), sql).toEqual(expected)
    }
  })

  it('DELETE and UPDATE with copy-on-write and change data feed', async () => {
    const t = await table({ 'delta.enableDeletionVectors': 'false', 'delta.enableChangeDataFeed': 'true' })
    await t.update('`a.b` < 5', { '`a.b`': '`a.b` + 100' })
    const after = ALL.map((m) => (m.ab < 5 ? { ...m, ab: m.ab + 100 } : m))
    expect(await rowsOf(t)).toEqual(after)
    const v = t.version
    await t.delete('a.b > 25')
    const ch = await t.changes({ startVersion: v + 1 })
    expect(ch.map((c) => Number(c.id)).sort((x, y) => x - y)).toEqual(after.filter((m) => m.a_b > 25).map((m) => m.id))
  })

  it('UPDATE assigns the column the key names (plain, backticked, qualified)', async () => {
    const t = await table()
    await t.update('`a.b` >= 25', { 'a.b': '`a.b` * 10' })
    await t.update('s.`x.y` = 0', { '`a.b`': -1 })
    await t.update('id = 7', { 't.a.b': 77 })
    const want = ALL.map((m) => (m.ab >= 25 ? { ...m, ab: m.ab * 10 } : m))
      .map((m) => (m.xy === 0 ? { ...m, ab: -1 } : m))
      .map((m) => (m.id === 7 ? { ...m, ab: 77 } : m))
    expect(await rowsOf(t)).toEqual(want)
  })

  it('MERGE on a dotted key, conditions on dotted columns and fields', async () => {
    const t = await table()
    const src = [model(3), model(12), model(40)].map((m) => ({ ...m, xy: 4, qt: 2 })).map(toRow)
    const r = await t.merge(src, { on: 'target.`a.b` = source.`a.b`' })
      .whenMatchedUpdate({ condition: 'target.a.b > 20', set: { 'p.q': "'upd'" } })
      .whenMatchedDelete({ condition: 'source.s.`x.y` = 4' })
      .whenNotMatchedInsertAll()
      .execute()
    expect(r.metrics).toMatchObject({ numTargetRowsUpdated: 1, numTargetRowsDeleted: 1, numTargetRowsInserted: 1 })
    const want = [...ALL.map((m) => (m.id === 3 ? { ...m, pq: 'upd' } : m)).filter((m) => m.id !== 12), { ...model(40), xy: 4, qt: 2 }]
    expect(await rowsOf(t)).toEqual(sorted(want))
    const t2 = await table()
    await t2.merge([toRow({ ...model(5), pq: 'k1' })], { on: ['a.b'] }).whenMatchedDelete().execute()
    expect(await rowsOf(t2)).toEqual(ALL.filter((m) => m.id !== 5))
  })

  it('OPTIMIZE zOrderBy a dotted column (plain or backticked), rows unchanged', async () => {
    for (const z of ['a.b', '`a.b`']) {
      const t = await table()
      const r = await t.optimize({ zOrderBy: [z] })
      expect(r.metrics.numFilesAdded, z).toBeGreaterThan(0)
      expect(await rowsOf(t)).toEqual(ALL)
    }
  })

  it('CHECK constraints and generated columns on dotted columns are enforced', async () => {
    const t = await table()
    await t.addConstraint('ab_small', '`a.b` < 100 AND s.`x.y` >= 0')
    await expect(t.append([toRow({ ...model(1), ab: 500 })])).rejects.toBeInstanceOf(ConstraintViolationError)
    await expect(t.append([toRow({ ...model(1), xy: -1 })])).rejects.toBeInstanceOf(ConstraintViolationError)
    await t.append([toRow(model(31))])
    expect((await rowsOf(t)).map((m) => m.id)).toEqual([...ALL.map((m) => m.id), 31])

    const schema = { type: 'struct' as const, fields: [...SCHEMA.fields, f('g.h', 'long', { metadata: { 'delta.generationExpression': '`a.b` * 2 + a.b' } })] }
    const g = await DeltaTable.create(new MemoryStore(), { schema })
    await g.append(ALL.slice(0, 5).map(toRow))
    expect((await g.toRows()).map((r) => Number(r['g.h']))).toEqual(ALL.slice(0, 5).map((m) => m.ab * 2 + m.a_b))
    await expect(g.append([{ ...toRow(model(9)), 'g.h': 1n }])).rejects.toBeInstanceOf(ConstraintViolationError)
  })

  it('delta.dataSkippingStatsColumns names dotted columns with backticks, not the struct field', async () => {
    const t = await table({ 'delta.dataSkippingStatsColumns': '`a.b`,s.`x.y`' })
    const stats = JSON.parse((await t.files())[0]!.stats!)
    expect(Object.keys(stats.minValues).sort()).toEqual(['a.b', 's'])
    expect(Object.keys(stats.minValues.s)).toEqual(['x.y'])
    expect((await t.files({ filter: '`a.b` >= 20' })).length).toBe(2)
  })

  it('renameColumn, dropColumns and addColumns address dotted names by backticks, a.b as the struct field', async () => {
    const t = await table({ 'delta.columnMapping.mode': 'name', 'delta.dataSkippingStatsColumns': '`a.b`,a.b' })
    await t.renameColumn('a.b', 'c') // the struct field, as SQL reads a.b
    await t.renameColumn('`a.b`', 'ab')
    await t.addColumns([{ name: 'n.m', type: 'integer', parent: 's' }])
    await t.dropColumns(['s.`q``t`'])
    const names = (fs: StructField[]): unknown => fs.map((x) => (typeof x.type === 'object' && x.type.type === 'struct' ? [x.name, names(x.type.fields)] : x.name))
    expect(names(t.schema.fields)).toEqual(['id', 'ab', ['a', ['c']], ['s', ['x.y', 'n.m']], 'p.q'])
    expect(t.properties['delta.dataSkippingStatsColumns']).toBe('ab,a.c')
    const rows = await t.toRows({ filter: 'ab >= 28 AND a.c <= 1' })
    expect(rows.map((r) => [Number(r.id), Number(r.ab), Number((r.a as { c: bigint }).c), (r.s as Record<string, unknown>)['n.m']])).toEqual([[28, 28, 1, null], [29, 29, 0, null]])
  })

  it('pathKey and keyPath invert each other for any names', () => {
    fc.assert(fc.property(fc.array(fc.string({ minLength: 1, maxLength: 6, unit: fc.constantFrom('a', '.', '`', 'b', ' ') }), { minLength: 1, maxLength: 4 }), (names) => {
      expect(keyPath(pathKey(names))).toEqual(names)
    }))
  })
})

describe('corpus: kernelrs__cdf-table-backtick-column-names', () => {
  const dirs: string[] = []
  afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })
  const copy = () => {
    const dir = mkdtempSync(join(tmpdir(), 'lagomago-dotted-'))
    dirs.push(dir)
    cpSync('/work/shared/conformance/tables/kernelrs__cdf-table-backtick-column-names/delta', dir, { recursive: true })
    return dir
  }

  it('after an append, DELETE `id.num` IS NOT NULL deletes every row', async () => {
    const t = await DeltaTable.open(copy())
    const before = await t.toRows()
    await t.append(before)
    expect(await t.toRows({ filter: '`id.num` IS NOT NULL' })).toHaveLength(before.length * 2)
    const r = await t.delete('`id.num` IS NOT NULL')
    expect(r.metrics.numDeletedRows).toBe(before.length * 2)
    expect(await (await DeltaTable.open(t.store)).toRows()).toEqual([])
  })

  it('UPDATE and filters on `id.num` and struct_col.`field.one`', async () => {
    const t = await DeltaTable.open(copy())
    const before = await t.toRows()
    const ids = before.map((r) => r['id.num'] as number)
    await t.update('`id.num` > 2', { '`id.num`': '`id.num` * 10', 'id.num`s': 0 })
    const got = await t.toRows()
    expect(got.map((r) => r['id.num']).sort((x, y) => (x as number) - (y as number))).toEqual(ids.map((i) => (i > 2 ? i * 10 : i)).sort((x, y) => x - y))
    expect(got.filter((r) => r['id.num`s'] === 0)).toHaveLength(ids.filter((i) => i > 2).length)
    expect(await t.toRows({ filter: 'struct_col.`field.one` = 2 AND `id.num``s` = 10' })).toHaveLength(ids.filter((i) => i <= 2).length)
  })
})
