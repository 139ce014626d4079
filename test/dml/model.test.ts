import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { DeltaTable, MemoryStore } from '../../src/index.js'
import { InvalidArgumentError, MergeCardinalityError } from '../../src/errors.js'
import type { StructField } from '../../src/schema/types.js'
import {
  canon, CardinalityViolation, MATCHED_CONDS, referenceCdc, referenceMerge, SOURCE_CONDS, TARGET_CONDS,
  type BySourceClause, type Change, type InsertClause, type MatchedClause, type MergeSpec, type Row,
} from './model.js'

const f = (name: string, type: StructField['type'], nullable = true): StructField => ({ name, type, nullable, metadata: {} })

interface Layout { dv: boolean; cdf: boolean; partitioned: boolean }
const layout = fc.record({ dv: fc.boolean(), cdf: fc.boolean(), partitioned: fc.boolean() })

async function makeTable(l: Layout, extra: StructField[] = [], primaryKey?: string): Promise<DeltaTable> {
  return DeltaTable.create(new MemoryStore(), {
    schema: { type: 'struct', fields: [f('id', 'long'), f('a', 'integer'), f('b', 'integer'), f('p', 'integer', false), ...extra] },
    partitionBy: l.partitioned ? ['p'] : [],
    primaryKey,
    properties: { 'delta.enableDeletionVectors': String(l.dv), 'delta.enableChangeDataFeed': String(l.cdf) },
  })
}

const small = fc.option(fc.integer({ min: 0, max: 9 }), { nil: null, freq: 5 })
const rowArb = (ids: fc.Arbitrary<bigint | null>): fc.Arbitrary<Row> =>
  fc.record({ id: ids, a: small, b: small, p: fc.integer({ min: 0, max: 2 }) })
const targetIds = fc.bigInt({ min: 0n, max: 40n })
const sourceIds = fc.option(fc.bigInt({ min: 0n, max: 50n }), { nil: null, freq: 12 })

const matchedClause: fc.Arbitrary<MatchedClause> = fc.oneof(
  fc.record({ kind: fc.constant('update' as const), cond: fc.option(fc.constantFrom(...MATCHED_CONDS), { nil: undefined }), set: fc.constantFrom('all' as const, 'a_from_source' as const) }),
  fc.record({ kind: fc.constant('delete' as const), cond: fc.option(fc.constantFrom(...MATCHED_CONDS), { nil: undefined }) }),
)
const insertClause: fc.Arbitrary<InsertClause> = fc.record({ kind: fc.constant('insert' as const), cond: fc.option(fc.constantFrom(...SOURCE_CONDS), { nil: undefined }), values: fc.constantFrom('all' as const, 'a_only' as const) })
const bySourceClause: fc.Arbitrary<BySourceClause> = fc.record({ kind: fc.constantFrom('update' as const, 'delete' as const), cond: fc.option(fc.constantFrom(...TARGET_CONDS), { nil: undefined }) })

/** Only the last clause of a kind may be unconditional: give earlier ones a condition. */
function normalise<C extends { cond?: unknown }>(cs: C[], fallback: C['cond']): C[] {
  return cs.map((c, i) => (i < cs.length - 1 && !c.cond ? { ...c, cond: fallback } : c))
}
const spec: fc.Arbitrary<MergeSpec> = fc.record({
  matched: fc.array(matchedClause, { maxLength: 2 }).map((cs) => normalise(cs, MATCHED_CONDS[0])),
  notMatched: fc.array(insertClause, { maxLength: 2 }).map((cs) => normalise(cs, SOURCE_CONDS[0])),
  bySource: fc.array(bySourceClause, { maxLength: 2 }).map((cs) => normalise(cs, TARGET_CONDS[0])),
}).filter((s) => s.matched.length + s.notMatched.length + s.bySource.length > 0)

const ON = { sql: 'target.id = source.id', keys: ['id'], composite: 't.id = s.id AND t.p = s.p' } as const
type OnForm = keyof typeof ON

function runSpec(t: DeltaTable, source: Row[], s: MergeSpec, on: OnForm) {
  const b = t.merge(source, { on: ON[on] as string | string[] })
  for (const c of s.matched) {
    const condition = c.cond?.sql
    if (c.kind === 'delete') b.whenMatchedDelete({ condition })
    else if (c.set === 'all') b.whenMatchedUpdateAll({ condition })
    else b.whenMatchedUpdate({ set: { a: 's.a' }, condition })
  }
  for (const c of s.notMatched) {
    if (c.values === 'all') b.whenNotMatchedInsertAll({ condition: c.cond?.sql })
    else b.whenNotMatchedInsert({ values: { id: 'source.id', a: 's.a', p: 's.p' }, condition: c.cond?.sql })
  }
  for (const c of s.bySource) {
    if (c.kind === 'delete') b.whenNotMatchedBySourceDelete({ condition: c.cond?.sql })
    else b.whenNotMatchedBySourceUpdate({ set: { b: 'b + 1' }, condition: c.cond?.sql })
  }
  return b.execute()
}

/** Every version read back (time travel) equals the reference state recorded for it; CDF rows replay each step. */
async function checkHistory(t: DeltaTable, states: Map<number, Row[]>, cdf: boolean) {
  for (const [v, rows] of states) {
    const old = await DeltaTable.open(t.store, { version: v })
    expect(canon(await old.toRows())).toEqual(canon(rows as never))
  }
  if (!cdf) return
  const versions = [...states.keys()].sort((a, b) => a - b)
  for (let i = 1; i < versions.length; i++) {
    const before = canon(states.get(versions[i - 1])! as never)
    const changes = await t.changes({ startVersion: versions[i], endVersion: versions[i] })
    const strip = (r: Record<string, unknown>) => { const { _change_type: _a, _commit_version: _b, _commit_timestamp: _c, ...rest } = r; return rest }
    const removed = canon(changes.filter((c) => c._change_type === 'delete' || c._change_type === 'update_preimage').map(strip))
    const added = canon(changes.filter((c) => c._change_type === 'insert' || c._change_type === 'update_postimage').map(strip))
    const after = [...before]
    for (const r of removed) { const k = after.indexOf(r); expect(k).toBeGreaterThanOrEqual(0); after.splice(k, 1) }
    expect([...after, ...added].sort()).toEqual(canon(states.get(versions[i])! as never))
  }
}

describe('MERGE builder against the reference model', () => {
  it('random tables, sources and clause combinations; every version by time travel; CDF replays', async () => {
    await fc.assert(fc.asyncProperty(
      layout, fc.uniqueArray(targetIds, { maxLength: 25 }), fc.array(fc.tuple(fc.array(rowArb(sourceIds), { maxLength: 10 }), spec, fc.constantFrom<OnForm>('sql', 'keys', 'composite')), { minLength: 1, maxLength: 3 }),
      fc.array(small, { minLength: 25, maxLength: 25 }), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 25, maxLength: 25 }),
      async (l, ids, steps, as, ps) => {
        const t = await makeTable(l)
        let state: Row[] = ids.map((id, i) => ({ id, a: as[i], b: as[(i + 3) % 25], p: ps[i] }))
        await t.append(state)
        const states = new Map<number, Row[]>([[t.version, state]])
        for (const [source, s, on] of steps) {
          let expected: Row[] | undefined
          try { expected = referenceMerge(state, source, s, on === 'composite') } catch (e) { if (!(e instanceof CardinalityViolation)) throw e }
          const before = t.version
          if (expected === undefined) {
            await expect(runSpec(t, source, s, on)).rejects.toBeInstanceOf(MergeCardinalityError)
            expect(t.version).toBe(before)
            continue
          }
          await runSpec(t, source, s, on)
          state = expected
          states.set(t.version, state)
          expect(canon(await t.toRows())).toEqual(canon(state as never))
        }
        await checkHistory(t, states, l.cdf)
      }), { numRuns: Number(process.env.DML_RUNS ?? 30) })
  }, 60_000)
})

const opSpelling: Record<'I' | 'U' | 'D', string[]> = { I: ['I', 'insert', 'c', 'r', 'INSERT'], U: ['U', 'update', 'u', 'Update'], D: ['D', 'delete', 'd'] }
const change = fc.record({
  op: fc.constantFrom('I', 'U', 'D').chain((o) => fc.constantFrom(...opSpelling[o as 'I' | 'U' | 'D'])),
  id: fc.bigInt({ min: 0n, max: 30n }), a: small, b: small, p: fc.integer({ min: 0, max: 2 }),
  seq: fc.option(fc.bigInt({ min: 0n, max: 6n }), { nil: null, freq: 8 }),
})

describe('CDC merge against the reference model', () => {
  it('duplicates per key, deletes, late events, soft deletes; every version by time travel', async () => {
    await fc.assert(fc.asyncProperty(
      layout, fc.record({ seq: fc.boolean(), ignoreOlder: fc.boolean(), storeSeq: fc.boolean(), soft: fc.boolean() }),
      fc.array(fc.array(change, { maxLength: 14 }), { minLength: 1, maxLength: 3 }),
      async (l, o, batches) => {
        const opts = { ...o, ignoreOlder: o.ignoreOlder && o.seq }
        const extra = [...(opts.storeSeq ? [f('seq', 'long')] : []), ...(opts.soft ? [f('deleted', 'boolean')] : [])]
        const t = await makeTable(l, extra, 'id')
        let state: Row[] = []
        const states = new Map<number, Row[]>([[t.version, state]])
        for (const batch of batches) {
          const run = t.merge(batch, {
            ...(opts.seq ? { sequence: 'seq' } : {}), ignoreOlderThanTarget: opts.ignoreOlder,
            ...(opts.soft ? { softDelete: { column: 'deleted' } } : {}),
            ...(!opts.seq && !opts.storeSeq ? { ignoreColumns: ['seq'] } : {}),
          })
          if (opts.ignoreOlder && !opts.storeSeq) {
            // nothing to compare late changes with: refused, the table untouched
            const before = t.version
            await expect(run).rejects.toBeInstanceOf(InvalidArgumentError)
            expect(t.version).toBe(before)
            continue
          }
          await run
          state = referenceCdc(state, batch as Change[], opts)
          states.set(t.version, state)
          expect(canon(await t.toRows())).toEqual(canon(state as never))
        }
        await checkHistory(t, states, l.cdf)
      }), { numRuns: Number(process.env.DML_RUNS ?? 30) })
  }, 60_000)
})
