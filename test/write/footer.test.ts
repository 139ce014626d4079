// Our Thrift compact footer and page headers (src/write/footer.ts) against hyparquet-writer's own
// serializer, byte for byte, over random flat schemas, row groups and statistics: the oracle is an
// independent implementation of the same parquet.thrift structures.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ByteWriter } from 'hyparquet-writer'
import { writeMetadata } from 'hyparquet-writer/src/metadata.js'
import { writePageHeader as theirPageHeader } from 'hyparquet-writer/src/datapage.js'
import { parquetMetadata } from 'hyparquet'
import { writeFooter, writePageHeader, type PageHeader } from '../../src/write/footer.js'
import { ByteBuffer } from '../../src/write/thrift-compact.js'
import { parquetSchema, writeParquet, type SchemaElement } from '../../src/write/parquet-write.js'
import type { DataType, StructField } from '../../src/schema/types.js'

const FLAT_TYPES: DataType[] = ['boolean', 'byte', 'short', 'integer', 'long', 'float', 'double', 'string', 'binary', 'date', 'timestamp', 'timestamp_ntz', 'decimal(5,2)', 'decimal(18,3)', 'decimal(30,4)']

/** A statistic of the element's physical type, as our page encoder keeps it (decimals: unscaled bigints). */
function statArb(e: SchemaElement): fc.Arbitrary<number | bigint | boolean> | undefined {
  if (e.converted_type === 'DECIMAL' && e.type === 'INT32') return fc.bigInt({ min: -(2n ** 31n), max: 2n ** 31n - 1n })
  switch (e.type) {
    case 'BOOLEAN': return fc.boolean()
    case 'INT32': return fc.integer()
    case 'INT64': return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
    case 'FLOAT': return fc.float({ noNaN: true }).map(Math.fround)
    case 'DOUBLE': return fc.double({ noNaN: true })
    default: return undefined // byte arrays carry no footer statistics
  }
}

const fieldsArb = fc.uniqueArray(fc.record({
  name: fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }),
  type: fc.constantFrom(...FLAT_TYPES),
  nullable: fc.boolean(),
  id: fc.integer({ min: 1, max: 100_000 }),
}), { minLength: 1, maxLength: 20, selector: (f) => f.name })

const caseArb = fc.tuple(fieldsArb, fc.constantFrom<'none' | 'name'>('none', 'name')).chain(([raw, mode]) => {
  const fields: StructField[] = raw.map((f, i) => ({ name: f.name, type: f.type, nullable: f.nullable, metadata: { 'delta.columnMapping.id': f.id, 'delta.columnMapping.physicalName': `col-${i}-${f.id}` } }))
  const schema = parquetSchema(fields, mode)
  const leaves = schema.slice(1)
  const chunkArb = (e: SchemaElement) => fc.record({
    offset: fc.bigInt({ min: 4n, max: 2n ** 40n }),
    numValues: fc.bigInt({ min: 0n, max: 2n ** 33n }),
    sizes: fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 40n }), fc.bigInt({ min: 0n, max: 2n ** 40n })),
    dict: fc.option(fc.bigInt({ min: 4n, max: 2n ** 40n }), { nil: undefined }),
    codec: fc.constantFrom('UNCOMPRESSED', 'SNAPPY', 'GZIP'),
    stats: statArb(e) ? fc.option(fc.record({ min_value: statArb(e)!, max_value: statArb(e)!, null_count: fc.bigInt({ min: 0n, max: 2n ** 40n }) }), { nil: undefined }) : fc.constant(undefined),
    pages: fc.integer({ min: 1, max: 5000 }),
  }).map((c) => ({
    file_offset: c.offset,
    meta_data: {
      type: e.type!, encodings: c.dict !== undefined ? ['PLAIN', 'RLE', 'RLE_DICTIONARY'] : ['PLAIN', 'RLE'], path_in_schema: [e.name], codec: c.codec,
      num_values: c.numValues, total_uncompressed_size: c.sizes[0], total_compressed_size: c.sizes[1], data_page_offset: c.offset, dictionary_page_offset: c.dict,
      statistics: c.stats,
      encoding_stats: [...(c.dict !== undefined ? [{ page_type: 'DICTIONARY_PAGE', encoding: 'PLAIN', count: 1 }] : []), { page_type: 'DATA_PAGE', encoding: c.dict !== undefined ? 'RLE_DICTIONARY' : 'PLAIN', count: c.pages }],
    },
  }))
  const groupArb = fc.record({
    columns: fc.tuple(...leaves.map(chunkArb)),
    total_byte_size: fc.bigInt({ min: 0n, max: 2n ** 40n }),
    num_rows: fc.bigInt({ min: 0n, max: 2n ** 40n }),
    total_compressed_size: fc.bigInt({ min: 0n, max: 2n ** 40n }),
  })
  return fc.record({
    schema: fc.constant(schema),
    // non-empty lists: hyparquet-writer gives an empty list element type 0, we give the declared one
    rowGroups: fc.array(groupArb, { minLength: 1, maxLength: 20 }),
    numRows: fc.bigInt({ min: 0n, max: 2n ** 50n }),
    kv: fc.option(fc.array(fc.record({ key: fc.string(), value: fc.string() }), { minLength: 1, maxLength: 20 }), { nil: undefined }),
    createdBy: fc.string(),
  })
})

describe('Parquet footer (own Thrift compact writer)', () => {
  it('is byte for byte what hyparquet-writer serialises, over random flat schemas and row groups', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const ours = new ByteBuffer(16)
      writeFooter(ours, { schema: c.schema, numRows: c.numRows, rowGroups: c.rowGroups as never, kvMetadata: c.kv, createdBy: c.createdBy })
      const theirs = new ByteWriter()
      writeMetadata(theirs, { version: 2, created_by: c.createdBy, schema: c.schema, num_rows: c.numRows, row_groups: c.rowGroups, key_value_metadata: c.kv } as never)
      theirs.appendUint32(0x31524150)
      expect(Buffer.from(ours.getBytes()).toString('hex')).toBe(Buffer.from(theirs.getBytes()).toString('hex'))
    }), { numRuns: 300 })
  })

  it('writes page headers as hyparquet-writer does', () => {
    const headerArb: fc.Arbitrary<PageHeader> = fc.oneof(
      fc.record({ n: fc.integer({ min: 0, max: 2 ** 31 - 1 }), enc: fc.constantFrom('PLAIN', 'RLE_DICTIONARY'), u: fc.integer({ min: 0, max: 2 ** 31 - 1 }), c: fc.integer({ min: 0, max: 2 ** 31 - 1 }) })
        .map((h) => ({ type: 'DATA_PAGE' as const, uncompressed_page_size: h.u, compressed_page_size: h.c, data_page_header: { num_values: h.n, encoding: h.enc, definition_level_encoding: 'RLE', repetition_level_encoding: 'RLE' } })),
      fc.record({ n: fc.integer({ min: 0, max: 2 ** 31 - 1 }), u: fc.integer({ min: 0, max: 2 ** 31 - 1 }), c: fc.integer({ min: 0, max: 2 ** 31 - 1 }) })
        .map((h) => ({ type: 'DICTIONARY_PAGE' as const, uncompressed_page_size: h.u, compressed_page_size: h.c, dictionary_page_header: { num_values: h.n, encoding: 'PLAIN' } })),
    )
    fc.assert(fc.property(headerArb, (h) => {
      const ours = new ByteBuffer(16)
      writePageHeader(ours, h)
      const theirs = new ByteWriter()
      theirPageHeader(theirs, h as never)
      expect(Buffer.from(ours.getBytes()).toString('hex')).toBe(Buffer.from(theirs.getBytes()).toString('hex'))
    }), { numRuns: 300 })
  })

  it('a written file reads back with its key-value metadata, row groups and statistics', () => {
    const f = (name: string, type: DataType): StructField => ({ name, type, nullable: true, metadata: {} })
    const n = 2500
    const ids = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : BigInt(i * 3 - 1000)))
    const bytes = writeParquet([{ field: f('id', 'long'), values: ids }, { field: f('s', 'string'), values: ids.map((v) => (v === null ? null : `s${v}`)) }], n, { rowGroupSize: 1000, kvMetadata: [{ key: 'k', value: 'v' }] })
    const md = parquetMetadata(bytes.slice().buffer)
    expect(md.num_rows).toBe(BigInt(n))
    expect(md.key_value_metadata).toEqual([{ key: 'k', value: 'v' }])
    expect(md.row_groups.map((rg) => Number(rg.num_rows))).toEqual([1000, 1000, 500])
    md.row_groups.forEach((rg, g) => {
      const live = ids.slice(g * 1000, g * 1000 + 1000).filter((v): v is bigint => v !== null)
      const s = rg.columns[0].meta_data!.statistics!
      expect([s.min_value, s.max_value, s.null_count]).toEqual([live.reduce((a, b) => (b < a ? b : a)), live.reduce((a, b) => (b > a ? b : a)), BigInt(Math.min(1000, n - g * 1000) - live.length)])
    })
  })
})
