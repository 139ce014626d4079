// The column-wise input fast paths (typed-array copies, direct UTF-8 decoding, timestamps stored as
// 32-bit halves, int64 stats on halves) agree with the value-by-value conversion, including sliced
// Arrow data (whose value buffers Arrow has already sliced) and chunked vectors with nulls.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import * as arrow from 'apache-arrow'
import { normalizeInput, vectorToDelta } from '../../src/write/input.js'
import { fileStatsJson } from '../../src/write/stats.js'
import type { StructType } from '../../src/schema/types.js'

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 's', type: 'string', nullable: true, metadata: {} },
    { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
  ],
}

const long = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
const micros = fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n })

function table(ids: bigint[], strs: (string | null)[], ts: bigint[]): arrow.Table {
  return new arrow.Table({
    id: arrow.makeVector(BigInt64Array.from(ids)),
    s: arrow.vectorFromArray(strs, new arrow.Utf8()),
    ts: arrow.makeVector(arrow.makeData({ type: new arrow.TimestampMicrosecond('UTC'), length: ts.length, data: BigInt64Array.from(ts) })),
  })
}

describe('input fast paths', () => {
  it('sliced and chunked Arrow tables convert to exactly their rows', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(long, fc.option(fc.string({ unit: 'grapheme' })), micros), { minLength: 1, maxLength: 30 }),
      fc.nat(), fc.nat(),
      (rows, a, b) => {
        const start = a % rows.length
        const end = start + (b % (rows.length - start + 1))
        const t = table(rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2]))
        const sliced = t.slice(start, end)
        const chunked = t.slice(0, start).concat(sliced)
        for (const [data, want] of [[sliced, rows.slice(start, end)], [chunked, [...rows.slice(0, start), ...rows.slice(start, end)]]] as const) {
          const batch = normalizeInput(data, schema)
          expect(Array.from(batch.columns.get('id')!)).toEqual(want.map((r) => r[0]))
          expect(Array.from(batch.columns.get('s')!)).toEqual(want.map((r) => r[1]))
          expect(Array.from(batch.columns.get('ts')!)).toEqual(want.map((r) => r[2]))
        }
      },
    ), { numRuns: 200 })
  })

  it('a sliced string vector with nulls keeps its nulls in place', () => {
    const v = arrow.vectorFromArray(['a', null, 'ç', null, 'e'], new arrow.Utf8()).slice(1, 4)
    expect(Array.from(vectorToDelta(v, 'string', 's'))).toEqual([null, 'ç', null])
  })

  it('string vectors decode to their strings: ASCII, astral, a leading U+FEFF, invalid UTF-8 bytes', () => {
    const str = fc.oneof(fc.string({ unit: 'grapheme-ascii' }), fc.string({ unit: 'binary' }), fc.string().map((s) => `\ufeff${s}`))
    fc.assert(fc.property(fc.array(fc.option(str), { minLength: 1, maxLength: 30 }), (strs) => {
      expect(Array.from(vectorToDelta(arrow.vectorFromArray(strs, new arrow.Utf8()), 'string', 's'))).toEqual(strs)
    }), { numRuns: 300 })
    // Bytes that are not UTF-8 are replaced value by value, as a per-value decoder does (model: TextDecoder).
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 6 }), { minLength: 1, maxLength: 12 }), (parts) => {
      const offsets = new Int32Array(parts.length + 1)
      parts.forEach((p, j) => { offsets[j + 1] = offsets[j] + p.length })
      const bytes = new Uint8Array(offsets[parts.length])
      parts.forEach((p, j) => bytes.set(p, offsets[j]))
      const v = arrow.makeVector(arrow.makeData({ type: new arrow.Utf8(), length: parts.length, valueOffsets: offsets, data: bytes }))
      const decoder = new TextDecoder('utf-8', { ignoreBOM: true })
      expect(Array.from(vectorToDelta(v, 'string', 's'))).toEqual(parts.map((p) => decoder.decode(p)))
    }), { numRuns: 300 })
  })

  it('a repetitive string column (shared strings per distinct value) keeps every value and null in place', () => {
    fc.assert(fc.property(fc.array(fc.option(fc.constantFrom('alpha', 'bravo', 'ç', '😀x', '')), { minLength: 1, maxLength: 2000 }), (strs) => {
      expect(Array.from(vectorToDelta(arrow.vectorFromArray(strs, new arrow.Utf8()), 'string', 's'))).toEqual(strs)
    }), { numRuns: 50 })
  })

  it('Dates become the same µs as BigInt arithmetic, beyond the exact-double range too', () => {
    const ms = fc.oneof(fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }), fc.constantFrom(0, -1, 1, 9_007_199_254_740, -9_007_199_254_740, 9_007_199_254_741, -9_007_199_254_741))
    fc.assert(fc.property(fc.array(fc.option(ms, { freq: 8 }), { minLength: 1, maxLength: 40 }), (values) => {
      const rows = values.map((v, i) => ({ id: BigInt(i), ts: v === null ? null : new Date(v) }))
      const got = Array.from(normalizeInput(rows, schema).columns.get('ts')!)
      expect(got).toEqual(values.map((v) => (v === null ? null : BigInt(v) * 1000n)))
    }), { numRuns: 300 })
  })

  it('int64 stats on a typed column equal the bigint min and max', () => {
    fc.assert(fc.property(fc.array(long, { minLength: 1, maxLength: 50 }), (ids) => {
      const fields = [schema.fields[0]]
      const typed = fileStatsJson(fields, new Map([['id', BigInt64Array.from(ids)]]), ids.length, { selected: new Set(['id']) })
      const plain = fileStatsJson(fields, new Map([['id', [...ids]]]), ids.length, { selected: new Set(['id']) })
      expect(typed).toEqual(plain)
    }), { numRuns: 300 })
  })
})
