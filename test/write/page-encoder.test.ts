// Our page encoder for flat columns (src/write/page-encoder.ts): every primitive type, nulls in runs
// and scattered (the RLE/bit-packed hybrid), dictionary and plain strings, several pages a chunk,
// footer statistics; read back by hyparquet and by DuckDB.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { writeParquet, type DataColumn } from '../../src/write/parquet-write.js'
import { PAGE_SIZE } from '../../src/write/page-encoder.js'
import { readDataFile } from '../../src/scan/parquet-read.js'
import { DeltaTable } from '../../src/index.js'
import { MemoryStore } from '../../src/storage/memory-store.js'
import type { DataType, StructField } from '../../src/schema/types.js'
import type { DeltaValue } from '../../src/schema/values.js'

const field = (name: string, type: DataType, nullable = true): StructField => ({ name, type, nullable, metadata: {} })
const dirs: string[] = []
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

async function readBack(fields: StructField[], bytes: Uint8Array): Promise<DeltaValue[][]> {
  const store = new MemoryStore()
  await store.put('f.parquet', bytes)
  const out: DeltaValue[][] = fields.map(() => [])
  for await (const c of readDataFile({ store, key: 'f.parquet', fields, mode: 'none' })) {
    c.columns.forEach((col, j) => { for (let r = 0; r < c.numRows; r++) out[j].push(col[r]) })
  }
  return out
}

type Duck = { runAndReadAll(sql: string): Promise<{ getRowObjectsJson(): Record<string, unknown>[] }> }

/** An in-memory DuckDB connection, or undefined (with a soft failure) when the package is missing. */
async function duckdb(): Promise<Duck | undefined> {
  try {
    const { DuckDBInstance } = await import('@duckdb/node-api')
    return (await (await DuckDBInstance.create(':memory:')).connect()) as unknown as Duck
  } catch {
    expect.soft(undefined, '@duckdb/node-api is not installed').toBeDefined()
    return undefined
  }
}

/** Values with nulls in long runs and scattered, so both RLE runs and bit-packed groups are written. */
function withNulls<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<Array<T | null>> {
  const run = fc.tuple(fc.oneof(fc.constant(null), arb), fc.integer({ min: 1, max: 40 })).map(([v, n]) => new Array<T | null>(n).fill(v))
  return fc.array(fc.oneof(run, fc.array(fc.option(arb, { nil: null }), { maxLength: 20 })), { maxLength: 30 }).map((parts) => parts.flat())
}

const primitives: Array<[DataType, fc.Arbitrary<DeltaValue>]> = [
  ['boolean', fc.boolean()],
  ['byte', fc.integer({ min: -128, max: 127 })],
  ['integer', fc.integer()],
  ['long', fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })],
  ['float', fc.float({ noNaN: true }).map(Math.fround)],
  ['double', fc.double({ noNaN: true })],
  ['string', fc.string({ unit: 'grapheme' })],
  ['string', fc.constantFrom('SP', 'RJ', 'MG', 'ção')],
  ['binary', fc.uint8Array({ maxLength: 6 })],
  ['date', fc.integer({ min: -719162, max: 2932896 })],
  ['timestamp', fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n })],
  ['decimal(9,2)', fc.bigInt({ min: -(10n ** 9n) + 1n, max: 10n ** 9n - 1n })],
  ['decimal(18,0)', fc.bigInt({ min: -(10n ** 18n) + 1n, max: 10n ** 18n - 1n })],
  ['decimal(30,5)', fc.bigInt({ min: -(10n ** 30n) + 1n, max: 10n ** 30n - 1n })],
]

describe('flat column pages', () => {
  for (const [type, arb] of primitives) {
    it(`round-trips ${type} with nulls in runs and scattered`, async () => {
      const f = field('c', type)
      await fc.assert(fc.asyncProperty(withNulls(arb), fc.integer({ min: 1, max: 200 }), async (values, rowGroupSize) => {
        const [got] = await readBack([f], writeParquet([{ field: f, values }], values.length, { rowGroupSize }))
        expect(got).toEqual(values)
      }), { numRuns: 30 })
    })
  }

  it('splits big chunks into pages and keeps footer statistics right', async () => {
    const n = 300_000
    const fields = [field('id', 'long'), field('x', 'double'), field('s', 'string'), field('cat', 'string')]
    const id: DeltaValue[] = Array.from({ length: n }, (_, i) => (i % 7 === 3 ? null : BigInt(i - 1000)))
    const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 1e6)
    const s: DeltaValue[] = Array.from({ length: n }, (_, i) => (i % 1000 === 0 ? null : `value-${i}-${'é'.repeat(i % 5)}`))
    const cat: DeltaValue[] = Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : ['SP', 'RJ', 'MG'][i % 3]))
    const columns: DataColumn[] = [{ field: fields[0], values: id }, { field: fields[1], values: x }, { field: fields[2], values: s }, { field: fields[3], values: cat }]
    const bytes = writeParquet(columns, n, { rowGroupSize: 200_000 })
    const md = parquetMetadata(bytes.slice().buffer)
    expect(md.row_groups.map((g) => Number(g.num_rows))).toEqual([200_000, 100_000])
    const [idChunk, xChunk, sChunk, catChunk] = md.row_groups[0].columns.map((c) => c.meta_data!)
    // 200k int64 values are 1.6 MB: more than one page.
    expect(Number(idChunk.total_uncompressed_size)).toBeGreaterThan(PAGE_SIZE)
    expect(idChunk.encoding_stats?.find((e) => e.page_type === 'DATA_PAGE')?.count).toBeGreaterThan(1)
    expect(idChunk.statistics?.min_value).toBe(-1000n)
    expect(idChunk.statistics?.max_value).toBe(198_999n)
    expect(idChunk.statistics?.null_count).toBe(BigInt(Math.floor(200_000 / 7) + (200_000 % 7 > 3 ? 1 : 0)))
    let lo = Infinity, hi = -Infinity
    for (let i = 0; i < 200_000; i++) { lo = Math.min(lo, x[i]); hi = Math.max(hi, x[i]) }
    expect([xChunk.statistics?.min_value, xChunk.statistics?.max_value]).toEqual([lo, hi])
    expect(sChunk.encodings).not.toContain('RLE_DICTIONARY')
    expect(catChunk.encodings).toContain('RLE_DICTIONARY')
    const got = await readBack(fields, bytes)
    expect(got[0]).toEqual(id)
    expect(got[1]).toEqual(Array.from(x))
    expect(got[2]).toEqual(s)
    expect(got[3]).toEqual(cat)
  })

  it('footer min/max of a typed int64 column are each row group\'s (model: bigint comparison)', () => {
    const long = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
    fc.assert(fc.property(fc.array(long, { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 120 }), (xs, rowGroupSize) => {
      const md = parquetMetadata(writeParquet([{ field: field('n', 'long', false), values: BigInt64Array.from(xs) }], xs.length, { rowGroupSize }).slice().buffer)
      md.row_groups.forEach((rg, g) => {
        const part = xs.slice(g * rowGroupSize, (g + 1) * rowGroupSize)
        const st = rg.columns[0].meta_data!.statistics!
        expect([st.min_value, st.max_value]).toEqual([part.reduce((a, b) => (b < a ? b : a)), part.reduce((a, b) => (b > a ? b : a))])
      })
    }), { numRuns: 100 })
  })

  it('writes a float column whose zeros are signed as Parquet asks (min -0, max +0)', () => {
    const f = field('z', 'double', false)
    const md = parquetMetadata(writeParquet([{ field: f, values: [0, 0, 0] }], 3).slice().buffer)
    const st = md.row_groups[0].columns[0].meta_data!.statistics!
    expect(Object.is(st.min_value, -0)).toBe(true)
    expect(Object.is(st.max_value, 0)).toBe(true)
  })

  it('names the column when a value does not fit its Parquet type', () => {
    expect(() => writeParquet([{ field: field('n', 'long'), values: [1n, 'two' as unknown as bigint] }], 2)).toThrow(/column n/)
    expect(() => writeParquet([{ field: field('n', 'long'), values: [1n, 2.5 as unknown as bigint] }], 2)).toThrow(/column n/)
    expect(() => writeParquet([{ field: field('i', 'integer'), values: [1, 'x' as unknown as number] }], 2)).toThrow(/column i/)
  })

  it('DuckDB reads flat files with dictionaries, nulls and several pages', async () => {
    const duck = await duckdb()
    if (!duck) return
    const n = 150_000
    const fields = [field('id', 'long'), field('cat', 'string'), field('note', 'string'), field('ok', 'boolean'), field('amount', 'decimal(20,2)'), field('none', 'string')]
    const values: DeltaValue[][] = [
      Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : BigInt(i))),
      Array.from({ length: n }, (_, i) => (i % 13 === 0 ? null : ['a', 'bb', 'ççç'][i % 3])),
      Array.from({ length: n }, (_, i) => `note number ${i} ${'x'.repeat(i % 30)}`),
      Array.from({ length: n }, (_, i) => (i % 17 === 0 ? null : i % 2 === 0)),
      Array.from({ length: n }, (_, i) => (i % 3 === 0 ? null : BigInt(i) * 100_000_000_001n)),
      new Array<DeltaValue>(n).fill(null),
    ]
    const dir = mkdtempSync(join(tmpdir(), 'lagomago-pages-'))
    dirs.push(dir)
    const file = join(dir, 'f.parquet')
    writeFileSync(file, writeParquet(fields.map((f, j) => ({ field: f, values: values[j] })), n))
    const res = await duck.runAndReadAll(`SELECT count(*) AS n, count(id) AS ids, sum(id) AS sid, count(cat) AS cats, sum(length(cat)) AS catlen,
      sum(length(note)) AS notelen, count(ok) AS oks, sum(CASE WHEN ok THEN 1 ELSE 0 END) AS trues, sum(amount)::VARCHAR AS amount, count(none) AS nones FROM read_parquet('${file}')`)
    const row = res.getRowObjectsJson()[0]
    const nonNull = (j: number) => values[j].filter((v) => v !== null)
    expect(Number(row.n)).toBe(n)
    expect(Number(row.ids)).toBe(nonNull(0).length)
    expect(String(row.sid)).toBe(String((nonNull(0) as bigint[]).reduce((a, b) => a + b, 0n)))
    expect(Number(row.cats)).toBe(nonNull(1).length)
    expect(Number(row.catlen)).toBe((nonNull(1) as string[]).reduce((a, s) => a + s.length, 0))
    expect(Number(row.notelen)).toBe((values[2] as string[]).reduce((a, s) => a + s.length, 0))
    expect(Number(row.oks)).toBe(nonNull(3).length)
    expect(Number(row.trues)).toBe(nonNull(3).filter((v) => v === true).length)
    expect(Number(row.nones)).toBe(0)
    const cents = (nonNull(4) as bigint[]).reduce((a, b) => a + b, 0n)
    expect(row.amount).toBe(`${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`)
  })

  it('DuckDB reads pages whose Snappy blocks were stored (random int64s, doubles, timestamps)', async () => {
    const duck = await duckdb()
    if (!duck) return
    const n = 120_000
    let x = 12345
    const next = () => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x }
    const ids = Array.from({ length: n }, (_, i) => BigInt(i))
    const bits = Array.from({ length: n }, () => BigInt.asIntN(64, (BigInt(next()) << 32n) | BigInt(next())))
    const dbl = Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : (next() - 2 ** 31) / 7919 + next() / 2 ** 32))
    const ts = Array.from({ length: n }, () => BigInt(next()) * 1_000_003n)
    const fields = [field('id', 'long', false), field('bits', 'long'), field('dbl', 'double'), field('ts', 'timestamp')]
    const dir = mkdtempSync(join(tmpdir(), 'lagomago-stored-'))
    dirs.push(dir)
    const file = join(dir, 'f.parquet')
    writeFileSync(file, writeParquet([{ field: fields[0], values: BigInt64Array.from(ids) }, { field: fields[1], values: BigInt64Array.from(bits) }, { field: fields[2], values: dbl }, { field: fields[3], values: BigInt64Array.from(ts) }], n))
    const agg = (await duck.runAndReadAll(`SELECT count(*) AS n, sum(bits::HUGEINT)::VARCHAR AS sbits, count(dbl) AS ndbl, sum(epoch_us(ts)::HUGEINT)::VARCHAR AS sts FROM read_parquet('${file}')`)).getRowObjectsJson()[0]
    expect(Number(agg.n)).toBe(n)
    expect(agg.sbits).toBe(String(bits.reduce((a, b) => a + b, 0n)))
    expect(Number(agg.ndbl)).toBe(dbl.filter((v) => v !== null).length)
    expect(agg.sts).toBe(String(ts.reduce((a, b) => a + b, 0n)))
    const sample = (await duck.runAndReadAll(`SELECT id::VARCHAR AS sid, bits::VARCHAR AS bits, dbl, epoch_us(ts)::VARCHAR AS ts FROM read_parquet('${file}') WHERE id % 997 = 0 ORDER BY id`)).getRowObjectsJson()
    expect(sample.map((r) => [r.sid, r.bits, r.dbl === null ? null : Number(r.dbl), r.ts])).toEqual(
      ids.filter((i) => i % 997n === 0n).map((i) => [String(i), String(bits[Number(i)]), dbl[Number(i)], String(ts[Number(i)])]))
  })

  it('writes the codec the table asks for: gzip as .gz.parquet, uncompressed, snappy as the fallback', async () => {
    const schema = { type: 'struct' as const, fields: [field('id', 'long'), field('tags', { type: 'array', elementType: 'string', containsNull: true })] }
    const rows = Array.from({ length: 500 }, (_, i) => ({ id: BigInt(i), tags: i % 4 === 0 ? null : ['a', `t${i % 9}`] }))
    const flat = { type: 'struct' as const, fields: [field('id', 'long'), field('tags', 'string')] }
    const flatRows = rows.map((r) => ({ id: r.id, tags: r.tags?.join(',') ?? null }))
    for (const [codec, suffix, parquetCodec] of [['gzip', '.gz.parquet', 'GZIP'], ['uncompressed', '-c000.parquet', 'UNCOMPRESSED'], ['zstd', '.snappy.parquet', 'SNAPPY']] as const) {
      for (const [s, data] of [[schema, rows], [flat, flatRows]] as const) {
        const dir = mkdtempSync(join(tmpdir(), 'lagomago-codec-'))
        dirs.push(dir)
        const t = await DeltaTable.create(dir, { schema: s, properties: { 'delta.parquet.compression.codec': codec } })
        await t.append(data as Array<Record<string, unknown>>)
        const [file] = await t.files()
        expect(file.path.endsWith(suffix)).toBe(true)
        const md = parquetMetadata(new Uint8Array(readFileSync(join(dir, file.path))).buffer)
        expect(md.row_groups[0].columns.map((c) => c.meta_data?.codec)).toEqual([parquetCodec, parquetCodec])
        expect((await t.toRows()).map((r) => [r.id, r.tags])).toEqual(data.map((r) => [r.id, r.tags]))
      }
    }
  })

  it('footer statistics let DuckDB skip row groups without losing rows (every numeric kind, decimals unscaled)', async () => {
    const duck = await duckdb()
    if (!duck) return
    const n = 40
    const perm = (i: number) => (i * 17) % n // every value once, scattered over the row groups
    const cols: Array<{ f: StructField; v: (k: number) => DeltaValue; sql: (x: DeltaValue) => string }> = [
      { f: field('b8', 'byte'), v: (k) => k - 20, sql: String },
      { f: field('i16', 'short'), v: (k) => k * 300 - 6000, sql: String },
      { f: field('i32', 'integer'), v: (k) => k * 1_000_003 - 7, sql: String },
      { f: field('i64', 'long'), v: (k) => BigInt(k) * 10_000_000_019n - 5n, sql: String },
      { f: field('f32', 'float'), v: (k) => k / 4 - 3, sql: (x) => `${x}::FLOAT` },
      { f: field('f64', 'double'), v: (k) => k / 8 - 2, sql: (x) => `${x}::DOUBLE` },
      { f: field('day', 'date'), v: (k) => 18_000 + k * 3, sql: (x) => `(DATE '1970-01-01' + INTERVAL ${x} DAY)::DATE` },
      { f: field('d9', 'decimal(9,2)'), v: (k) => BigInt(k * 37 + 100), sql: (x) => `${Number(x) / 100}::DECIMAL(9,2)` },
      { f: field('d18', 'decimal(18,3)'), v: (k) => BigInt(k) * 123_456_789n - 1n, sql: (x) => `CAST('${(Number(x) / 1000).toFixed(3)}' AS DECIMAL(18,3))` },
    ]
    const values = cols.map((c) => Array.from({ length: n }, (_, i) => (i % 9 === 4 ? null : c.v(perm(i)))))
    const dir = mkdtempSync(join(tmpdir(), 'lagomago-stats-'))
    dirs.push(dir)
    const file = join(dir, 'f.parquet')
    writeFileSync(file, writeParquet(cols.map((c, j) => ({ field: c.f, values: values[j] })), n, { rowGroupSize: 10 }))
    for (const [j, c] of cols.entries()) {
      for (let g = 0; g < 4; g++) {
        const group = values[j].slice(g * 10, g * 10 + 10).filter((x) => x !== null)
        const sorted = [...group].sort((a, b) => (a! < b! ? -1 : a! > b! ? 1 : 0))
        for (const x of [sorted[0], sorted.at(-1)]) {
          const got = (await duck.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${file}') WHERE ${c.f.name} = ${c.sql(x!)}`)).getRowObjectsJson()[0]
          expect(Number(got.n), `${c.f.name} = ${String(x)}`).toBe(1)
        }
      }
    }
  })
})
