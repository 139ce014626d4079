// The read side through the public DeltaTable API, on corpus tables.
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DeltaTable } from '../../src/table/delta-table.js'

const CORPUS = resolve(__dirname, '../../../shared/conformance/tables')

describe('DeltaTable read API', () => {
  it('toRows converts to public row values', async () => {
    const t = await DeltaTable.open(resolve(CORPUS, 'golden__basic-decimal-table', 'delta'))
    const rows = await t.toRows()
    expect(rows).toHaveLength(4)
    expect(rows.map((r) => r.col1).sort()).toContain('-999.99')
    const ts = await DeltaTable.open(resolve(CORPUS, 'kernelrs__with-short-dv', 'delta'))
    const r = (await ts.toRows({ filter: 'id = 3' }))[0]
    expect(r.id).toBe(3n)
    expect(r.timestamp).toBeInstanceOf(Date)
    expect((r.timestamp as Date).toISOString()).toBe('2023-05-31T18:58:33.633Z')
  })

  it('toArrow and scan agree, with time travel', async () => {
    const t = await DeltaTable.open(resolve(CORPUS, 'delta__table-with-dv-small', 'delta'), { version: 0 })
    expect((await t.toArrow()).numRows).toBe(10)
    let n = 0
    for await (const b of (await DeltaTable.open(resolve(CORPUS, 'delta__table-with-dv-small', 'delta'))).scan()) n += b.numRows
    expect(n).toBe(8)
  })

  it('changes returns CDF rows', async () => {
    const t = await DeltaTable.open(resolve(CORPUS, 'kernelrs__cdf-table-simple', 'delta'))
    const rows = await t.changes({ startVersion: 1, endVersion: 1 })
    expect(rows).toHaveLength(10)
    expect(new Set(rows.map((r) => r._change_type))).toEqual(new Set(['delete']))
    expect(rows[0]._commit_version).toBe(1n)
    expect(rows[0]._commit_timestamp).toBeInstanceOf(Date)
  })
})
