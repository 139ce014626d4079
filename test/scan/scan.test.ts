import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CorruptDataError, ExpressionError, MissingFileError, SchemaMismatchError } from '../../src/errors.js'
import { evalRow } from '../../src/expr/eval.js'
import { bindPredicate } from '../../src/expr/bind.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { inlineDescriptor } from '../../src/scan/deletion-vectors.js'
import { scanBatches, scanValues, toArrow, toRows } from '../../src/scan/scan.js'
import type { StructType } from '../../src/schema/types.js'
import type { DeltaValue } from '../../src/schema/values.js'
import { field, makeTable } from './fixtures.js'

const schema: StructType = {
  type: 'struct',
  fields: [field('id', 'long'), field('n', 'integer'), field('s', 'string'), field('d', 'double'), field('p', 'string')],
}

function rowsOf(n: number, start: number, part: string): Record<string, DeltaValue>[] {
  return Array.from({ length: n }, (_, i) => ({
    id: BigInt(start + i), n: (start + i) % 7 === 0 ? null : (start + i) % 13, s: `s${(start + i) % 5}`, d: (start + i) / 4, p: part,
  }))
}

describe('scan', () => {
  it('reads rows with partition values, DVs, projection and Arrow types', async () => {
    const store = await makeTable(schema, [
      { rows: rowsOf(10, 0, 'a'), dv: inlineDescriptor([0, 3]) },
      { rows: rowsOf(5, 10, 'b') },
    ], { partitionColumns: ['p'] })
    const snap = await loadSnapshot(store)
    const rows = await toRows(snap)
    expect(rows).toHaveLength(13)
    expect(rows.map((r) => r.id)).not.toContain(0n)
    expect(rows.map((r) => r.id)).not.toContain(3n)
    expect(rows.find((r) => r.id === 11n)).toEqual({ id: 11n, n: 11, s: 's1', d: 2.75, p: 'b' })
    const table = await toArrow(snap, { columns: ['P', 'id'] })
    expect(table.schema.fields.map((f) => [f.name, String(f.type)])).toEqual([['p', 'Utf8'], ['id', 'Int64']])
    expect(table.numRows).toBe(13)
    expect(table.getChild('id')!.get(0)).toBe(1n)
  })

  it('gives an empty table with the right schema when there are no files', async () => {
    const store = await makeTable(schema, [])
    const t = await toArrow(await loadSnapshot(store))
    expect(t.numRows).toBe(0)
    expect(t.schema.fields.map((f) => f.name)).toEqual(['id', 'n', 's', 'd', 'p'])
  })

  it('bounds batches by batchRows and row groups', async () => {
    const store = await makeTable(schema, [{ rows: rowsOf(250, 0, 'a'), rowGroupSize: 100 }, { rows: rowsOf(30, 250, 'b') }])
    const sizes: number[] = []
    for await (const b of scanBatches(await loadSnapshot(store), { batchRows: 40 })) sizes.push(b.numRows)
    expect(Math.max(...sizes)).toBeLessThanOrEqual(40)
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(280)
  })

  it('raises typed errors naming table, version, file or column', async () => {
    const store = await makeTable(schema, [{ rows: rowsOf(3, 0, 'a') }])
    const snap = await loadSnapshot(store)
    const path = snap.activeFiles()[0].path
    await expect(toRows(snap, { columns: ['nope'] })).rejects.toThrow(SchemaMismatchError)
    await expect(toRows(snap, { columns: ['nope'] })).rejects.toThrow(/nope/)
    await expect(toRows(snap, { filter: 'nope = 1' })).rejects.toThrow(ExpressionError)
    await expect(toRows(snap, { filter: "id = 'x' AND s > 3" })).rejects.toThrow(ExpressionError)
    const bytes = await store.get(path)
    await store.put(path, bytes.subarray(0, bytes.length - 20))
    const corrupt = await toRows(snap).catch((e) => e)
    expect(corrupt).toBeInstanceOf(CorruptDataError)
    expect(corrupt.message).toContain(path)
    await store.delete(path)
    const missing = await toRows(snap).catch((e) => e)
    expect(missing).toBeInstanceOf(MissingFileError)
    expect(missing.message).toContain(path)
    expect(missing.version).toBe(0)
    expect(missing.table).toBe(snap.tableUrl)
  })

  it('skips files by stats and row groups by Parquet statistics', async () => {
    const store = await makeTable(schema, [
      { rows: rowsOf(300, 0, 'a'), rowGroupSize: 50 },
      { rows: rowsOf(300, 300, 'a'), rowGroupSize: 50 },
    ])
    const snap = await loadSnapshot(store)
    const reads: string[] = []
    const getRange = store.getRange.bind(store)
    store.getRange = async (key, start, end) => { reads.push(`${key}:${start}`); return getRange(key, start, end) }
    const ids: bigint[] = []
    for await (const b of scanValues(snap, { columns: ['id'], filter: 'id >= 120 AND id < 130' })) ids.push(...(b.columns[0] as bigint[]))
    expect(ids).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(120 + i)))
    expect(reads.some((r) => r.startsWith(snap.activeFiles()[1].path))).toBe(false) // second file skipped by its stats
    const full = reads.length
    reads.length = 0
    for await (const b of scanValues(snap, { columns: ['id'] })) void b
    expect(full).toBeLessThan(reads.length / 2) // one row group of six, in one file of two
  })

  it('filtered scans equal a full scan filtered row by row', async () => {
    const predicate = fc.oneof(
      fc.tuple(fc.constantFrom('id', 'n'), fc.constantFrom('=', '<>', '<', '<=', '>', '>='), fc.integer({ min: -2, max: 320 })).map(([c, op, v]) => `${c} ${op} ${v}`),
      fc.constantFrom("s = 's1'", "p = 'b'", "p <> 'a'", 'n IS NULL', 'n IS NOT NULL', "s IN ('s0', 's3')", 'd BETWEEN 10 AND 20', "s LIKE 's1%'"),
    )
    const filter = fc.oneof(predicate, fc.tuple(predicate, predicate, fc.constantFrom('AND', 'OR')).map(([a, b, op]) => `(${a}) ${op} (${b})`))
    const store = await makeTable(schema, [
      { rows: rowsOf(120, 0, 'a'), rowGroupSize: 40, dv: inlineDescriptor([1, 50, 119]) },
      { rows: rowsOf(100, 120, 'b'), rowGroupSize: 30 },
      { rows: rowsOf(80, 220, 'c') },
    ], { partitionColumns: ['p'] })
    const snap = await loadSnapshot(store)
    const all: Record<string, DeltaValue>[] = []
    for await (const b of scanValues(snap)) for (let r = 0; r < b.length; r++) all.push(Object.fromEntries(b.fields.map((f, i) => [f.name, b.columns[i][r]])))
    expect(all).toHaveLength(297)
    await fc.assert(fc.asyncProperty(filter, async (sql) => {
      const bound = bindPredicate(sql, snap.schema)
      const expected = all.filter((r) => evalRow(bound, r) === true).map((r) => String(r.id)).sort()
      const got: string[] = []
      for await (const b of scanValues(snap, { filter: sql, columns: ['id'] })) for (const v of b.columns[0]) got.push(String(v))
      expect(got.sort()).toEqual(expected)
    }), { numRuns: 60 })
  })
})
