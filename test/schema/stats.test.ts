import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseSchema, columnMappingMode } from '../../src/schema/types.js'
import { parseStats } from '../../src/schema/stats.js'

const CORPUS = join(__dirname, '../../../shared/conformance/tables')
const field = (name: string, type: unknown, metadata: Record<string, unknown> = {}) => ({ name, type, nullable: true, metadata })
const schema = parseSchema(JSON.stringify({
  type: 'struct',
  fields: [
    field('id', 'long'), field('i', 'integer'), field('f', 'float'), field('x', 'double'), field('m', 'decimal(38,18)'),
    field('s', 'string'), field('d', 'date'), field('t', 'timestamp'), field('tn', 'timestamp_ntz'), field('b', 'boolean'),
    field('arr', { type: 'array', elementType: 'integer', containsNull: true }),
    field('st', { type: 'struct', fields: [field('k', 'long'), field('inner', { type: 'struct', fields: [field('z', 'string')] })] }),
  ],
}))

function firstAdd(table: string): { stats: string; schemaString: string; configuration: Record<string, string> } {
  const text = readFileSync(join(CORPUS, table, 'delta/_delta_log/00000000000000000000.json'), 'utf8')
  let meta: { schemaString: string; configuration: Record<string, string> } | undefined
  for (const line of text.split('\n').filter(Boolean)) {
    const a = JSON.parse(line)
    if (a.metaData) meta = a.metaData
    if (a.add?.stats) return { stats: a.add.stats, ...meta! }
  }
  throw new Error(`no stats in ${table}`)
}

describe('parseStats', () => {
  it('types values by column and keys nested columns by dotted logical path', () => {
    const s = parseStats(JSON.stringify({
      numRecords: 3,
      minValues: { id: 1, i: -2, f: 0.1, x: 1.5, s: 'a', d: '2021-01-02', t: '2021-01-01T00:00:00.000-08:00', tn: '2021-01-01T00:00:00.123', st: { k: 7, inner: { z: 'q' } } },
      maxValues: { id: 9, i: 2, f: 0.5, x: 2.5, s: 'z', d: '2021-01-03', t: '2021-01-01T08:00:00.001Z', tn: '2021-01-01T00:00:01', st: { k: 8, inner: { z: 'r' } } },
      nullCount: { id: 0, i: 1, s: 2, arr: 3, st: { k: 0, inner: { z: 1 } } },
    }), schema)!
    expect(s.numRecords).toBe(3)
    expect(s.minValues.id).toBe(1n)
    expect(s.minValues.i).toBe(-2)
    expect(s.minValues.f).toBeLessThanOrEqual(0.1)
    expect(s.minValues.f).toBe(Math.fround(s.minValues.f as number))
    expect(s.maxValues.f).toBe(Math.fround(0.5))
    expect(s.minValues.d).toBe(18629)
    expect(s.minValues.t).toBe(1609488000000000n)
    expect(s.maxValues.t).toBe(1609488000001000n)
    expect(s.minValues.tn).toBe(1609459200123000n)
    expect(s.minValues['st.k']).toBe(7n)
    expect(s.maxValues['st.inner.z']).toBe('r')
    expect(s.nullCount).toEqual({ id: 0, i: 1, s: 2, arr: 3, 'st.k': 0, 'st.inner.z': 1 })
    expect(s.tightBounds).toBeUndefined()
  })

  it('keeps longs and decimals exact beyond 2^53 and reads Jackson NaN tokens', () => {
    const s = parseStats('{"numRecords":1,"minValues":{"id":9007199254740993,"m":12345678901234567890.123456789012345678,"x":NaN},"maxValues":{"id":9223372036854775807,"x":Infinity},"nullCount":{}}', schema)!
    expect(s.minValues.id).toBe(9007199254740993n)
    expect(s.maxValues.id).toBe(9223372036854775807n)
    expect(s.minValues.m).toBe(12345678901234567890123456789012345678n)
    expect(s.minValues.x).toBeNaN()
    expect(s.maxValues.x).toBe(Infinity)
  })

  it('rounds inexact bounds outward and drops values that do not fit', () => {
    const s = parseStats('{"numRecords":1,"minValues":{"id":1.5,"m":0.1000000000000000001,"i":"x","d":5},"maxValues":{"id":1.5,"m":0.1000000000000000001,"i":99999999999},"nullCount":{"id":-1}}', schema)!
    expect(s.minValues.id).toBe(1n)
    expect(s.maxValues.id).toBe(2n)
    expect(s.minValues.m).toBe(100000000000000000n)
    expect(s.maxValues.m).toBe(100000000000000001n)
    expect('i' in s.minValues || 'i' in s.maxValues || 'd' in s.minValues || 'id' in s.nullCount).toBe(false)
  })

  it('returns undefined for absent or broken stats and reads tightBounds', () => {
    expect(parseStats(undefined, schema)).toBeUndefined()
    expect(parseStats('', schema)).toBeUndefined()
    expect(parseStats('{broken', schema)).toBeUndefined()
    expect(parseStats('[1]', schema)).toBeUndefined()
    expect(parseStats('{"numRecords":4,"tightBounds":false}', schema)).toEqual({ numRecords: 4, tightBounds: false, minValues: {}, maxValues: {}, nullCount: {} })
  })

  it('maps physical names back to logical paths under column mapping (corpus)', () => {
    for (const table of ['golden__data-skipping-basic-stats-all-types-columnmapping-name', 'golden__data-skipping-basic-stats-all-types-columnmapping-id']) {
      const add = firstAdd(table)
      const s = parseStats(add.stats, parseSchema(add.schemaString), columnMappingMode(add.configuration))!
      expect(s.numRecords).toBe(1)
      expect(Object.keys(s.minValues).every((k) => !k.startsWith('col-'))).toBe(true)
      expect(s.minValues.as_long).toBe(0n)
      expect(s.minValues.as_date).toBe(10957)
      expect(s.minValues.as_timestamp).toBe(946713600000000n) // 2000-01-01T00:00:00-08:00
      expect(s.nullCount.as_string).toBe(0)
    }
  })

  it('reads the stats of the corpus tables without losing columns', () => {
    const add = firstAdd('dat__all_primitive_types')
    const s = parseStats(add.stats, parseSchema(add.schemaString))!
    expect(s.minValues).toMatchObject({ utf8: '0', int64: 0n, int32: 0, int16: 0, int8: 0, float32: 0, float64: 0, decimal: 10000n, date32: 0, timestamp: 0n })
    expect(s.maxValues.timestamp).toBe(4n * 3600n * 1_000_000n)
  })
})
