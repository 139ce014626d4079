import { describe, expect, it } from 'vitest'
import * as arrow from 'apache-arrow'
import { normalizeInput, vectorToDelta } from '../../src/write/input.js'
import { ConstraintViolationError, SchemaMismatchError } from '../../src/index.js'
import type { DataType, StructField, StructType } from '../../src/schema/types.js'

const f = (name: string, type: DataType, nullable = true): StructField => ({ name, type, nullable, metadata: {} })
const struct = (...fields: StructField[]): StructType => ({ type: 'struct', fields })

describe('Arrow input', () => {
  it('converts exactly: decimals, timestamps of every unit, dates, nested types', () => {
    const dec = arrow.makeData({ type: new arrow.Decimal(2, 10, 128), length: 2, data: new Uint32Array([12345, 0, 0, 0, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]) })
    expect(Array.from(vectorToDelta(arrow.makeVector(dec), 'decimal(10,2)', 'd'))).toEqual([12345n, -1n])
    expect(Array.from(vectorToDelta(arrow.makeVector(dec), 'decimal(12,4)', 'd'))).toEqual([1234500n, -100n])
    const ns = arrow.makeVector(arrow.makeData({ type: new arrow.TimestampNanosecond(), length: 2, data: BigInt64Array.from([1_999n, -1n]) }))
    expect(Array.from(vectorToDelta(ns, 'timestamp_ntz', 't'))).toEqual([1n, -1n])
    const s = arrow.makeVector(arrow.makeData({ type: new arrow.TimestampSecond('UTC'), length: 1, data: BigInt64Array.from([2n]) }))
    expect(Array.from(vectorToDelta(s, 'timestamp', 't'))).toEqual([2_000_000n])
    expect(Array.from(vectorToDelta(arrow.vectorFromArray([new Date(86400000 * 3), null], new arrow.DateDay()), 'date', 'd'))).toEqual([3, null])
    const st = arrow.vectorFromArray([{ x: 1, y: 'a' }, null], new arrow.Struct([arrow.Field.new('x', new arrow.Int32()), arrow.Field.new('y', new arrow.Utf8())]))
    expect(Array.from(vectorToDelta(st, struct(f('x', 'long'), f('y', 'string')), 's'))).toEqual([{ x: 1n, y: 'a' }, null])
    const li = arrow.vectorFromArray([[1, 2], null, []], new arrow.List(arrow.Field.new('item', new arrow.Int32())))
    expect(Array.from(vectorToDelta(li, { type: 'array', elementType: 'long', containsNull: true }, 'l'))).toEqual([[1n, 2n], null, []])
    const m = arrow.vectorFromArray([new Map([['a', 1]]), null], new arrow.Map_(arrow.Field.new('entries', new arrow.Struct([arrow.Field.new('key', new arrow.Utf8(), false), arrow.Field.new('value', new arrow.Int32())])) as never))
    expect(Array.from(vectorToDelta(m, { type: 'map', keyType: 'string', valueType: 'integer', valueContainsNull: true }, 'm'))).toEqual([new Map([['a', 1]]), null])
  })

  it('refuses values that do not fit, naming column and row', () => {
    const big = arrow.vectorFromArray([1, 300], new arrow.Int32())
    expect(() => vectorToDelta(big, 'byte', 'b')).toThrow(/column b at row 1/)
    const t = new arrow.Table({ a: arrow.vectorFromArray(['x']) })
    expect(() => normalizeInput(t, struct(f('b', 'string')))).toThrow(SchemaMismatchError)
    const n = new arrow.Table({ a: arrow.vectorFromArray([null, 'x'], new arrow.Utf8()) })
    expect(() => normalizeInput(n, struct(f('a', 'string', false)))).toThrow(ConstraintViolationError)
  })

  it('takes a RecordBatch, matches names case-insensitively, adds columns with mergeSchema', () => {
    const t = new arrow.Table({ ID: arrow.vectorFromArray([1n, 2n], new arrow.Int64()), extra: arrow.vectorFromArray([true, false]) })
    const b = normalizeInput(t.batches[0], struct(f('id', 'long')), { mergeSchema: true })
    expect(Array.from(b.columns.get('id')!)).toEqual([1n, 2n])
    expect(b.newFields).toEqual([f('extra', 'boolean')])
  })
})

describe('plain object input', () => {
  it('coerces by Delta type and reports the first bad row', () => {
    const schema = struct(f('i', 'integer'), f('d', 'date'), f('t', 'timestamp'), f('dec', 'decimal(5,2)'))
    const b = normalizeInput([{ i: 1, d: '2024-01-02', t: new Date(1), dec: 1.5 }, { I: 2, t: 5n }], schema)
    expect(Array.from(b.columns.get('i')!)).toEqual([1, 2])
    expect(b.columns.get('d')).toEqual([19724, null])
    expect(Array.from(b.columns.get('t')!)).toEqual([1000n, 5n])
    expect(b.columns.get('dec')).toEqual([150n, null])
    expect(() => normalizeInput([{ i: 1 }, { i: 2.5 }], schema)).toThrow(/column i at row 1/)
    expect(() => normalizeInput([{ dec: '1.234' }], schema)).toThrow(/column dec at row 0/)
    expect(() => normalizeInput([{ i: 1 }, 5 as never], schema)).toThrow(/row 1 is not an object/)
  })
})
