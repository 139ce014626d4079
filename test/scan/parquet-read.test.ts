import fc from 'fast-check'
import { gzipSync } from 'fflate'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { describe, expect, it } from 'vitest'
import { readDataFile } from '../../src/scan/parquet-read.js'
import type { DataType, StructField } from '../../src/schema/types.js'
import type { DeltaValue } from '../../src/schema/values.js'
import { MemoryStore } from '../../src/storage/memory-store.js'
import { writeParquet } from '../../src/write/parquet-write.js'
import { field } from './fixtures.js'

const types: [DataType, fc.Arbitrary<DeltaValue>][] = [
  ['byte', fc.integer({ min: -128, max: 127 })],
  ['short', fc.integer({ min: -32768, max: 32767 })],
  ['integer', fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })],
  ['long', fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })],
  ['double', fc.double({ noNaN: true })],
  ['decimal(9,2)', fc.bigInt({ min: -(10n ** 9n) + 1n, max: 10n ** 9n - 1n })],
  ['decimal(18,3)', fc.bigInt({ min: -(10n ** 18n) + 1n, max: 10n ** 18n - 1n })],
  ['decimal(38,10)', fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n })],
  ['string', fc.string()],
  ['binary', fc.uint8Array({ maxLength: 8 })],
  ['boolean', fc.boolean()],
  ['date', fc.integer({ min: -100_000, max: 100_000 })],
  ['timestamp', fc.bigInt({ min: -(2n ** 55n), max: 2n ** 55n })],
  ['timestamp_ntz', fc.bigInt({ min: -(2n ** 55n), max: 2n ** 55n })],
  [{ type: 'array', elementType: 'integer', containsNull: true }, fc.array(fc.option(fc.integer(), { nil: null }), { maxLength: 4 })],
  [{ type: 'struct', fields: [field('a', 'long'), field('b', 'string')] }, fc.record({ a: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: null }), b: fc.option(fc.string(), { nil: null }) })],
  // hyparquet assembles maps as plain objects, so a '__proto__' key is lost on read (docs/conformance.md).
  [{ type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }, fc.uniqueArray(fc.tuple(fc.string().filter((k) => k !== '__proto__'), fc.option(fc.bigInt({ min: -100n, max: 100n }), { nil: null })), { selector: (x) => x[0], maxLength: 3 }).map((e) => new Map<DeltaValue, DeltaValue>(e))],
  [{ type: 'map', keyType: 'integer', valueType: 'string', valueContainsNull: true }, fc.uniqueArray(fc.tuple(fc.integer(), fc.option(fc.string(), { nil: null })), { selector: (x) => x[0], maxLength: 3 }).map((e) => new Map<DeltaValue, DeltaValue>(e))],
]

async function roundTrip(fields: StructField[], rows: DeltaValue[][], rowGroupSize = 100) {
  const store = new MemoryStore()
  const bytes = writeParquet(fields.map((f, i) => ({ field: f, values: rows.map((r) => r[i]) })), rows.length, { rowGroupSize })
  await store.put('f.parquet', bytes)
  const out: DeltaValue[][] = []
  for await (const c of readDataFile({ store, key: 'f.parquet', fields, mode: 'none' })) {
    for (let r = 0; r < c.numRows; r++) out.push(c.columns.map((col) => col[r]))
  }
  return out
}

const sortMaps = (v: unknown): unknown => (v instanceof Map ? [...v].sort((a, b) => String(a[0]).localeCompare(String(b[0]))) : v)

describe('readDataFile', () => {
  for (const [type, arb] of types) {
    it(`round-trips ${JSON.stringify(type)} written by the write layer`, async () => {
      const f = field('c', type)
      await fc.assert(fc.asyncProperty(fc.array(fc.option(arb, { nil: null }), { maxLength: 30 }), async (values) => {
        const got = await roundTrip([f], values.map((v) => [v]), 7)
        expect(got.map((r) => sortMaps(r[0]))).toEqual(values.map(sortMaps))
      }), { numRuns: 25 })
    })
  }

  it('reads a column missing from the file as null and skips row groups', async () => {
    const fields = [field('id', 'long'), field('x', 'string')]
    const rows = Array.from({ length: 30 }, (_, i) => [BigInt(i), `v${i}`] as DeltaValue[])
    const store = new MemoryStore()
    await store.put('f.parquet', writeParquet(fields.map((f, i) => ({ field: f, values: rows.map((r) => r[i]) })), 30, { rowGroupSize: 10 }))
    const seen: number[] = []
    for await (const c of readDataFile({
      store, key: 'f.parquet', fields: [fields[0], field('gone', 'integer')], mode: 'none',
      keepRowGroup: (g) => { const s = g.stats('id'); return s !== undefined && (s.max as bigint) >= 15n && (s.min as bigint) <= 15n },
    })) {
      seen.push(c.rowStart)
      expect(c.columns[1].every((v) => v === null)).toBe(true)
    }
    expect(seen).toEqual([10])
  })

  it('reads a legacy 2-level list of one-field structs (repeated group named array)', async () => {
    // physically `optional group a (LIST) { repeated group array { optional int32 x } }`
    const schema = [
      { name: 'root', num_children: 1 },
      { name: 'a', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'array', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'x', type: 'INT32', repetition_type: 'OPTIONAL' },
    ] as Parameters<typeof parquetWriteBuffer>[0]['schema']
    const store = new MemoryStore()
    await store.put('l.parquet', new Uint8Array(parquetWriteBuffer({ schema, columnData: [{ name: 'a', data: [[1, null], null, []] }] })))
    const type: DataType = { type: 'array', elementType: { type: 'struct', fields: [field('x', 'integer')] }, containsNull: false }
    const got: DeltaValue[] = []
    for await (const c of readDataFile({ store, key: 'l.parquet', fields: [field('a', type)], mode: 'none' })) got.push(...c.columns[0])
    expect(got).toEqual([[{ x: 1 }, { x: null }], null, []])
  })

  it('reads gzip-compressed files (zstd is covered by the corpus table deltars__table_with_column_mapping)', async () => {
    const store = new MemoryStore()
    const bytes = parquetWriteBuffer({
      columnData: [{ name: 'x', data: Int32Array.from([1, 2, 3]), type: 'INT32', nullable: false }],
      codec: 'GZIP', compressors: { GZIP: (input: Uint8Array) => gzipSync(input) },
    })
    await store.put('g.parquet', new Uint8Array(bytes))
    const got: DeltaValue[] = []
    for await (const c of readDataFile({ store, key: 'g.parquet', fields: [field('x', 'integer')], mode: 'none' })) got.push(...c.columns[0])
    expect(got).toEqual([1, 2, 3])
  })
})
