import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { normalizeInput } from '../../src/write/input.js'
import { normalizeSource } from '../../src/dml/source.js'
import type { StructType } from '../../src/schema/types.js'
import { refFromObjects, refSourceSchema } from './objects-reference.js'

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'a', type: 'long', nullable: true, metadata: {} },
    { name: 'b', type: 'string', nullable: false, metadata: {} },
    { name: 'c', type: 'timestamp', nullable: true, metadata: {} },
    { name: 'd', type: 'double', nullable: true, metadata: {} },
    { name: 'e', type: 'integer', nullable: true, metadata: {} },
  ],
}

const value = fc.oneof(
  fc.constantFrom(undefined, null, 1, -7, -0, 1.5, 2 ** 31, -(2 ** 31), 2 ** 40, 3n, 2n ** 70n, 'x', '12', true, new Date(5), new Date(NaN), [1], { y: 1 }),
  fc.integer(), fc.double({ noNaN: true }), fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }), fc.string({ maxLength: 3 }),
)
const key = fc.constantFrom('a', 'A', 'b', 'c', 'C', 'd', 'e', 'x', 'y')
const proto = { b: 'inherited' }
/** Rows of varied shapes: plain objects, objects with an enumerable inherited key or a hidden one, and the odd non-object. */
const row = fc.oneof(
  { weight: 12, arbitrary: fc.array(fc.tuple(key, value), { maxLength: 6 }).map((kv) => Object.fromEntries(kv)) },
  { weight: 2, arbitrary: fc.array(fc.tuple(key, value), { maxLength: 4 }).map((kv) => Object.assign(Object.create(proto), Object.fromEntries(kv))) },
  { weight: 1, arbitrary: fc.tuple(key, value, key, value).map(([k, v, h, w]) => Object.defineProperty({ [k]: v }, h, { value: w, enumerable: false })) },
  { weight: 1, arbitrary: fc.constantFrom(null, 5, 'row', [1, 2]) },
)

/** The outcome as plain data: columns as arrays, or the error's class and message. */
function outcome(f: () => { numRows: number; columns: Map<string, ArrayLike<unknown>>; schema: StructType }): unknown {
  try {
    const b = f()
    return { numRows: b.numRows, schema: b.schema, columns: [...b.columns].map(([k, v]) => [k, Array.from(v)]) }
  } catch (e) {
    return { error: (e as Error).constructor.name, message: (e as Error).message }
  }
}

describe('plain-object input read in one pass', () => {
  it('equals the column-by-column reference: values, schema, new columns and the first error', () => {
    fc.assert(fc.property(fc.array(row, { maxLength: 12 }), fc.boolean(), (rows, mergeSchema) => {
      const data = rows as Array<Record<string, unknown>>
      expect(outcome(() => normalizeInput(data, schema, { mergeSchema, table: 't' }))).toEqual(outcome(() => refFromObjects(data, schema, { mergeSchema, table: 't' })))
    }), { numRuns: 2000 })
  })

  it('a MERGE source equals the reference schema read with the reference reader', () => {
    fc.assert(fc.property(fc.array(row, { maxLength: 12 }), (rows) => {
      const data = rows as Array<Record<string, unknown>>
      expect(outcome(() => normalizeSource(data, schema, 't'))).toEqual(outcome(() => {
        const s = refSourceSchema(data, schema, 't')
        return refFromObjects(data, s, { table: 't' })
      }))
    }), { numRuns: 2000 })
  })

  it('typed columns stay typed until their first null, then hold every value in place', () => {
    const rows = [{ a: 1n, b: 'p', c: new Date(1), d: 0.5 }, { a: 2n, b: 'q', d: null }, { A: null, b: 'r', c: new Date(3) }]
    const got = normalizeInput(rows, schema)
    expect(Array.from(got.columns.get('a')!)).toEqual([1n, 2n, null])
    expect(Array.from(got.columns.get('c')!)).toEqual([1000n, null, 3000n])
    expect(Array.from(got.columns.get('d')!)).toEqual([0.5, null, null])
  })

  it('new columns come in the order of their first defined value, as the reference', () => {
    const rows = [{ b: 'p', x: undefined, y: 1 }, { b: 'q', x: 'z' }]
    expect(normalizeInput(rows, schema, { mergeSchema: true }).newFields.map((f) => f.name)).toEqual(['y', 'x'])
    expect(refFromObjects(rows, schema, { mergeSchema: true }).newFields.map((f) => f.name)).toEqual(['y', 'x'])
    expect(() => normalizeInput(rows, schema)).toThrow(/column y \(row 0\)/)
  })
})
