import { describe, expect, it } from 'vitest'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { decimalBytes, parquetSchema, writeParquet, type DataColumn } from '../../src/write/parquet-write.js'
import { PARQUET_PARSERS, ParsedDate, ParsedTimestamp } from '../../src/log/stats-parsed.js'
import type { DataType, StructField } from '../../src/schema/types.js'
import type { DeltaValue } from '../../src/schema/values.js'

const field = (name: string, type: DataType, nullable = true, metadata: Record<string, unknown> = {}): StructField => ({ name, type, nullable, metadata })

async function readBack(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  return parquetReadObjects({ file: bytes.slice().buffer, parsers: PARQUET_PARSERS, utf8: false }) as Promise<Record<string, unknown>[]>
}

/** hyparquet's decoded form of a Delta value, to compare with what it reads back. */
function expected(v: DeltaValue, t: DataType): unknown {
  if (v === null) return null
  if (t === 'date') return new ParsedDate(v as number)
  if (t === 'timestamp' || t === 'timestamp_ntz') return new ParsedTimestamp(v as bigint)
  if (typeof t === 'string' && t.startsWith('decimal')) return Number(v as bigint) / 10 ** Number(/,(\d+)/.exec(t)![1])
  if (typeof t === 'string') return v
  if (t.type === 'struct') return Object.fromEntries(t.fields.map((f) => [f.name, expected((v as Record<string, DeltaValue>)[f.name] ?? null, f.type)]))
  if (t.type === 'array') return (v as DeltaValue[]).map((e) => expected(e, t.elementType))
  return Object.fromEntries([...(v as Map<DeltaValue, DeltaValue>)].map(([k, x]) => [k as string, expected(x, t.valueType)]))
}

const utf8 = new TextEncoder()
const columns: DataColumn[] = [
  { field: field('b', 'boolean'), values: [true, false, null] },
  { field: field('i8', 'byte'), values: [-128, 127, null] },
  { field: field('i16', 'short'), values: [-32768, 32767, 0] },
  { field: field('i32', 'integer', false), values: [-2147483648, 2147483647, 0] },
  { field: field('i64', 'long'), values: [-(2n ** 63n), 2n ** 63n - 1n, null] },
  { field: field('f32', 'float'), values: [1.5, -0, null] },
  { field: field('f64', 'double'), values: [Math.PI, Number.MAX_VALUE, null] },
  { field: field('s', 'string'), values: ['héllo', '', null] },
  { field: field('bin', 'binary'), values: [utf8.encode('ab'), new Uint8Array(0), null] },
  { field: field('d', 'date'), values: [0, -719162, 2932896] },
  { field: field('ts', 'timestamp'), values: [0n, 1_767_225_600_123_456n, -1n] },
  { field: field('ntz', 'timestamp_ntz'), values: [1n, null, 253402300799999999n] },
  { field: field('dec5', 'decimal(5,2)'), values: [12345n, -99999n, null] },
  { field: field('dec18', 'decimal(18,3)'), values: [123456789012345678n, -1n, 0n] },
  { field: field('dec38', 'decimal(38,10)'), values: [10n ** 37n, -(10n ** 20n), null] },
  { field: field('st', { type: 'struct', fields: [field('x', 'long'), field('y', 'string')] }), values: [{ x: 1n, y: 'a' }, null, { x: null, y: 'c' }] },
  { field: field('arr', { type: 'array', elementType: 'integer', containsNull: true }), values: [[1, null, 3], [], null] },
  { field: field('m', { type: 'map', keyType: 'string', valueType: 'double', valueContainsNull: true }), values: [new Map<DeltaValue, DeltaValue>([['a', 1.5], ['b', null]]), new Map(), null] },
  {
    field: field('deep', { type: 'array', elementType: { type: 'struct', fields: [field('k', 'string'), field('v', { type: 'array', elementType: 'long', containsNull: false })] }, containsNull: true }),
    values: [[{ k: 'a', v: [1n, 2n] }, null], null, [{ k: null, v: [] }]],
  },
]

describe('writeParquet', () => {
  it('round-trips every primitive and nested type through a Parquet reader', async () => {
    const bytes = writeParquet(columns, 3)
    const rows = await readBack(bytes)
    expect(rows).toHaveLength(3)
    for (const c of columns) {
      for (let i = 0; i < 3; i++) {
        const got = rows[i][c.field.name]
        const want = expected(c.values[i], c.field.type)
        if (c.field.type === 'float' && typeof want === 'number') expect(got).toBeCloseTo(want)
        else expect(got, `${c.field.name}[${i}]`).toEqual(want)
      }
    }
  })

  it('annotates types as Spark does: timestamps MICROS (UTC or not), decimals by precision, small ints', () => {
    const md = parquetMetadata(writeParquet(columns, 3).slice().buffer)
    const el = (name: string) => md.schema.find((e) => e.name === name)!
    expect(el('ts').logical_type).toEqual({ type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' })
    expect(el('ts').converted_type).toBe('TIMESTAMP_MICROS')
    expect(el('ntz').logical_type).toEqual({ type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' })
    expect(el('ntz').converted_type).toBeUndefined()
    expect(el('dec5').type).toBe('INT32')
    expect(el('dec18').type).toBe('INT64')
    expect(el('dec38')).toMatchObject({ type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, precision: 38, scale: 10 })
    expect(el('i8')).toMatchObject({ type: 'INT32', converted_type: 'INT_8' })
    expect(el('d')).toMatchObject({ type: 'INT32', converted_type: 'DATE' })
    expect(el('i32').repetition_type).toBe('REQUIRED')
    expect(el('arr').converted_type).toBe('LIST')
    expect(el('m').converted_type).toBe('MAP')
  })

  it('writes physical names and field ids under column mapping', async () => {
    const meta = (id: number, phys: string) => ({ 'delta.columnMapping.id': id, 'delta.columnMapping.physicalName': phys })
    const cols: DataColumn[] = [
      { field: field('Name', 'string', true, meta(1, 'col-1')), values: ['x', null] },
      { field: field('s', { type: 'struct', fields: [field('inner', 'integer', true, meta(3, 'col-3'))] }, true, meta(2, 'col-2')), values: [{ inner: 7 }, { inner: null }] },
    ]
    const bytes = writeParquet(cols, 2, { mode: 'name' })
    const md = parquetMetadata(bytes.slice().buffer)
    expect(md.schema.map((e) => [e.name, e.field_id])).toEqual([['root', undefined], ['col-1', 1], ['col-2', 2], ['col-3', 3]])
    expect(await readBack(bytes)).toEqual([{ 'col-1': 'x', 'col-2': { 'col-3': 7 } }, { 'col-1': null, 'col-2': { 'col-3': null } }])
  })

  it('large string columns (repetitive and unique) round-trip', async () => {
    const n = 5000
    const cat = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : ['a', 'b', 'ç'][i % 3]))
    const uniq = Array.from({ length: n }, (_, i) => `row-${i}-${'é'.repeat(i % 5)}`)
    const bytes = writeParquet([{ field: field('cat', 'string'), values: cat }, { field: field('u', 'string'), values: uniq }], n, { rowGroupSize: 1000 })
    const rows = await readBack(bytes)
    expect(rows.map((r) => r.cat)).toEqual(cat)
    expect(rows.map((r) => r.u)).toEqual(uniq)
    expect(parquetMetadata(bytes.slice().buffer).row_groups).toHaveLength(5)
  })

  it('skips void columns and knows decimal widths', () => {
    expect(parquetSchema([field('v', 'void'), field('a', 'long')]).map((e) => e.name)).toEqual(['root', 'a'])
    expect([1, 2, 3, 9, 10, 18, 19, 38].map(decimalBytes)).toEqual([1, 1, 2, 4, 5, 8, 9, 16])
  })
})
