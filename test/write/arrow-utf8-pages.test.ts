// Arrow string columns keep their UTF-8 bytes, and a repetitive one its dictionary ids, beside the
// decoded strings (src/write/utf8-source.ts): the page encoder copies the bytes instead of encoding
// each string again, the dictionary needs no hash per row, and the file stats take the distinct
// values. The model is the same strings in a plain array (nothing kept beside it) through the same
// writer: files byte for byte equal, stats equal. Strings: ASCII, astral, U+FEFF first, empty,
// replaced (invalid) UTF-8, nulls, sliced and chunked vectors; DuckDB and hyparquet read them back.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import * as arrow from 'apache-arrow'
import { afterAll, describe, expect, it } from 'vitest'
import { parquetReadObjects } from 'hyparquet'
import { vectorToDelta } from '../../src/write/input.js'
import { writeParquet } from '../../src/write/parquet-write.js'
import { fileStatsJson } from '../../src/write/stats.js'
import { utf8SourceOf } from '../../src/write/utf8-source.js'
import { DeltaTable } from '../../src/index.js'
import type { StructField } from '../../src/schema/types.js'
import type { DeltaValue } from '../../src/schema/values.js'

type Duck = { runAndReadAll(sql: string): Promise<{ getRowObjectsJson(): Record<string, unknown>[] }> }
const field: StructField = { name: 's', type: 'string', nullable: true, metadata: {} }
const dirs: string[] = []
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

const text = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }), // astral, combining marks
  fc.string({ unit: 'binary', maxLength: 8 }), // any code point, lone surrogates included (encoded as U+FFFD)
  fc.string({ maxLength: 6 }).map((s) => `\ufeff${s}`),
  fc.constant(''),
  fc.string({ unit: 'grapheme-ascii', minLength: 65, maxLength: 200 }), // past the short-copy loop
)
/** Unique-ish values, or a few values repeated (the dictionary path), with nulls. */
const column = fc.oneof(
  fc.array(fc.option(text, { nil: null }), { minLength: 1, maxLength: 400 }),
  fc.tuple(fc.array(text, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { minLength: 1, maxLength: 3000 }), fc.boolean())
    .map(([pool, picks, nulls]) => picks.map((p) => (nulls && p % 7 === 0 ? null : pool[p % pool.length]))),
)

/** A vector of `values`: one chunk, a slice of a longer one, or several chunks. */
function vectorOf(values: (string | null)[], shape: number): arrow.Vector {
  if (shape === 0 || values.length < 2) return arrow.vectorFromArray(values, new arrow.Utf8())
  const cut = 1 + (shape % (values.length - 1))
  if (shape % 2) {
    const padded = arrow.vectorFromArray(['pad', null, ...values, 'tail'], new arrow.Utf8())
    return padded.slice(2, 2 + values.length)
  }
  return arrow.vectorFromArray(values.slice(0, cut), new arrow.Utf8()).concat(arrow.vectorFromArray(values.slice(cut), new arrow.Utf8()))
}

/** A Utf8 vector of raw byte values (possibly not UTF-8). */
function rawVector(parts: Uint8Array[]): arrow.Vector {
  const offsets = new Int32Array(parts.length + 1)
  parts.forEach((p, j) => { offsets[j + 1] = offsets[j] + p.length })
  const bytes = new Uint8Array(offsets[parts.length])
  parts.forEach((p, j) => bytes.set(p, offsets[j]))
  return arrow.makeVector(arrow.makeData({ type: new arrow.Utf8(), length: parts.length, valueOffsets: offsets, data: bytes }))
}

const stats = (values: ArrayLike<DeltaValue>) =>
  fileStatsJson([field], new Map([['s', values]]), values.length, { selected: new Set(['s']), tightBounds: true })

/** The kept bytes are each string's UTF-8; the dictionary's entries are distinct and hold each row's value. */
function checkSource(values: ArrayLike<DeltaValue>): void {
  const source = utf8SourceOf(values)
  if (!source) return
  const enc = new TextEncoder()
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v === null) continue
    expect(source.bytes.subarray(source.offsets[i], source.offsets[i + 1])).toEqual(enc.encode(v as string))
  }
  if (source.dictionary) {
    const { ids, entries } = source.dictionary
    expect(new Set(entries).size).toBe(entries.length)
    for (let i = 0; i < values.length; i++) expect(values[i]).toBe(ids[i] < 0 ? null : entries[ids[i]])
  }
}

function sameAsModel(values: ArrayLike<DeltaValue>, rowGroupSize: number): void {
  checkSource(values)
  const model = Array.from(values) // the same strings, nothing kept beside them
  expect(utf8SourceOf(model)).toBeUndefined()
  const n = values.length
  for (const codec of ['SNAPPY', 'UNCOMPRESSED'] as const) {
    expect(writeParquet([{ field, values }], n, { rowGroupSize, codec })).toEqual(writeParquet([{ field, values: model }], n, { rowGroupSize, codec }))
  }
  expect(stats(values)).toBe(stats(model))
}

describe('Arrow UTF-8 written into pages as it came', () => {
  it('files and stats equal those of the decoded strings (unique and repetitive, sliced, chunked, nulls)', () => {
    fc.assert(fc.property(column, fc.nat(), fc.integer({ min: 1, max: 5000 }), (values, shape, rowGroupSize) => {
      const col = vectorToDelta(vectorOf(values, shape), 'string', 's')
      // lone surrogates become U+FFFD on the way into Arrow: the model is what the conversion gives
      expect(col.length).toBe(values.length)
      sameAsModel(col, rowGroupSize)
    }), { numRuns: 150 })
  })

  it('invalid UTF-8 values keep the value-by-value path and still equal the model', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 6 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 50 }), (parts, rowGroupSize) => {
      const col = vectorToDelta(rawVector(parts), 'string', 's')
      const decoder = new TextDecoder('utf-8', { ignoreBOM: true })
      expect(Array.from(col)).toEqual(parts.map((p) => decoder.decode(p)))
      sameAsModel(col, rowGroupSize)
    }), { numRuns: 300 })
  })

  it('a repetitive column that outgrows a dictionary falls back without losing a value', () => {
    // sampled as repetitive (3 rows in 4 the same), then 75,000 distinct values: past the 65,536 the conversion keeps ids for
    const n = 300_000
    const values = Array.from({ length: n }, (_, i) => (i % 1000 === 1 ? null : i % 4 === 3 ? `v${i}` : 'x'))
    const col = vectorToDelta(arrow.vectorFromArray(values, new arrow.Utf8()), 'string', 's')
    expect(Array.from(col)).toEqual(values)
    expect(utf8SourceOf(col)?.dictionary).toBeUndefined()
    sameAsModel(col, 100_000)
  })

  it('an Arrow append over several files reads back in DuckDB and hyparquet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lagomago-utf8-'))
    dirs.push(dir)
    const n = 5000
    const cat = Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : ['alpha', 'ç', '😀', '', 'x\ufeff'][i % 5]))
    const note = Array.from({ length: n }, (_, i) => (i % 13 === 0 ? null : `note-${i}-${'é😀'.repeat(i % 4)}`))
    const id = BigInt64Array.from({ length: n }, (_, i) => BigInt(i))
    const data = new arrow.Table({
      id: arrow.makeVector(id), cat: arrow.vectorFromArray(cat, new arrow.Utf8()), note: arrow.vectorFromArray(note, new arrow.Utf8()),
    })
    const t = await DeltaTable.create(dir, { schema: { type: 'struct', fields: [
      { name: 'id', type: 'long', nullable: false, metadata: {} }, { name: 'cat', type: 'string', nullable: true, metadata: {} }, { name: 'note', type: 'string', nullable: true, metadata: {} },
    ] } })
    await t.append(data, { targetFileSize: 40_000, rowGroupSize: 700 })
    const files = await t.files()
    expect(files.length).toBeGreaterThan(2)
    const rows: Record<string, unknown>[] = []
    for (const f of files) rows.push(...await parquetReadObjects({ file: await readFile(join(dir, decodeURIComponent(f.path))) }))
    rows.sort((a, b) => Number(a.id) - Number(b.id))
    expect(rows.map((r) => r.cat ?? null)).toEqual(cat)
    expect(rows.map((r) => r.note ?? null)).toEqual(note)
    // per-file stats equal those of the file's rows
    for (const f of files) {
      const s = JSON.parse(f.stats!)
      const own = rows.filter((r) => Number(r.id) >= Number(s.minValues.id) && Number(r.id) <= Number(s.maxValues.id))
      expect(s.numRecords).toBe(own.length)
      expect(s.nullCount.cat).toBe(own.filter((r) => r.cat === null || r.cat === undefined).length)
    }
    let duck: Duck
    try {
      const { DuckDBInstance } = await import('@duckdb/node-api')
      duck = (await (await DuckDBInstance.create(':memory:')).connect()) as unknown as Duck
    } catch {
      expect.soft(undefined, '@duckdb/node-api is not installed').toBeDefined()
      return
    }
    const list = files.map((f) => `'${join(dir, decodeURIComponent(f.path))}'`).join(', ')
    const got = (await duck.runAndReadAll(`SELECT cat, note FROM read_parquet([${list}]) ORDER BY id`)).getRowObjectsJson()
    expect(got.map((r) => r.cat)).toEqual(cat)
    expect(got.map((r) => r.note)).toEqual(note)
  })
})

async function readFile(path: string): Promise<ArrayBuffer> {
  const b = await (await import('node:fs/promises')).readFile(path)
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)
}
