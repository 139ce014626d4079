// Silver and gold row helpers: exact decimal sums, dedupe by key,
// change-feed rows to keyed events, joins, and rebuilds that skip when no input moved.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DeltaTable, MemoryStore, UnknownOptionError } from '../../src/index.js'
import { groupBy, joinRows, mergeByKey, orderBy, rebuild, sumValues } from '../../src/medallion/gold.js'
import { changesToEvents, cleanText, dedupe, pipe, rename, requireColumns, select } from '../../src/medallion/silver.js'
import type { StructType } from '../../src/schema/types.js'

describe('silver helpers', () => {
  it('compose: rename, clean, require, dedupe, select', () => {
    const clean = pipe(rename({ id_cliente: 'cliente_id' }), cleanText({ upper: ['uf'], digitsOnly: ['cpf'] }), requireColumns(['cliente_id']), dedupe(['cliente_id'], 'v'), select(['cliente_id', 'nome', 'uf', 'cpf']))
    expect(clean([
      { id_cliente: 1, nome: '  Ana   Silva ', uf: ' sp', cpf: '123.456.789-00', v: 2 },
      { id_cliente: 1, nome: 'Ana S.', uf: 'rj', cpf: '1', v: 1 },
      { id_cliente: null, nome: 'x', uf: 'sp', cpf: '', v: 9 },
      { id_cliente: 2, nome: '', uf: 'mg', cpf: null, v: 1 },
    ])).toEqual([
      { cliente_id: 1, nome: 'Ana Silva', uf: 'SP', cpf: '12345678900' },
      { cliente_id: 2, nome: null, uf: 'MG', cpf: null },
    ])
  })

  it('a change feed for applyCdc: commit order, deletes before inserts within a commit, pre-images dropped, tombstones deletes', () => {
    const ch = (id: number, type: string, v: number, extra: Record<string, unknown> = {}) => ({ id, _change_type: type, _commit_version: BigInt(v), _commit_timestamp: new Date(0), ...extra })
    const ev = changesToEvents([
      ch(1, 'insert', 1), ch(1, 'update_preimage', 2), ch(1, 'update_postimage', 2, { x: 'b' }),
      ch(2, 'insert', 3), ch(2, 'delete', 3), // a rewrite: delete + insert of the same key in one commit
      ch(3, 'insert', 1), ch(3, 'delete', 4),
      ch(4, 'insert', 5, { _deleted: true }),
    ], { softDeleteColumn: '_deleted' })
    expect(ev.map((e) => [e.id, e._change_type, e.x ?? null, e._commit_version])).toEqual([
      [1, 'insert', null, 1n], [3, 'insert', null, 1n], [1, 'update_postimage', 'b', 2n], [2, 'delete', null, 3n], [2, 'insert', null, 3n], [3, 'delete', null, 4n], [4, 'delete', null, 5n],
    ])
    expect(() => changesToEvents([], { keys: ['id'] } as never)).toThrow(UnknownOptionError)
  })
})

describe('gold helpers', () => {
  it('sums decimal text exactly (any scales), numbers and bigints by kind', () => {
    fc.assert(fc.property(fc.array(fc.bigInt(-(10n ** 15n), 10n ** 15n), { maxLength: 30 }), (cents) => {
      const text = cents.map((c) => `${c < 0n ? '-' : ''}${(c < 0n ? -c : c) / 100n}.${String((c < 0n ? -c : c) % 100n).padStart(2, '0')}`)
      const total = cents.reduce((a, b) => a + b, 0n)
      const want = cents.length ? `${total < 0n ? '-' : ''}${(total < 0n ? -total : total) / 100n}.${String((total < 0n ? -total : total) % 100n).padStart(2, '0')}` : null
      expect(sumValues(text)).toBe(want)
    }))
    expect(sumValues(['1.5', '2.25', null])).toBe('3.75')
    expect(sumValues([1n, 2n])).toBe(3n)
    expect(sumValues([0.5, 1])).toBe(1.5)
  })

  it('groupBy with filtered aggregates, joinRows (inner/left), orderBy', () => {
    const tx = [{ c: 1, k: 'C', v: '10.00' }, { c: 1, k: 'D', v: '3.50' }, { c: 2, k: 'C', v: '1.00' }, { c: 1, k: 'C', v: '0.25' }]
    const g = groupBy(tx, ['c'], { n: { fn: 'count' }, credit: { fn: 'sum', column: 'v', where: (r) => r.k === 'C' }, big: { fn: 'max', column: 'v' }, kinds: { fn: 'countDistinct', column: 'k' } })
    expect(g).toEqual([{ c: 1, n: 3n, credit: '10.25', big: '10.00', kinds: 2n }, { c: 2, n: 1n, credit: '1.00', big: '1.00', kinds: 1n }])
    const names = [{ c: 1, name: 'Ana' }, { c: 3, name: 'Zé' }]
    expect(joinRows(g, names, ['c']).map((r) => [r.c, r.name])).toEqual([[1, 'Ana']])
    expect(joinRows(g, names, ['c'], 'left').map((r) => [r.c, r.name])).toEqual([[1, 'Ana'], [2, null]])
    expect(orderBy(g, ['-credit']).map((r) => r.c)).toEqual([1, 2])
  })

  it('rebuild writes when an input moved and skips otherwise', async () => {
    const t = await DeltaTable.create(new MemoryStore(), { schema: { type: 'struct', fields: [{ name: 'n', type: 'long', nullable: true, metadata: {} }] } })
    let computed = 0
    const compute = () => { computed++; return [{ n: BigInt(computed) }] }
    expect((await rebuild(t, { a: 3, b: 1 }, compute)).skipped).toBe(false)
    expect((await rebuild(t, { a: 3, b: 1 }, compute)).skipped).toBe(true)
    expect((await rebuild(t, { a: 3, b: 2 }, compute)).skipped).toBe(false)
    expect(computed).toBe(2)
    expect(t.version).toBe(2)
    expect((await t.toRows()).map((r) => r.n)).toEqual([2n])
  })

  it('mergeByKey upserts aggregates by key, once per txn version', async () => {
    const t = await DeltaTable.create(new MemoryStore(), { schema: { type: 'struct', fields: [{ name: 'k', type: 'string', nullable: false, metadata: {} }, { name: 'total', type: 'decimal(10,2)', nullable: true, metadata: {} }] } })
    await mergeByKey(t, [{ k: 'a', total: '1.00' }, { k: 'b', total: '2.00' }], ['k'], { appId: 'agg', version: 1 })
    await mergeByKey(t, [{ k: 'b', total: '5.50' }, { k: 'c', total: '0.10' }], ['k'], { appId: 'agg', version: 2 })
    const again = await mergeByKey(t, [{ k: 'a', total: '9.99' }], ['k'], { appId: 'agg', version: 2 })
    expect(again.skipped).toBe(true)
    expect((await t.toRows()).map((r) => [r.k, r.total]).sort()).toEqual([['a', '1.00'], ['b', '5.50'], ['c', '0.10']])
  })
})
