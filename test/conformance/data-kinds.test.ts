// Conformance, data level: every `scan`, `cdf` and `deletionVector` expectation of the shared corpus,
// read through our scan (DVs, partition values, column mapping) and compared by meaning with the
// upstream answers (conformance README "How a test should use it").
import { readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { readChanges } from '../../src/scan/cdf.js'
import { readDataFile } from '../../src/scan/parquet-read.js'
import { outputFields, scanValues, type ValueBatch } from '../../src/scan/scan.js'
import { parseDecimal } from '../../src/schema/decimal.js'
import { parseDate, parseTimestamp } from '../../src/schema/temporal.js'
import { decimalParams, isArray, isMap, isStruct, type DataType, type StructField } from '../../src/schema/types.js'
import type { DeltaValue } from '../../src/schema/values.js'
import { LocalStore } from '../../src/storage/local-store.js'
import { caveatFor } from './caveats.js'
import { casesOf, CONFORMANCE_DIR, corpusAvailable, KindTally, tableDir, type Case } from './manifest.js'

const tally = new KindTally()
const caveatsNowPassing: string[] = []
afterAll(() => {
  console.log(tally.summary('conformance (data kinds):'))
  if (caveatsNowPassing.length) console.log(`documented caveats that now pass (remove them from caveats.ts): ${caveatsNowPassing.join(', ')}`)
})

/**
 * Failures whose cause lies in another layer and is reported to its owner; still run, counted as
 * such, and reported when they start passing.
 */

async function check(c: Case, body: () => Promise<void>): Promise<void> {
  const caveat = caveatFor(c.entry.name, c.expectation.kind)
  try {
    await body()
  } catch (e) {
    tally.record(c.expectation.kind, caveat ? 'caveat' : 'fail')
    if (caveat) return
    throw e
  }
  if (caveat) caveatsNowPassing.push(c.id)
  tally.record(c.expectation.kind, 'pass')
}

// ---- canonical forms: one string per value, equal iff the values mean the same ----

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

function canon(v: DeltaValue | undefined, t: DataType): string {
  if (v === null || v === undefined) return '∅'
  if (typeof t === 'string') {
    if (t === 'float') return String(Math.fround(Number(v)))
    if (t === 'double') return String(Number(v))
    if (t === 'variant') { const x = v as { metadata: Uint8Array; value: Uint8Array }; return `{metadata: ${hex(x.metadata)}, value: ${hex(x.value)}}` }
    if (v instanceof Uint8Array) return hex(v)
    if (typeof v === 'number' || typeof v === 'bigint') return decimalParams(t) ? `${v}e-${decimalParams(t)!.scale}` : String(BigInt(v))
    return String(v)
  }
  if (isStruct(t)) return `{${t.fields.map((f) => canon((v as Record<string, DeltaValue>)[f.name], f.type)).join(', ')}}`
  if (isArray(t)) return `[${(v as DeltaValue[]).map((x) => canon(x, t.elementType)).join(', ')}]`
  if (isMap(t)) return `{${[...(v as Map<DeltaValue, DeltaValue>)].map(([k, x]) => `${canon(k, t.keyType)}: ${canon(x, t.valueType)}`).sort().join(', ')}}`
  return String(v)
}

/** An expected JSON value (or pretty cell text) as a Delta value of type `t`. */
function fromExpected(j: unknown, t: DataType): DeltaValue {
  if (j === null || j === undefined) return null
  if (typeof t === 'string') {
    const s = typeof j === 'string' ? j.trim() : j
    switch (t) {
      case 'byte': case 'short': case 'integer': return Number(s)
      case 'long': return BigInt(s as string)
      case 'float': case 'double': return Number(s)
      case 'boolean': return s === true || s === 'true'
      case 'string': return String(j)
      case 'binary': return typeof j === 'string' ? new TextEncoder().encode(j) : Uint8Array.from(j as number[])
      case 'date': return typeof s === 'number' ? s : parseDate(String(s)) ?? NaN
      case 'timestamp': case 'timestamp_ntz': return parseTimestamp(String(s))?.micros ?? String(s)
    }
    const d = decimalParams(t)
    if (d) return parseDecimal(String(s), d.scale, true) ?? String(s)
    return String(j)
  }
  if (isStruct(t)) {
    const o = j as Record<string, unknown>
    return Object.fromEntries(t.fields.map((f) => [f.name, fromExpected(o[f.name], f.type)]))
  }
  if (isArray(t)) return (j as unknown[]).map((x) => fromExpected(x, t.elementType))
  if (isMap(t)) {
    const pairs = Array.isArray(j) ? (j as [unknown, unknown][]) : Object.entries(j as object)
    return new Map(pairs.map(([k, x]) => [fromExpected(k, t.keyType), fromExpected(x, t.valueType)]))
  }
  return null
}

/** An arrow-pretty cell: primitives parsed by type; nested values compare by their printed form. */
function prettyCanon(cell: string, t: DataType): string {
  if (cell === '') return '∅'
  if (typeof t === 'string' && t !== 'variant') return canon(fromExpected(cell, t), t)
  return cell
}

function prettyOurs(v: DeltaValue, t: DataType): string {
  if (v === null) return '∅'
  if (typeof t === 'string') return t === 'variant' ? canon(v, t) : canon(v, t)
  if (isStruct(t)) {
    const o = v as Record<string, DeltaValue>
    return `{${t.fields.map((f) => `${f.name}: ${prettyInner(o[f.name], f.type)}`).join(', ')}}`
  }
  if (isArray(t)) return `[${(v as DeltaValue[]).map((x) => prettyInner(x, t.elementType)).join(', ')}]`
  if (isMap(t)) return `{${[...(v as Map<DeltaValue, DeltaValue>)].map(([k, x]) => `${prettyInner(k, t.keyType)}: ${prettyInner(x, t.valueType)}`).join(', ')}}`
  return String(v)
}

function prettyInner(v: DeltaValue, t: DataType): string {
  if (v === null) return ''
  if (typeof t === 'string' && t !== 'variant') {
    if (v instanceof Uint8Array) return hex(v)
    const d = decimalParams(t)
    if (d) return formatUnscaled(v as bigint, d.scale)
    return String(v)
  }
  return prettyOurs(v, t)
}

function formatUnscaled(u: bigint, scale: number): string {
  const neg = u < 0n
  const s = (neg ? -u : u).toString().padStart(scale + 1, '0')
  return `${neg ? '-' : ''}${scale ? `${s.slice(0, -scale)}.${s.slice(-scale)}` : s}`
}

// ---- expected data in its various forms ----

/** JSON with integers beyond 2^53 kept exact (as strings). */
function parseJsonExact(text: string): unknown {
  return JSON.parse(text.replace(/([[,:]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"'))
}

let exactManifest: Map<string, unknown[]> | undefined
function exactExpectations(table: string): unknown[] {
  if (!exactManifest) {
    const m = parseJsonExact(readFileSync(path.join(CONFORMANCE_DIR, 'MANIFEST.json'), 'utf8')) as { name: string; expected: unknown[] }[]
    exactManifest = new Map(m.map((e) => [e.name, e.expected]))
  }
  return exactManifest.get(table) ?? []
}

interface Got { fields: StructField[]; rows: DeltaValue[][] }

async function collect(batches: AsyncIterable<ValueBatch>, fields: StructField[]): Promise<Got> {
  const rows: DeltaValue[][] = []
  for await (const b of batches) {
    for (let r = 0; r < b.length; r++) rows.push(fields.map((f) => b.columns[b.fields.findIndex((x) => x.name === f.name)]?.[r] ?? null))
  }
  return { fields, rows }
}

async function readExpectedDir(dir: string, fields: StructField[]): Promise<DeltaValue[][]> {
  const store = new LocalStore(dir)
  const rows: DeltaValue[][] = []
  const files = readdirSync(dir).filter((f) => f.endsWith('.parquet')).sort()
  for (const f of files) {
    for await (const chunk of readDataFile({ store, key: f, fields, mode: 'none' })) {
      for (let r = 0; r < chunk.numRows; r++) rows.push(chunk.columns.map((c) => c[r]))
    }
  }
  return rows
}

function multiset(rows: string[]): string[] {
  return [...rows].sort()
}

function compareRows(got: Got, expectedRows: string[], colIndexes: number[] = got.fields.map((_, i) => i), pretty = false): void {
  const ours = got.rows.map((r) => colIndexes.map((i) => (pretty ? prettyOurs(r[i], got.fields[i].type) : canon(r[i], got.fields[i].type))).join(' | '))
  expect(multiset(ours)).toEqual(multiset(expectedRows))
}

/** Compare a scan or CDF result with whichever form of expected data the expectation carries. */
async function compareWith(c: Case, got: Got, extraTypes: Record<string, DataType> = {}): Promise<void> {
  const e = c.expectation as Record<string, any>
  const exact = exactExpectations(c.entry.name)[c.entry.expected.indexOf(c.expectation)] as Record<string, any>
  const typeOf = (name: string): DataType => {
    const f = got.fields.find((x) => x.name === name) ?? got.fields.find((x) => x.name.toLowerCase() === name.toLowerCase())
    return f?.type ?? extraTypes[name] ?? 'string'
  }
  if (typeof e.rowCount === 'number') expect(got.rows.length).toBe(e.rowCount)
  const spec = e.rows ?? (e.rowsFile ? JSON.parse(readFileSync(path.join(CONFORMANCE_DIR, e.rowsFile), 'utf8')) : undefined)
  if (spec) {
    const exactSpec = e.rows ? exact.rows : spec
    const cols: string[] = spec.columns
    const idx = cols.map((n) => got.fields.findIndex((f) => f.name === n || f.name.toLowerCase() === n.toLowerCase()))
    expect(idx.every((i) => i >= 0), `columns ${cols.join(', ')} in ${got.fields.map((f) => f.name).join(', ')}`).toBe(true)
    const pretty = spec.format === 'arrow-pretty-cells'
    const expected = (exactSpec.rows as unknown[][]).map((r) => r.map((cell, k) => {
      const t = typeOf(cols[k])
      return pretty ? prettyCanon(String(cell), t) : canon(fromExpected(cell, t), t)
    }).join(' | '))
    if (pretty) {
      // nested cells compare printed; primitives by value
      const ours = got.rows.map((r) => idx.map((i) => {
        const t = got.fields[i].type
        return typeof t === 'string' && t !== 'variant' ? canon(r[i], t) : prettyOurs(r[i], t)
      }).join(' | '))
      // an empty pretty cell means null or the empty string
      const norm = (s: string) => s.split(' | ').map((x) => (x === '' ? '∅' : x)).join(' | ')
      expect(multiset(ours.map(norm))).toEqual(multiset(expected.map(norm)))
    } else {
      compareRows(got, expected, idx)
    }
  }
  if (e.dir) {
    const names: string[] = Array.isArray(e.columns) ? e.columns.map((x: string) => x.split(':')[0]) : got.fields.map((f) => f.name)
    const idx = names.map((n) => got.fields.findIndex((f) => f.name === n || f.name.toLowerCase() === n.toLowerCase()))
    expect(idx.every((i) => i >= 0), `columns ${names.join(', ')}`).toBe(true)
    const fields = idx.map((i) => ({ ...got.fields[i], metadata: {} }))
    const rows = await readExpectedDir(path.join(CONFORMANCE_DIR, e.dir), fields)
    const expected = rows.map((r) => r.map((v, k) => canon(v, fields[k].type)).join(' | '))
    compareRows(got, expected, idx)
  }
  if (e.valuesSpec && typeof e.valuesSpec === 'object') {
    const vs = e.valuesSpec as { column: string; range?: [number, number]; exclude?: number[]; multisetOf?: { range?: [number, number]; value?: number; times?: number }[] }
    const i = got.fields.findIndex((f) => f.name === vs.column)
    expect(i).toBeGreaterThanOrEqual(0)
    const expected: string[] = []
    const pieces = vs.multisetOf ?? [{ range: vs.range }]
    for (const p of pieces) {
      if (p.range) for (let x = p.range[0]; x < p.range[1]; x++) if (!vs.exclude?.includes(x)) expected.push(String(x))
      if (p.value !== undefined) for (let k = 0; k < (p.times ?? 1); k++) expected.push(String(p.value))
    }
    expect(multiset(got.rows.map((r) => canon(r[i], got.fields[i].type)))).toEqual(multiset(expected))
  }
  if (e.distinctValues) {
    for (const [col, values] of Object.entries(e.distinctValues as Record<string, unknown[]>)) {
      const i = got.fields.findIndex((f) => f.name === col)
      const t = got.fields[i].type
      expect(multiset([...new Set(got.rows.map((r) => canon(r[i], t)))])).toEqual(multiset(values.map((v) => canon(fromExpected(v, t), t))))
    }
  }
}

const cases = corpusAvailable() ? casesOf('scan', 'cdf', 'deletionVector') : []

describe.skipIf(!corpusAvailable())('conformance: scan, cdf, deletionVector', () => {
  for (const c of cases) {
    it(c.id, async () => {
      await check(c, async () => {
        const e = c.expectation as Record<string, any>
        const store = new LocalStore(tableDir(c.entry))
        if (e.kind === 'scan') {
          const s = await loadSnapshot(store, { version: e.version })
          const projection: string[] | undefined = Array.isArray(e.projection) ? e.projection : undefined
          const fields = outputFields(s.schema, projection, s.tableUrl)
          await compareWith(c, await collect(scanValues(s, { columns: projection }), fields))
        } else if (e.kind === 'cdf') {
          const s = await loadSnapshot(store, e.endVersion === null || e.endVersion === undefined ? {} : { version: e.endVersion })
          const result = await readChanges(s, { startVersion: e.startVersion, endVersion: e.endVersion ?? undefined })
          const got = await collect(result.batches, result.fields)
          await compareWith(c, got)
        } else {
          throw new Error(`deletionVector expectations are not wired yet: ${JSON.stringify(e).slice(0, 200)}`)
        }
      })
    }, 60_000)
  }
})

