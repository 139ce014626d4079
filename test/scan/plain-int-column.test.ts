// The direct INT64/INT32 column reader MERGE's key read uses (src/scan/plain-int-column.ts), against
// hyparquet's general decoder as the oracle: files from our writer (data page V1, required and
// optional, several row groups and pages) and from hyparquet-writer (data page V2, small pages),
// snappy and uncompressed. What it does not take (nulls, dictionaries, other codecs) gives undefined.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { readPlainIntColumn } from '../../src/scan/plain-int-column.js'
import { guardPages } from '../../src/scan/page-guard.js'
import { allDecompressors } from '../../src/scan/decompressors.js'
import { asyncBufferFromBytes } from '../../src/storage/async-buffer.js'
import { writeParquet } from '../../src/write/parquet-write.js'
import { loadCompressor, type ParquetCodec } from '../../src/write/codec.js'

type Ty = 'INT64' | 'INT32'

/** The direct read of column `name` (undefined: not plain) and hyparquet's read of it. */
async function both(bytes: Uint8Array, name: string, type: Ty) {
  const metadata = parquetMetadata(bytes.slice().buffer as ArrayBuffer)
  const el = metadata.schema.find((e) => e.name === name)!
  const file = asyncBufferFromBytes(bytes)
  const direct = await readPlainIntColumn(guardPages(file, metadata), metadata, name, type, el.repetition_type !== 'REQUIRED')
  const rows = await parquetReadObjects({ file, columns: [name], compressors: await allDecompressors() })
  return { direct, oracle: rows.map((r) => r[name] as bigint | number | null) }
}

function ours(values: Array<bigint | number | null>, type: Ty, nullable: boolean, codec: ParquetCodec, rowGroupSize: number): Uint8Array {
  const field = { name: 'k', type: type === 'INT64' ? 'long' as const : 'integer' as const, nullable, metadata: {} }
  return writeParquet([{ field, values }], values.length, { codec, rowGroupSize })
}

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
const int32 = fc.integer()

describe('readPlainIntColumn', () => {
  it('reads our writer\'s files (V1 pages, required and optional, several row groups) as hyparquet does', async () => {
    for (const type of ['INT64', 'INT32'] as const) {
      const value: fc.Arbitrary<bigint | number> = type === 'INT64' ? int64 : int32
      await fc.assert(fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 300 }), fc.boolean(), fc.constantFrom<ParquetCodec>('SNAPPY', 'UNCOMPRESSED'), fc.integer({ min: 1, max: 400 }), async (values, nullable, codec, rowGroupSize) => {
        const { direct, oracle } = await both(ours(values, type, nullable, codec, rowGroupSize), 'k', type)
        expect(direct).toBeInstanceOf(type === 'INT64' ? BigInt64Array : Int32Array)
        expect([...direct!]).toEqual(oracle)
      }), { numRuns: 60 })
    }
  })

  it('reads several 1 MiB pages of a chunk (300,000 ids) as hyparquet does', async () => {
    const n = 300_000
    const ids = BigInt64Array.from({ length: n }, (_, i) => BigInt(i * 3) - 7n)
    for (const nullable of [false, true]) {
      const { direct, oracle } = await both(ours(Array.from(ids), 'INT64', nullable, 'SNAPPY', n), 'k', 'INT64')
      expect(direct!.length).toBe(n)
      expect(Buffer.compare(new Uint8Array(direct!.buffer), new Uint8Array(BigInt64Array.from(oracle as bigint[]).buffer))).toBe(0)
    }
  })

  it('reads hyparquet-writer\'s files (V2 pages, small pages, several row groups) as hyparquet does', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(int64, { minLength: 1, maxLength: 400 }), fc.boolean(), fc.constantFrom('SNAPPY', 'UNCOMPRESSED'), fc.integer({ min: 1, max: 500 }), fc.integer({ min: 8, max: 2000 }),
      async (values, nullable, codec, rowGroupSize, pageSize) => {
        const bytes = new Uint8Array(parquetWriteBuffer({
          columnData: [{ name: 'k', data: values, type: 'INT64', nullable, encoding: 'PLAIN' }, { name: 'other', data: values.map((v) => String(v)), type: 'STRING' }],
          codec: codec as 'SNAPPY', rowGroupSize, pageSize,
        }))
        const { direct, oracle } = await both(bytes, 'k', 'INT64')
        expect(direct).toBeInstanceOf(BigInt64Array)
        expect([...direct!]).toEqual(oracle)
      }), { numRuns: 80 })
  })

  it('gives undefined for a column with nulls, a dictionary or another codec (the caller then reads it generally)', async () => {
    // nulls in V1 (ours) and V2 (hyparquet-writer)
    expect((await both(ours([1n, null, 3n], 'INT64', true, 'SNAPPY', 10), 'k', 'INT64')).direct).toBeUndefined()
    const v2 = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'k', data: [1n, null, 3n], type: 'INT64', nullable: true, encoding: 'PLAIN' }] }))
    expect((await both(v2, 'k', 'INT64')).direct).toBeUndefined()
    // a dictionary-encoded column
    const dict = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'k', data: Array.from({ length: 1000 }, (_, i) => BigInt(i % 3)), type: 'INT64', encoding: 'RLE_DICTIONARY' }] }))
    const md = parquetMetadata(dict.slice().buffer as ArrayBuffer)
    expect(md.row_groups[0].columns[0].meta_data!.dictionary_page_offset).toBeDefined()
    expect((await both(dict, 'k', 'INT64')).direct).toBeUndefined()
    // gzip
    await loadCompressor('GZIP')
    expect((await both(ours([1n, 2n], 'INT64', false, 'GZIP', 10), 'k', 'INT64')).direct).toBeUndefined()
    // a column of another physical type than asked
    expect((await both(ours([1, 2], 'INT32', false, 'SNAPPY', 10), 'k', 'INT64')).direct).toBeUndefined()
  })

  it('throws a plain Error on a damaged page (the caller wraps it with file and column)', async () => {
    const bytes = ours(Array.from({ length: 1000 }, (_, i) => BigInt(i)), 'INT64', false, 'SNAPPY', 1000)
    const metadata = parquetMetadata(bytes.slice().buffer as ArrayBuffer)
    const start = Number(metadata.row_groups[0].columns[0].meta_data!.data_page_offset)
    let threw = 0
    for (let at = start + 12; at < start + 200; at += 5) {
      const bad = bytes.slice()
      bad[at] ^= 0x5a
      try {
        const got = await readPlainIntColumn(guardPages(asyncBufferFromBytes(bad), metadata), metadata, 'k', 'INT64', false)
        // a flipped literal byte still decodes: a different value, never a different length
        if (got) expect(got.length).toBe(1000)
      } catch (e) {
        expect(e).toBeInstanceOf(Error)
        threw++
      }
    }
    expect(threw).toBeGreaterThan(0)
  })
})
