import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { parquetReadObjects } from 'hyparquet'
import type { AddFile } from '../../src/log/actions.js'
import { parseSchema, type DataType, type StructType } from '../../src/schema/types.js'
import { compareValues, type DeltaValue, type DeltaStruct } from '../../src/schema/values.js'
import { serializePartitionValue } from '../../src/schema/partition-values.js'
import { formatDecimal } from '../../src/schema/decimal.js'
import { floorDiv } from '../../src/schema/temporal.js'
import { bindPredicate, col, evalPredicateRows, filterFromTuples, lit, type Expr, type FilterTuple } from '../../src/expr/index.js'
import {
  isPartitionOnly, predicateCoversFile, rowGroupMayMatch, selectFiles, type SnapshotInfo,
} from '../../src/scan/file-skipping.js'

const field = (name: string, type: unknown) => ({ name, type, nullable: true, metadata: {} })
const schema: StructType = parseSchema(JSON.stringify({
  type: 'struct',
  fields: [
    field('p', 'integer'), field('q', 'string'), field('a', 'long'), field('f', 'double'), field('s', 'string'),
    field('t', 'timestamp'), field('m', 'decimal(6,2)'), field('flag', 'boolean'), field('d', 'date'),
    field('st', { type: 'struct', fields: [field('k', 'integer')] }),
  ],
}))
const info: SnapshotInfo = { schema, partitionColumns: ['p', 'q'], configuration: {} }

type Row = Record<string, DeltaValue>
const LONG_A = 'x'.repeat(31) + 'ab'
const LONG_B = 'x'.repeat(31) + 'b'
const LONG_C = 'x'.repeat(32)
const STRINGS = ['', 'a', 'ab', 'abc', 'b', 'ba', 'é', '\u{1F600}', '\uFFFD', LONG_A, LONG_B, LONG_C, 'x']
const LEAVES: [string, DataType][] = [['a', 'long'], ['f', 'double'], ['s', 'string'], ['t', 'timestamp'], ['m', 'decimal(6,2)'], ['flag', 'boolean'], ['d', 'date'], ['st.k', 'integer']]

const orNull = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null, freq: 5 })
const arbInt = fc.integer({ min: -4, max: 4 })
const arbValue: Record<string, fc.Arbitrary<DeltaValue>> = {
  p: orNull(arbInt),
  q: orNull(fc.constantFrom('a', 'b', 'a b', 'x/y')),
  a: orNull(arbInt.map(BigInt)),
  f: orNull(fc.constantFrom(-1.5, -0, 0, 0.5, 2, NaN, Infinity)),
  s: orNull(fc.constantFrom(...STRINGS)),
  t: orNull(fc.constantFrom(0n, 999n, 1000n, 1500n, 2000n, -1n, 86_400_000_000n)),
  m: orNull(fc.integer({ min: -300, max: 300 }).map(BigInt)),
  flag: orNull(fc.boolean()),
  d: orNull(fc.integer({ min: -2, max: 2 })),
  k: orNull(arbInt),
}
const arbRow: fc.Arbitrary<Row> = fc.record({
  p: arbValue.p, q: arbValue.q, a: arbValue.a, f: arbValue.f, s: arbValue.s, t: arbValue.t, m: arbValue.m,
  flag: arbValue.flag, d: arbValue.d, k: arbValue.k,
}).map(({ k, ...r }) => ({ ...r, st: k === null ? null : ({ k } as DeltaStruct) }))

function get(row: Row, key: string): DeltaValue {
  if (key === 'st.k') return row.st === null ? null : (row.st as DeltaStruct).k ?? null
  return row[key] ?? null
}

function jsonValue(v: DeltaValue, type: DataType): string {
  if (type === 'string') return JSON.stringify(v)
  if (type === 'double') return Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : JSON.stringify(v)
  if (type === 'timestamp') return JSON.stringify(new Date(Number(floorDiv(v as bigint, 1000n))).toISOString())
  if (type === 'date') return JSON.stringify(new Date((v as number) * 86_400_000).toISOString().slice(0, 10))
  if (type === 'decimal(6,2)') return formatDecimal(v as bigint, 2)
  return String(v)
}

type StatsMode = 'full' | 'none' | 'partial' | 'wide' | 'nanless'
/** Stats as a writer would put them in add.stats: strings truncated to 32 chars, timestamps to ms. */
function statsJson(rows: Row[], mode: StatsMode, drop: string): string | undefined {
  if (mode === 'none') return undefined
  const min: string[] = []
  const max: string[] = []
  const nulls: string[] = []
  for (const [key, type] of LEAVES) {
    if (mode === 'partial' && key === drop) continue
    let vals = rows.map((r) => get(r, key)).filter((v) => v !== null)
    const nullCount = rows.length - vals.length
    // Parquet-footer style stats (delta-rs): NaN left out of min/max
    if (mode === 'nanless' && type === 'double') vals = vals.filter((v) => !Number.isNaN(v))
    const put = (arr: string[], v: string): void => { arr.push(key === 'st.k' ? `"st":{"k":${v}}` : `"${key}":${v}`) }
    put(nulls, String(nullCount))
    if (vals.length === 0 || type === 'boolean') continue
    vals.sort((x, y) => compareValues(x, y, type))
    let lo = vals[0]
    let hi = vals[vals.length - 1]
    if (type === 'string') {
      lo = (lo as string).slice(0, 32)
      hi = (hi as string).slice(0, 32)
      if ((hi as string).length === 32 && /[\uD800-\uDBFF]$/.test(hi as string)) hi = (hi as string).slice(0, 31)
      if (/[\uD800-\uDBFF]$/.test(lo as string)) lo = (lo as string).slice(0, -1)
    }
    if (mode === 'wide' && type === 'long') { lo = (lo as bigint) - 3n; hi = (hi as bigint) + 2n }
    put(min, jsonValue(lo, type))
    put(max, jsonValue(hi, type))
  }
  const merge = (parts: string[]): string => `{${parts.filter((x) => !x.startsWith('"st"')).concat(parts.filter((x) => x.startsWith('"st"')).map((x) => x)).join(',')}}`
  return `{"numRecords":${rows.length}${mode === 'wide' ? ',"tightBounds":false' : ''},"minValues":${merge(min)},"maxValues":${merge(max)},"nullCount":${merge(nulls)}}`
}

function makeFiles(rows: Row[], cuts: number[], modes: StatsMode[]): { files: AddFile[]; rowsOf: Map<string, Row[]> } {
  const groups = new Map<string, Row[]>()
  for (const r of rows) {
    const k = `${String(r.p)}|${String(r.q)}`
    groups.set(k, [...(groups.get(k) ?? []), r])
  }
  const files: AddFile[] = []
  const rowsOf = new Map<string, Row[]>()
  let n = 0
  for (const g of groups.values()) {
    const cut = (cuts[n % cuts.length] % Math.max(g.length, 1)) + 1
    for (const part of [g.slice(0, cut), g.slice(cut)]) {
      if (part.length === 0) continue
      const path = `f${n++}.parquet`
      const mode = modes[n % modes.length]
      files.push({
        path, size: 1, modificationTime: 0, dataChange: true,
        partitionValues: { p: serializePartitionValue(part[0].p, 'integer'), q: serializePartitionValue(part[0].q, 'string') },
        stats: statsJson(part, mode, LEAVES[n % LEAVES.length][0]),
      })
      rowsOf.set(path, part)
    }
  }
  return { files, rowsOf }
}

function matching(rows: Row[], pred: Expr): Row[] {
  const bound = bindPredicate(pred, schema)
  const mask = evalPredicateRows(bound, { length: rows.length, column: (k) => rows.map((r) => get(r, k)) })
  return rows.filter((_, i) => mask[i] === 1)
}

const LITERALS: Record<string, fc.Arbitrary<Expr>> = {
  p: arbInt.map((v) => lit(v)),
  q: fc.constantFrom('a', 'b', 'a b', 'c').map((v) => lit(v)),
  a: arbInt.map((v) => lit(BigInt(v))),
  f: fc.constantFrom(-1.5, 0, 0.5, 2, 3, NaN, Infinity).map((v) => lit(v)),
  s: fc.constantFrom(...STRINGS, 'aa', 'xxx', 'x'.repeat(31) + 'a', 'x'.repeat(31) + 'c', 'x'.repeat(33)).map((v) => lit(v)),
  t: fc.constantFrom(0n, 500n, 999n, 1000n, 1001n, 1999n, 2000n, -5n).map((v) => lit(v, 'timestamp')),
  m: fc.integer({ min: -310, max: 310 }).map((v) => lit(BigInt(v), 'decimal(6,2)')),
  flag: fc.boolean().map((v) => lit(v)),
  d: fc.integer({ min: -3, max: 3 }).map((v) => lit(v, 'date')),
  'st.k': arbInt.map((v) => lit(v)),
}
const COLS = Object.keys(LITERALS)

const arbLeaf: fc.Arbitrary<Expr> = fc.constantFrom(...COLS).chain((c) => {
  const L = LITERALS[c]
  const ref = col(c)
  return fc.oneof(
    fc.tuple(fc.constantFrom('eq', 'ne', 'lt', 'le', 'gt', 'ge', 'eqNullSafe') as fc.Arbitrary<'eq'>, L).map(([op, l]) => ref[op](l)),
    fc.tuple(fc.constantFrom('eq', 'lt', 'ge') as fc.Arbitrary<'eq'>, L).map(([op, l]) => (l as ReturnType<typeof lit>)[op](ref)),
    fc.array(L, { minLength: 1, maxLength: 3 }).map((ls) => ref.in(...ls)),
    fc.array(L, { minLength: 1, maxLength: 3 }).map((ls) => ref.notIn(...ls)),
    fc.tuple(L, L).map(([lo, hi]) => ref.between(lo, hi)),
    fc.constant(ref.isNull()),
    fc.constant(ref.isNotNull()),
    fc.constant(ref.eqNullSafe(null)),
    fc.constant(lit(null).eqNullSafe(ref)),
    ...(c === 's' || c === 'q'
      ? [fc.constantFrom('a%', 'ab%', '%b', 'x%', 'x'.repeat(32) + '%', 'a_', '', 'ab', '\u{1F600}%').map((pat) => ref.like(pat))]
      : []),
    ...(c === 'a' || c === 'p' || c === 'st.k' ? [fc.constantFrom('a', 'p', 'st.k').map((o) => ref.lt(col(o))), fc.constant(ref.plus(1).gt(lit(2)))] : []),
  )
})

const arbPred: fc.Arbitrary<Expr> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    arbLeaf, arbLeaf,
    fc.tuple(tie('node'), tie('node')).map(([x, y]) => ({ kind: 'and', args: [x, y] }) as Expr),
    fc.tuple(tie('node'), tie('node')).map(([x, y]) => ({ kind: 'or', args: [x, y] }) as Expr),
    tie('node').map((x) => ({ kind: 'not', arg: x }) as Expr),
  ),
})).node

describe('selectFiles', () => {
  it('never drops a file holding a matching row; filtering kept files equals filtering all rows', () => {
    fc.assert(fc.property(
      fc.array(arbRow, { minLength: 1, maxLength: 24 }),
      fc.array(fc.nat(10), { minLength: 1, maxLength: 4 }),
      fc.array(fc.constantFrom<StatsMode>('full', 'full', 'none', 'partial', 'wide', 'nanless'), { minLength: 1, maxLength: 4 }),
      arbPred,
      (rows, cuts, modes, pred) => {
        const { files, rowsOf } = makeFiles(rows, cuts, modes)
        const kept = selectFiles(files, info, pred)
        const keptRows = kept.flatMap((f) => rowsOf.get(f.path)!)
        const index = new Map(rows.map((r, i) => [r, i]))
        const ids = (rs: Row[]): number[] => rs.map((r) => index.get(r)!).sort((x, y) => x - y)
        expect(ids(matching(keptRows, pred))).toEqual(ids(matching(rows, pred)))
        for (const f of files) {
          const fileRows = rowsOf.get(f.path)!
          if (predicateCoversFile(pred, f, info, true)) expect(matching(fileRows, pred).length).toBe(fileRows.length)
        }
      },
    ), { numRuns: 400 })
  })

  it('prunes by partition values, null partitions included', () => {
    const rows: Row[] = [
      { p: 1, q: 'a', a: 1n, f: null, s: null, t: null, m: null, flag: null, d: null, st: null },
      { p: 2, q: 'b', a: 5n, f: null, s: null, t: null, m: null, flag: null, d: null, st: null },
      { p: null, q: null, a: 9n, f: null, s: null, t: null, m: null, flag: null, d: null, st: null },
    ]
    const { files } = makeFiles(rows, [5], ['full'])
    expect(selectFiles(files, info, 'p = 1').map((f) => f.partitionValues.p)).toEqual(['1'])
    expect(selectFiles(files, info, 'p IS NULL').map((f) => f.partitionValues.p)).toEqual([null])
    expect(selectFiles(files, info, 'p <> 1').map((f) => f.partitionValues.p)).toEqual(['2'])
    expect(selectFiles(files, info, "q NOT IN ('a')").map((f) => f.partitionValues.q)).toEqual(['b'])
    expect(selectFiles(files, info, 'a > 4').length).toBe(2)
    expect(selectFiles(files, info, 'a > 4 AND p = 2').map((f) => f.partitionValues.p)).toEqual(['2'])
    expect(selectFiles(files, info, undefined).length).toBe(3)
  })

  it('keeps files whose stats are missing and skips by stats when present', () => {
    const mk = (stats?: string): AddFile => ({ path: 'x', size: 1, modificationTime: 0, dataChange: true, partitionValues: { p: '1', q: 'a' }, stats })
    const withStats = mk('{"numRecords":2,"minValues":{"a":10},"maxValues":{"a":20},"nullCount":{"a":0}}')
    expect(selectFiles([withStats], info, 'a < 10')).toEqual([])
    expect(selectFiles([withStats], info, 'a <= 10')).toEqual([withStats])
    expect(selectFiles([withStats], info, 'a IS NULL')).toEqual([])
    expect(selectFiles([withStats], info, 'NOT (a >= 10)')).toEqual([])
    expect(selectFiles([mk(), mk('not json')], info, 'a < 10').length).toBe(2)
  })

  it('does not trust a floating max to cover NaN', () => {
    const f: AddFile = {
      path: 'x', size: 1, modificationTime: 0, dataChange: true, partitionValues: { p: '1', q: 'a' },
      stats: '{"numRecords":2,"minValues":{"f":1.0},"maxValues":{"f":2.0},"nullCount":{"f":0}}',
    }
    expect(selectFiles([f], info, 'f > 5')).toEqual([f]) // a NaN row (left out of max) satisfies f > 5
    expect(selectFiles([f], info, "f = CAST('NaN' AS DOUBLE)")).toEqual([f])
    expect(selectFiles([f], info, 'f = 5')).toEqual([])
    expect(selectFiles([f], info, 'f < 1')).toEqual([])
    expect(selectFiles([f], info, 'f IN (0, 3)')).toEqual([])
    // a two-sided range has a finite top, so NaN cannot be in it and the max bounds the rest
    expect(selectFiles([f], info, 'f BETWEEN 3 AND 4')).toEqual([])
    expect(selectFiles([f], info, 'f >= 3 AND f < 4 AND a = 1')).toEqual([])
    expect(selectFiles([f], info, 'f BETWEEN 1.5 AND 4')).toEqual([f])
    expect(selectFiles([f], info, 'f > 3 AND f > 4')).toEqual([f])
    expect(selectFiles([f], info, 'a > 5 AND a < 3')).toEqual([])
  })

  it('widens ms-truncated timestamp maxima and treats long string maxima as prefixes', () => {
    const f: AddFile = {
      path: 'x', size: 1, modificationTime: 0, dataChange: true, partitionValues: { p: '1', q: 'a' },
      stats: `{"numRecords":1,"minValues":{"t":"1970-01-01T00:00:01.000Z","s":"${'x'.repeat(32)}"},"maxValues":{"t":"1970-01-01T00:00:01.000Z","s":"${'x'.repeat(32)}"},"nullCount":{"t":0,"s":0}}`,
    }
    expect(selectFiles([f], info, "t = TIMESTAMP '1970-01-01 00:00:01.000999'")).toEqual([f])
    expect(selectFiles([f], info, "t = TIMESTAMP '1970-01-01 00:00:01.001'")).toEqual([])
    expect(selectFiles([f], info, `s = '${'x'.repeat(40)}'`)).toEqual([f])
    expect(selectFiles([f], info, `s > '${'x'.repeat(40)}'`)).toEqual([f])
    expect(selectFiles([f], info, `s > 'y'`)).toEqual([])
  })

  it('maps physical stats and partition keys back under column mapping', () => {
    const cm = parseSchema(JSON.stringify({
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: true, metadata: { 'delta.columnMapping.id': 1, 'delta.columnMapping.physicalName': 'col-1' } },
        { name: 'part', type: 'date', nullable: true, metadata: { 'delta.columnMapping.id': 2, 'delta.columnMapping.physicalName': 'col-2' } },
      ],
    }))
    const cmInfo: SnapshotInfo = { schema: cm, partitionColumns: ['part'], configuration: { 'delta.columnMapping.mode': 'name' } }
    const f: AddFile = {
      path: 'x', size: 1, modificationTime: 0, dataChange: true, partitionValues: { 'col-2': '2024-01-02' },
      stats: '{"numRecords":1,"minValues":{"col-1":5},"maxValues":{"col-1":7},"nullCount":{"col-1":0}}',
    }
    expect(selectFiles([f], cmInfo, "part = '2024-01-02' AND id = 6")).toEqual([f])
    expect(selectFiles([f], cmInfo, "part = DATE '2024-01-03'")).toEqual([])
    expect(selectFiles([f], cmInfo, 'ID > 7')).toEqual([])
  })

  it('tells partition-only predicates and whole-file coverage', () => {
    const f: AddFile = { path: 'x', size: 1, modificationTime: 0, dataChange: true, partitionValues: { p: '3', q: null }, stats: '{"numRecords":2,"minValues":{"a":1},"maxValues":{"a":4},"nullCount":{"a":0}}' }
    expect(isPartitionOnly(bindPredicate('p > 1 AND q IS NULL', schema), ['p', 'q'])).toBe(true)
    expect(isPartitionOnly(bindPredicate('p > 1 AND a = 1', schema), ['p', 'q'])).toBe(false)
    expect(predicateCoversFile('p >= 3 AND q IS NULL', f, info)).toBe(true)
    expect(predicateCoversFile('p > 3', f, info)).toBe(false)
    expect(predicateCoversFile('a BETWEEN 1 AND 4', f, info)).toBe(false)
    expect(predicateCoversFile('a BETWEEN 1 AND 4', f, info, true)).toBe(true)
    expect(predicateCoversFile('a < 4', f, info, true)).toBe(false)
  })

  it('skips Parquet row groups from their statistics', () => {
    const pred = bindPredicate("a > 10 AND s LIKE 'ab%'", schema)
    const stats = (a: [bigint, bigint], s: [string, string]) => (key: string) =>
      key === 'a' ? { min: a[0], max: a[1], nullCount: 0 } : key === 's' ? { min: s[0], max: s[1], nullCount: 0 } : undefined
    expect(rowGroupMayMatch(pred, 10, stats([0n, 10n], ['a', 'z']))).toBe(false)
    expect(rowGroupMayMatch(pred, 10, stats([0n, 11n], ['ac', 'z']))).toBe(false)
    expect(rowGroupMayMatch(pred, 10, stats([0n, 11n], ['aa', 'ab']))).toBe(true)
    expect(rowGroupMayMatch(pred, 10, stats([0n, 11n], ['a', 'aa']))).toBe(false)
    expect(rowGroupMayMatch(pred, 0, stats([0n, 11n], ['a', 'z']))).toBe(false)
  })
})

describe('selectFiles on the conformance corpus', () => {
  const root = join(__dirname, '../../../shared/conformance')
  const manifest = JSON.parse(readFileSync(join(root, 'MANIFEST.json'), 'utf8')) as {
    name: string; tablePath: string
    expected: { kind: string; version: number; filter: FilterTuple[]; files?: string[]; fileCount?: number; rowCount?: number }[]
  }[]
  const checks = manifest.flatMap((t) => t.expected.filter((e) => e.kind === 'partitionFilter').map((e) => ({ table: t, check: e })))

  it('has partition filter checks to run', () => {
    expect(checks.length).toBeGreaterThanOrEqual(10)
  })

  for (const { table, check } of checks) {
    it(`${table.name}: ${JSON.stringify(check.filter)}`, () => {
      const log = join(root, table.tablePath, '_delta_log')
      const live = new Map<string, AddFile>()
      let meta: { schemaString: string; partitionColumns: string[]; configuration: Record<string, string> } | undefined
      for (const f of readdirSync(log).filter((n) => /^\d{20}\.json$/.test(n)).sort()) {
        if (Number(f.slice(0, 20)) > check.version) break
        for (const line of readFileSync(join(log, f), 'utf8').split('\n').filter(Boolean)) {
          const a = JSON.parse(line)
          if (a.metaData) meta = a.metaData
          if (a.add) live.set(a.add.path, a.add)
          if (a.remove) live.delete(a.remove.path)
        }
      }
      const tinfo: SnapshotInfo = { schema: parseSchema(meta!.schemaString), partitionColumns: meta!.partitionColumns, configuration: meta!.configuration ?? {} }
      const kept = selectFiles([...live.values()], tinfo, filterFromTuples(check.filter))
      if (check.files) expect(kept.map((f) => decodeURIComponent(f.path)).sort()).toEqual(check.files.map((p) => decodeURIComponent(p)).sort())
      if (check.fileCount !== undefined) expect(kept.length).toBe(check.fileCount)
      if (check.rowCount !== undefined) expect(kept.reduce((n, f) => n + (JSON.parse(f.stats!).numRecords as number), 0)).toBe(check.rowCount)
    })
  }
})

describe('selectFiles with sub-millisecond timestamps (kernelrs__timestamp-truncation-stats)', () => {
  it('keeps the file of every row under an equality filter on its exact value', async () => {
    const dir = join(__dirname, '../../../shared/conformance/tables/kernelrs__timestamp-truncation-stats/delta')
    const files: AddFile[] = []
    let schemaString = ''
    for (const f of readdirSync(join(dir, '_delta_log')).sort()) {
      for (const line of readFileSync(join(dir, '_delta_log', f), 'utf8').split('\n').filter(Boolean)) {
        const a = JSON.parse(line)
        if (a.metaData) schemaString = a.metaData.schemaString
        if (a.add) files.push(a.add)
      }
    }
    const tinfo: SnapshotInfo = { schema: parseSchema(schemaString), partitionColumns: [], configuration: {} }
    let subMs = 0
    for (const file of files) {
      const buf = readFileSync(join(dir, file.path))
      const rows = await parquetReadObjects({
        file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer,
        parsers: { timestampFromMicroseconds: (us: bigint) => us, timestampFromMilliseconds: (ms: bigint) => BigInt(ms) * 1000n, timestampFromNanoseconds: (ns: bigint) => BigInt(ns) / 1000n } as never,
      })
      for (const row of rows) {
        const us = row.ts_col as bigint
        if (us % 1000n !== 0n) subMs++
        const kept = selectFiles(files, tinfo, col('ts_col').eq(lit(us, 'timestamp')))
        expect(kept.map((f) => f.path)).toContain(file.path)
      }
    }
    expect(subMs).toBeGreaterThan(0)
  })
})
