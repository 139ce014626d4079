import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ConstraintViolationError, SchemaMismatchError } from '../../src/errors.js'
import type { DataType } from '../../src/schema/types.js'
import { compareStrings, compareValues, fromRowValue, toRowValue, type DeltaValue } from '../../src/schema/values.js'

const ctx = { column: 'c', row: 3 }
const bytesCompare = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))

describe('compareValues', () => {
  it('orders strings by UTF-8 bytes', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
      expect(Math.sign(compareStrings(a, b))).toBe(Math.sign(bytesCompare(a, b)))
    }), { numRuns: 1000 })
    expect(compareStrings('\uFFFF', '\u{10000}')).toBe(-1)
  })

  it('is a total order per type: nulls first, NaN last, decimals by unscaled value', () => {
    const sorted = (vals: DeltaValue[], t: DataType): DeltaValue[] => [...vals].sort((a, b) => compareValues(a, b, t))
    expect(sorted([NaN, 1, null, -Infinity, Infinity], 'double')).toEqual([null, -Infinity, 1, Infinity, NaN])
    expect(sorted([15n, -3n, 100n], 'decimal(5,2)')).toEqual([-3n, 15n, 100n])
    expect(sorted([true, false], 'boolean')).toEqual([false, true])
    expect(compareValues(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]), 'binary')).toBe(-1)
    expect(compareValues(new Uint8Array([200]), new Uint8Array([1, 2]), 'binary')).toBe(1)
    const st: DataType = { type: 'struct', fields: [{ name: 'a', type: 'integer', nullable: true, metadata: {} }, { name: 'b', type: 'string', nullable: true, metadata: {} }] }
    expect(compareValues({ a: 1, b: 'z' }, { a: 2, b: 'a' }, st)).toBe(-1)
    expect(compareValues({ a: 1, b: 'b' }, { a: 1, b: 'a' }, st)).toBe(1)
    expect(compareValues([1, 2], [1, 2, 3], { type: 'array', elementType: 'integer', containsNull: true })).toBe(-1)
    expect(compareValues(-0, 0, 'double')).toBe(0)
  })
})

describe('toRowValue', () => {
  it('converts to the public row shapes', () => {
    expect(toRowValue(5n, 'long')).toBe(5n)
    expect(toRowValue(1230n, 'decimal(10,2)')).toBe('12.30')
    expect(toRowValue(-5n, 'decimal(10,3)')).toBe('-0.005')
    expect(toRowValue(1, 'date')).toEqual(new Date('1970-01-02T00:00:00Z'))
    expect(toRowValue(1_500_999n, 'timestamp')).toEqual(new Date(1500))
    expect(toRowValue(-1n, 'timestamp_ntz')).toEqual(new Date(-1))
    expect(toRowValue(null, 'string')).toBe(null)
    const t: DataType = {
      type: 'struct',
      fields: [
        { name: 'when', type: 'date', nullable: true, metadata: {} },
        { name: 'tags', type: { type: 'map', keyType: 'string', valueType: 'decimal(3,1)', valueContainsNull: true }, nullable: true, metadata: {} },
        { name: 'list', type: { type: 'array', elementType: 'timestamp', containsNull: true }, nullable: true, metadata: {} },
      ],
    }
    expect(toRowValue({ when: 0, tags: new Map([['a', 15n]]), list: [0n, null] }, t)).toEqual({
      when: new Date(0), tags: new Map([['a', '1.5']]), list: [new Date(0), null],
    })
  })
})

describe('fromRowValue', () => {
  it('accepts values of the right kind and coerces them', () => {
    expect(fromRowValue(5, 'long', ctx)).toBe(5n)
    expect(fromRowValue(5n, 'integer', ctx)).toBe(5)
    expect(fromRowValue('12.3', 'decimal(10,2)', ctx)).toBe(1230n)
    expect(fromRowValue(12.25, 'decimal(10,2)', ctx)).toBe(1225n)
    expect(fromRowValue(7n, 'decimal(10,2)', ctx)).toBe(700n)
    expect(fromRowValue(0.1, 'float', ctx)).toBe(Math.fround(0.1))
    expect(fromRowValue(new Date('2021-01-02T23:00:00Z'), 'date', ctx)).toBe(18629)
    expect(fromRowValue('2021-01-02', 'date', ctx)).toBe(18629)
    expect(fromRowValue('2021-01-02T00:00:01.5+01:00', 'timestamp', ctx)).toBe(1609542001500000n)
    expect(fromRowValue(new Date(1500), 'timestamp', ctx)).toBe(1_500_000n)
    expect(fromRowValue(1500, 'timestamp', ctx)).toBe(1_500_000n)
    expect(fromRowValue(7n, 'timestamp', ctx)).toBe(7n)
    // microseconds live in a 64-bit long: beyond it a value is refused, not wrapped
    expect(() => fromRowValue(2n ** 63n, 'timestamp', ctx)).toThrow(SchemaMismatchError)
    expect(() => fromRowValue(1e16, 'timestamp_ntz', ctx)).toThrow(/out of range/)
    expect(fromRowValue(new Uint8Array([1]), 'binary', ctx)).toEqual(new Uint8Array([1]))
    expect(fromRowValue(undefined, 'string', ctx)).toBe(null)
    expect(fromRowValue({ a: 1 }, { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }, ctx)).toEqual(new Map([['a', 1n]]))
    expect(fromRowValue({ A: 1 }, { type: 'struct', fields: [{ name: 'a', type: 'long', nullable: true, metadata: {} }, { name: 'b', type: 'string', nullable: true, metadata: {} }] }, ctx)).toEqual({ a: 1n, b: null })
  })

  it('rejects mismatches with SchemaMismatchError naming column and row', () => {
    const bad: [unknown, DataType][] = [
      ['5', 'integer'], [1.5, 'integer'], [2 ** 31, 'integer'], [2 ** 60, 'long'], [2n ** 63n, 'long'], ['x', 'decimal(5,2)'],
      ['1.234', 'decimal(5,2)'], ['12345', 'decimal(5,2)'], [1, 'string'], ['true', 'boolean'], ['2021-13-01', 'date'],
      [new Date(NaN), 'timestamp'], ['x', 'binary'], [[1], { type: 'struct', fields: [] }], ['a', { type: 'array', elementType: 'integer', containsNull: true }],
    ]
    for (const [input, type] of bad) {
      let err: unknown
      try { fromRowValue(input, type, ctx) } catch (e) { err = e }
      expect(err, `${String(input)} as ${JSON.stringify(type)}`).toBeInstanceOf(SchemaMismatchError)
      expect((err as Error).message).toMatch(/column c at row 3/)
    }
    expect(() => fromRowValue({ zz: 1 }, { type: 'struct', fields: [] }, ctx)).toThrow(/unknown field c\.zz/)
  })

  it('enforces nested nullability', () => {
    const st: DataType = { type: 'struct', fields: [{ name: 'a', type: 'long', nullable: false, metadata: {} }] }
    expect(() => fromRowValue({}, st, ctx)).toThrow(ConstraintViolationError)
    expect(() => fromRowValue([null], { type: 'array', elementType: 'long', containsNull: false }, ctx)).toThrow(ConstraintViolationError)
  })
})
