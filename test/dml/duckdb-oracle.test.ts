// DuckDB's MERGE INTO as a second oracle for the builder form: the same random table, source and
// clauses run through both engines must leave the same rows. DuckDB does not raise Delta's
// cardinality error, so sources here have unique keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { DeltaTable, MemoryStore } from '../../src/index.js'
import type { StructField } from '../../src/schema/types.js'
import { canon, MATCHED_CONDS, SOURCE_CONDS, TARGET_CONDS, type MergeSpec, type Row } from './model.js'

type Duck = { run(sql: string): Promise<unknown>; runAndReadAll(sql: string): Promise<{ getRowObjects(): Record<string, unknown>[] }> }
let duck: Duck | undefined

beforeAll(async () => {
  try {
    const { DuckDBInstance } = await import('@duckdb/node-api')
    duck = (await (await DuckDBInstance.create(':memory:')).connect()) as unknown as Duck
  } catch {
    duck = undefined // optional devDependency missing: the test below reports it
  }
})
afterAll(() => { duck = undefined })

/** Our condition texts in DuckDB's spelling (tables named target and source, no aliases). */
const DUCK_SQL: Record<string, string> = {
  's.a > 5': 'source.a > 5', 't.b < 3': 'target.b < 3', 'source.a = target.a': 'source.a = target.a', 's.b IS NULL': 'source.b IS NULL',
  'a > 3': 'source.a > 3', 's.b IS NOT NULL': 'source.b IS NOT NULL', 'source.p = 1': 'source.p = 1',
  'b > 4': 'target.b > 4', 't.p = 0': 'target.p = 0', 'target.a IS NULL': 'target.a IS NULL',
}
const lit = (v: bigint | number | null) => (v === null ? 'NULL' : String(v))
const values = (rows: Row[]) => rows.map((r) => `(${lit(r.id)}, ${lit(r.a)}, ${lit(r.b)}, ${lit(r.p)})`).join(', ')

function duckMerge(s: MergeSpec, composite: boolean): string {
  const on = composite ? 'target.id = source.id AND target.p = source.p' : 'target.id = source.id'
  const when = (cond?: { sql: string }) => (cond ? ` AND ${DUCK_SQL[cond.sql]}` : '')
  const parts = [`MERGE INTO target USING source ON ${on}`]
  for (const c of s.matched) {
    parts.push(`WHEN MATCHED${when(c.cond)} THEN ${c.kind === 'delete' ? 'DELETE' : c.set === 'all' ? 'UPDATE SET id = source.id, a = source.a, b = source.b, p = source.p' : 'UPDATE SET a = source.a'}`)
  }
  for (const c of s.notMatched) {
    parts.push(`WHEN NOT MATCHED${when(c.cond)} THEN ${c.values === 'all' ? 'INSERT (id, a, b, p) VALUES (source.id, source.a, source.b, source.p)' : 'INSERT (id, a, p) VALUES (source.id, source.a, source.p)'}`)
  }
  for (const c of s.bySource) {
    parts.push(`WHEN NOT MATCHED BY SOURCE${when(c.cond)} THEN ${c.kind === 'delete' ? 'DELETE' : 'UPDATE SET b = target.b + 1'}`)
  }
  return parts.join(' ')
}

const f = (name: string, type: StructField['type'], nullable = true): StructField => ({ name, type, nullable, metadata: {} })
const small = fc.option(fc.integer({ min: 0, max: 9 }), { nil: null, freq: 5 })
const row = (id: fc.Arbitrary<bigint | null>) => fc.record({ id, a: small, b: small, p: fc.integer({ min: 0, max: 2 }) })
const cond = <T>(xs: T[]) => fc.option(fc.constantFrom(...xs), { nil: undefined })
const spec: fc.Arbitrary<MergeSpec> = fc.record({
  matched: fc.array(fc.oneof(
    fc.record({ kind: fc.constant('update' as const), cond: cond(MATCHED_CONDS), set: fc.constantFrom('all' as const, 'a_from_source' as const) }),
    fc.record({ kind: fc.constant('delete' as const), cond: cond(MATCHED_CONDS) })), { maxLength: 2 }),
  notMatched: fc.array(fc.record({ kind: fc.constant('insert' as const), cond: cond(SOURCE_CONDS), values: fc.constantFrom('all' as const, 'a_only' as const) }), { maxLength: 2 }),
  bySource: fc.array(fc.record({ kind: fc.constantFrom('update' as const, 'delete' as const), cond: cond(TARGET_CONDS) }), { maxLength: 2 }),
}).map((s) => ({ // only the last clause of a kind may be unconditional (Delta's rule)
  matched: s.matched.map((c, i) => (i < s.matched.length - 1 && !c.cond ? { ...c, cond: MATCHED_CONDS[0] } : c)),
  notMatched: s.notMatched.map((c, i) => (i < s.notMatched.length - 1 && !c.cond ? { ...c, cond: SOURCE_CONDS[0] } : c)),
  bySource: s.bySource.map((c, i) => (i < s.bySource.length - 1 && !c.cond ? { ...c, cond: TARGET_CONDS[0] } : c)),
})).filter((s) => s.matched.length + s.notMatched.length + s.bySource.length > 0)

describe('MERGE builder against DuckDB MERGE INTO', () => {
  it('same rows after random merges (unique source keys)', async (ctx) => {
    if (!duck) return ctx.skip()
    const db = duck
    await fc.assert(fc.asyncProperty(
      fc.uniqueArray(row(fc.bigInt({ min: 0n, max: 30n })), { selector: (r) => r.id, maxLength: 20 }),
      fc.uniqueArray(row(fc.option(fc.bigInt({ min: 0n, max: 40n }), { nil: null, freq: 10 })), { selector: (r) => r.id ?? `null${Math.random()}`, maxLength: 10 }),
      spec, fc.boolean(), fc.boolean(),
      async (target, source, s, composite, dv) => {
        await db.run('DROP TABLE IF EXISTS target; DROP TABLE IF EXISTS source')
        await db.run('CREATE TABLE target (id BIGINT, a INTEGER, b INTEGER, p INTEGER); CREATE TABLE source (id BIGINT, a INTEGER, b INTEGER, p INTEGER)')
        if (target.length) await db.run(`INSERT INTO target VALUES ${values(target)}`)
        if (source.length) await db.run(`INSERT INTO source VALUES ${values(source)}`)
        await db.run(duckMerge(s, composite))
        const want = (await db.runAndReadAll('SELECT id, a, b, p FROM target')).getRowObjects()

        const t = await DeltaTable.create(new MemoryStore(), {
          schema: { type: 'struct', fields: [f('id', 'long'), f('a', 'integer'), f('b', 'integer'), f('p', 'integer', false)] },
          properties: { 'delta.enableDeletionVectors': String(dv) },
        })
        if (target.length) await t.append(target)
        const b = t.merge(source, { on: composite ? 't.id = s.id AND t.p = s.p' : ['id'] })
        for (const c of s.matched) {
          if (c.kind === 'delete') b.whenMatchedDelete({ condition: c.cond?.sql })
          else if (c.set === 'all') b.whenMatchedUpdateAll({ condition: c.cond?.sql })
          else b.whenMatchedUpdate({ set: { a: 's.a' }, condition: c.cond?.sql })
        }
        for (const c of s.notMatched) {
          if (c.values === 'all') b.whenNotMatchedInsertAll({ condition: c.cond?.sql })
          else b.whenNotMatchedInsert({ values: { id: 's.id', a: 's.a', p: 's.p' }, condition: c.cond?.sql })
        }
        for (const c of s.bySource) {
          if (c.kind === 'delete') b.whenNotMatchedBySourceDelete({ condition: c.cond?.sql })
          else b.whenNotMatchedBySourceUpdate({ set: { b: 'b + 1' }, condition: c.cond?.sql })
        }
        await b.execute()
        expect(canon(await t.toRows())).toEqual(canon(want))
      }), { numRuns: Number(process.env.DML_RUNS ?? 40) })
  }, 60_000)
})
