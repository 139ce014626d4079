// DuckDB as an independent reader of what we write: every data file and the checkpoint must read
// back in DuckDB with the values we wrote (types as Spark writes them: timestamps, decimals, nested).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import type { DataType, StructField } from '../../src/schema/types.js'

type Duck = { runAndReadAll(sql: string): Promise<{ getRowObjectsJson(): Record<string, unknown>[] }> }
let duck: Duck | undefined
const dirs: string[] = []

beforeAll(async () => {
  try {
    const { DuckDBInstance } = await import('@duckdb/node-api')
    duck = (await (await DuckDBInstance.create(':memory:')).connect()) as unknown as Duck
  } catch {
    duck = undefined
  }
})
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

const f = (name: string, type: DataType): StructField => ({ name, type, nullable: true, metadata: {} })

describe('DuckDB reads what we write', () => {
  for (const nested of [true, false]) it(`data files and checkpoint, every type${nested ? '' : ' (flat columns only: our page encoder)'}`, async () => {
    if (!duck) { expect.soft(duck, '@duckdb/node-api is not installed').toBeDefined(); return }
    const dir = mkdtempSync(join(tmpdir(), 'lagomago-duck-'))
    dirs.push(dir)
    const t = await DeltaTable.create(dir, {
      schema: { type: 'struct', fields: [
        f('id', 'long'), f('p', 'string'), f('i', 'integer'), f('sh', 'short'), f('tiny', 'byte'), f('d', 'double'), f('fl', 'float'), f('s', 'string'), f('b', 'boolean'),
        f('bin', 'binary'), f('day', 'date'), f('ts', 'timestamp'), f('ntz', 'timestamp_ntz'), f('dec', 'decimal(10,2)'), f('big', 'decimal(25,3)'),
        ...(nested ? [
          f('st', { type: 'struct', fields: [f('x', 'integer'), f('y', 'string')] }),
          f('arr', { type: 'array', elementType: 'long', containsNull: true }),
          f('m', { type: 'map', keyType: 'string', valueType: 'integer', valueContainsNull: true }),
        ] : []),
      ] },
      partitionBy: ['p'],
      properties: { 'delta.checkpointInterval': '2' },
    })
    const rows = Array.from({ length: 50 }, (_, k) => ({
      id: BigInt(k), p: k % 2 ? 'odd' : 'even', i: k * 3 - 40, sh: k, tiny: k - 20, d: k / 8, fl: k / 4, s: `s-${k}-é`, b: k % 3 === 0,
      bin: new Uint8Array([k, 255 - k]), day: new Date(Date.UTC(2020, 0, 1 + k)), ts: new Date(Date.UTC(2024, 5, 1, 0, 0, k, k)),
      ntz: `2021-03-0${1 + (k % 9)} 10:00:0${k % 10}`, dec: `${k}.${String(k % 100).padStart(2, '0')}`, big: `-12345678901234567890.${String(k).padStart(3, '0')}`,
      st: k % 5 ? { x: k, y: `y${k}` } : null, arr: k % 4 ? [BigInt(k), null] : [], m: k % 6 ? new Map([['k', k]]) : null,
    }))
    if (!nested) for (const r of rows as Array<Record<string, unknown>>) { delete r.st; delete r.arr; delete r.m }
    await t.append(rows.slice(0, 25))
    await t.append(rows.slice(25))
    expect(t.version).toBe(2)

    const files = (await t.files()).map((a) => `'${join(dir, decodeURIComponent(a.path))}'`)
    const got = (await duck.runAndReadAll(`
      SELECT id, i, sh, tiny, d, fl, s, b, hex(bin) AS bin, CAST(day AS VARCHAR) AS day, epoch_us(ts) AS ts, epoch_us(ntz) AS ntz,
             CAST(dec AS VARCHAR) AS dec, CAST(big AS VARCHAR) AS big${nested ? ', to_json(st) AS st, to_json(arr) AS arr, to_json(m) AS m' : ''}
      FROM read_parquet([${files.join(', ')}]) ORDER BY id`)).getRowObjectsJson()
    expect(got).toHaveLength(50)
    got.forEach((r, k) => {
      const e = rows[k]
      expect(r).toEqual({
        ...(nested ? {
          st: e.st === null ? null : JSON.stringify(e.st), arr: JSON.stringify(e.arr.map((x) => (x === null ? null : Number(x)))),
          m: e.m === null ? null : JSON.stringify(Object.fromEntries(e.m)),
        } : {}),
        id: String(k), i: e.i, sh: e.sh, tiny: e.tiny, d: e.d, fl: e.fl, s: e.s, b: e.b,
        bin: Buffer.from(e.bin).toString('hex').toUpperCase(), day: e.day.toISOString().slice(0, 10),
        ts: String(e.ts.getTime() * 1000), ntz: String(Date.parse(`${e.ntz.replace(' ', 'T')}Z`) * 1000),
        dec: e.dec, big: e.big,
      })
    })
    // DuckDB sees the logical types, not just the physical ones
    const types = (await duck.runAndReadAll(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${files[0]}))`)).getRowObjectsJson()
    expect(Object.fromEntries(types.map((x) => [x.column_name, x.column_type]))).toMatchObject({
      ts: 'TIMESTAMP WITH TIME ZONE', ntz: 'TIMESTAMP', day: 'DATE', dec: 'DECIMAL(10,2)', big: 'DECIMAL(25,3)', sh: 'SMALLINT', tiny: 'TINYINT',
      ...(nested ? { m: 'MAP(VARCHAR, INTEGER)' } : {}),
    })

    const cp = join(dir, '_delta_log', '00000000000000000002.checkpoint.parquet')
    const adds = (await duck.runAndReadAll(`SELECT add.path AS path, add.partitionValues AS pv, json_extract(add.stats, '$.numRecords') AS n FROM read_parquet('${cp}') WHERE add IS NOT NULL ORDER BY path`)).getRowObjectsJson()
    expect(adds.map((a) => a.path)).toEqual((await t.files()).map((a) => a.path).sort())
    expect(adds.reduce((n, a) => n + Number(a.n), 0)).toBe(50)
    const proto = (await duck.runAndReadAll(`SELECT protocol.minReaderVersion AS r, protocol.minWriterVersion AS w FROM read_parquet('${cp}') WHERE protocol IS NOT NULL`)).getRowObjectsJson()
    expect(proto).toEqual([{ r: 3, w: 7 }])
  })
})
