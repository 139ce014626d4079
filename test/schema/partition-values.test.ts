import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { CorruptLogError } from '../../src/errors.js'
import { parseSchema, type PrimitiveType } from '../../src/schema/types.js'
import { compareValues, type DeltaValue } from '../../src/schema/values.js'
import {
  escapePartitionPathSegment, javaFloatingString, parsePartitionValue, parsePartitionValues, partitionDirectory,
  serializePartitionValue, unescapePartitionPathSegment,
} from '../../src/schema/partition-values.js'

const CORPUS = join(__dirname, '../../../shared/conformance/tables')

const arbByType: [PrimitiveType, fc.Arbitrary<DeltaValue>][] = [
  ['string', fc.string({ unit: 'binary', minLength: 1 })],
  ['byte', fc.integer({ min: -128, max: 127 })],
  ['short', fc.integer({ min: -32768, max: 32767 })],
  ['integer', fc.integer()],
  ['long', fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })],
  ['float', fc.float().map(Math.fround)],
  ['double', fc.double()],
  ['boolean', fc.boolean()],
  ['date', fc.integer({ min: -719162, max: 2932896 })], // years 1..9999
  ['timestamp', fc.bigInt({ min: -62135596800000000n, max: 253402300799999999n })],
  ['timestamp_ntz', fc.bigInt({ min: -62135596800000000n, max: 253402300799999999n })],
  ['decimal(38,10)', fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n })],
  ['decimal(5,0)', fc.bigInt({ min: -99999n, max: 99999n })],
  ['binary', fc.string({ unit: 'grapheme', minLength: 1 }).map((s) => new TextEncoder().encode(s))],
]

describe('partition values', () => {
  for (const [type, arb] of arbByType) {
    it(`round-trips ${type} through serialize → parse`, () => {
      fc.assert(fc.property(arb, (v) => {
        const text = serializePartitionValue(v, type)
        expect(typeof text).toBe('string')
        const back = parsePartitionValue(text, type)
        expect(compareValues(back, v, type), `${String(v)} → ${text}`).toBe(0)
        if (type === 'double' || type === 'float') expect(Object.is(back, v) || Number.isNaN(v as number)).toBe(true)
      }), { numRuns: 200 })
    })
  }

  it('reads null and empty values as null for every type', () => {
    for (const [type] of arbByType) {
      expect(parsePartitionValue(null, type)).toBe(null)
      expect(parsePartitionValue(undefined, type)).toBe(null)
      expect(parsePartitionValue('', type)).toBe(null)
      expect(serializePartitionValue(null, type)).toBe(null)
    }
  })

  it('reads both timestamp forms and writes ISO-8601 UTC', () => {
    expect(parsePartitionValue('1970-01-01 00:00:00', 'timestamp')).toBe(0n)
    expect(parsePartitionValue('1970-01-01 00:00:00.123456', 'timestamp')).toBe(123456n)
    expect(parsePartitionValue('2020-01-01 08:09:10.001', 'timestamp')).toBe(1577866150001000n)
    expect(parsePartitionValue('1970-01-01T00:00:00.123456Z', 'timestamp')).toBe(123456n)
    expect(parsePartitionValue('1970-01-01T02:00:00+02:00', 'timestamp')).toBe(0n)
    expect(parsePartitionValue('1971-07-22T03:06:40.000000Z', 'timestamp')).toBe(49000000000000n)
    expect(serializePartitionValue(123456n, 'timestamp')).toBe('1970-01-01T00:00:00.123456Z')
    expect(serializePartitionValue(-1n, 'timestamp')).toBe('1969-12-31T23:59:59.999999Z')
    expect(serializePartitionValue(0n, 'timestamp_ntz')).toBe('1970-01-01 00:00:00')
    expect(serializePartitionValue(1500n, 'timestamp_ntz')).toBe('1970-01-01 00:00:00.0015')
    expect(serializePartitionValue(1609459200123456n, 'timestamp_ntz')).toBe('2021-01-01 00:00:00.123456')
  })

  it('writes numbers as Java does and reads Java BigDecimal text', () => {
    expect(javaFloatingString(1, 'double')).toBe('1.0')
    expect(javaFloatingString(0.001, 'double')).toBe('0.001')
    expect(javaFloatingString(1e7, 'double')).toBe('1.0E7')
    expect(javaFloatingString(1.5e-5, 'double')).toBe('1.5E-5')
    expect(javaFloatingString(Math.fround(0.1), 'float')).toBe('0.1')
    expect(javaFloatingString(NaN, 'double')).toBe('NaN')
    expect(javaFloatingString(-Infinity, 'float')).toBe('-Infinity')
    expect(parsePartitionValue('1E+3', 'decimal(10,2)')).toBe(100000n)
    expect(parsePartitionValue('0E-10', 'decimal(10,2)')).toBe(0n)
    expect(parsePartitionValue('1.50', 'decimal(3,1)')).toBe(15n)
    expect(serializePartitionValue(15n, 'decimal(3,1)')).toBe('1.5')
    expect(serializePartitionValue(-5n, 'decimal(5,3)')).toBe('-0.005')
  })

  it('rejects malformed values with a typed error naming the column', () => {
    const bad: [string, PrimitiveType][] = [['x', 'integer'], ['2147483648', 'integer'], ['1.5', 'long'], ['maybe', 'boolean'],
      ['2021-02-30', 'date'], ['yesterday', 'timestamp'], ['1.234', 'decimal(5,2)'], ['123456', 'decimal(5,2)'], ['abc', 'double']]
    for (const [raw, type] of bad) {
      expect(() => parsePartitionValue(raw, type, { column: 'c' }), `${raw} as ${type}`).toThrow(CorruptLogError)
    }
    expect(() => parsePartitionValue('x', 'integer', { column: 'year', file: 'f.parquet' })).toThrow(/column year.*f\.parquet/)
  })

  it('escapes directory names as Spark does and unescapes them', () => {
    expect(escapePartitionPathSegment('A/A')).toBe('A%2FA')
    expect(escapePartitionPathSegment('2021-09-08 11:11:11')).toBe('2021-09-08 11%3A11%3A11')
    expect(escapePartitionPathSegment('a=b%c#d?e*f"g\'h\\i{j[k]l^m\u0001n\u007f')).toBe('a%3Db%25c%23d%3Fe%2Af%22g%27h%5Ci%7Bj%5Bk%5Dl%5Em%01n%7F')
    expect(escapePartitionPathSegment('plain é ü')).toBe('plain é ü')
    expect(unescapePartitionPathSegment('B%20B')).toBe('B B')
    expect(unescapePartitionPathSegment('bar+%21')).toBe('bar+!')
    expect(unescapePartitionPathSegment('50%')).toBe('50%')
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
      const e = escapePartitionPathSegment(s)
      expect(e).not.toMatch(/[/:=]/)
      expect(unescapePartitionPathSegment(e)).toBe(s)
    }))
    expect(partitionDirectory(['a', 'b', 'c'], { a: '1', b: null, c: '' })).toBe('a=1/b=__HIVE_DEFAULT_PARTITION__/c=__HIVE_DEFAULT_PARTITION__')
  })

  it('parses every partition value of the corpus tables by their column types', () => {
    const tables = ['golden__data-reader-partition-values', 'deltars__delta-2.2.0-partitioned-types', 'kernelrs__timestamp-partitioned-table',
      'deltars__partition-type-primitives', 'deltars__delta-0.8.0-special-partition', 'delta__data-reader-partition-values-column-mapping-name']
    const seen: Record<string, DeltaValue>[] = []
    for (const t of tables) {
      const log = join(CORPUS, t, 'delta/_delta_log')
      let meta: { schemaString: string; partitionColumns: string[]; configuration: Record<string, string> } | undefined
      for (const f of readdirSync(log).filter((n) => n.endsWith('.json')).sort()) {
        for (const line of readFileSync(join(log, f), 'utf8').split('\n').filter(Boolean)) {
          const a = JSON.parse(line)
          if (a.metaData) meta = a.metaData
          if (a.add) {
            const schema = parseSchema(meta!.schemaString)
            const mode = meta!.configuration?.['delta.columnMapping.mode'] === 'name' ? 'name' : 'none'
            seen.push(parsePartitionValues(a.add.partitionValues, schema, meta!.partitionColumns, mode))
          }
        }
      }
    }
    const golden = seen.find((v) => v.as_int === 1)!
    expect(golden).toMatchObject({ as_long: 1n, as_byte: 1, as_boolean: false, as_float: 1, as_date: 18878, as_timestamp: 1631099471000000n, as_string_lit_null: 'null', as_big_decimal: 1n })
    expect(seen.some((v) => v.as_int === null && v.as_timestamp === null)).toBe(true)
    expect(seen.some((v) => v.time === 49000000000000n)).toBe(true)
    expect(seen.some((v) => v.x === 'A/A')).toBe(true)
    expect(seen.some((v) => v.year === '2021.0')).toBe(true)
    // column mapping: keys in the log are physical names, the result uses logical ones
    expect(seen.some((v) => 'as_int' in v && typeof v.as_timestamp === 'bigint' && v.as_long === 0n)).toBe(true)
  })
})
