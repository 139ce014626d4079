import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  CommitConflictError, ConcurrentAppendError, ConcurrentDeleteDeleteError, ConcurrentDeleteReadError,
  ConcurrentTransactionError, InvalidArgumentError, MetadataChangedError, ProtocolChangedError,
} from '../../src/errors.js'
import { col } from '../../src/expr/builder.js'
import type { Action, AddFile } from '../../src/log/actions.js'
import {
  checkConflicts, isBlindAppend, isolationFor, type ConflictTable, type FileMatcher, type PendingCommit, type ReadSet,
} from '../../src/txn/conflict-checker.js'
import { effectiveIsolationLevel, operationChangesData, parseIsolationLevel, tableIsolationLevel } from '../../src/txn/isolation.js'
import {
  addAction, apply, fileMayMatch, metadataFor, observe, plan, PARTS, PROTOCOL, Registry, removeAction,
  type ModelFile, type Op, type Part, type Pred, type State,
} from './conflict-model.js'

const TABLE_URL = 'memory://orders'

function tableWith(props: Record<string, string> = {}): ConflictTable {
  return { tableUrl: TABLE_URL, protocol: PROTOCOL, metadata: metadataFor(props) }
}

/** The model's filters evaluated on an add's partition value and x min stat (what file skipping does). */
const modelMatcher: FileMatcher = (files, _table, filter) => files.filter((f) => {
  const stats = JSON.parse(f.stats ?? '{}') as { minValues?: { x?: number }; maxValues?: { x?: number } }
  const p = f.partitionValues.p as Part
  const min = stats.minValues?.x ?? Number.NEGATIVE_INFINITY
  return fileMayMatch({ p, rows: [min] }, filter as Pred)
})

function file(path: string, p: Part, rows: number[]): ModelFile { return { path: `p=${p}/${path}`, p, rows } }

function check(ours: PendingCommit, read: ReadSet, winnerActions: Action[], opts: { props?: Record<string, string>; op?: string; blind?: boolean } = {}) {
  return () => checkConflicts({
    table: tableWith(opts.props), ours, read, matchFiles: modelMatcher,
    winner: { version: read.readVersion + 1, actions: [{ commitInfo: { operation: opts.op ?? 'WRITE', isBlindAppend: opts.blind ?? false } }, ...winnerActions] },
  })
}

function thrown(fn: () => void): Error | undefined {
  try { fn() } catch (e) { return e as Error }
  return undefined
}

describe('isolation levels', () => {
  it('reads delta.isolationLevel, defaulting to WriteSerializable', () => {
    expect(tableIsolationLevel({})).toBe('WriteSerializable')
    expect(tableIsolationLevel({ 'delta.isolationLevel': 'Serializable' })).toBe('Serializable')
    expect(parseIsolationLevel('writeserializable')).toBe('WriteSerializable')
    expect(() => tableIsolationLevel({ 'delta.isolationLevel': 'SnapshotIsolation' }, TABLE_URL)).toThrow(InvalidArgumentError)
    expect(() => tableIsolationLevel({ 'delta.isolationLevel': 'bogus' }, TABLE_URL)).toThrow(/memory:\/\/orders/)
  })

  it('downgrades commits that change no data to snapshot isolation, as Delta does', () => {
    const f = file('f.parquet', 'a', [1])
    const rearrange = [removeAction(f, false), addAction(file('g.parquet', 'a', [1]), false)]
    expect(effectiveIsolationLevel('WriteSerializable', rearrange, 'OPTIMIZE')).toBe('SnapshotIsolation')
    expect(effectiveIsolationLevel('Serializable', rearrange, 'OPTIMIZE')).toBe('SnapshotIsolation')
    // Under WriteSerializable an operation that changes data keeps its level even if this commit doesn't.
    expect(effectiveIsolationLevel('WriteSerializable', [], 'DELETE')).toBe('WriteSerializable')
    expect(effectiveIsolationLevel('Serializable', [], 'DELETE')).toBe('SnapshotIsolation')
    expect(effectiveIsolationLevel('Serializable', [...rearrange, { metaData: metadataFor({}) }], 'OPTIMIZE')).toBe('Serializable')
    expect(effectiveIsolationLevel('WriteSerializable', [addAction(f)], 'WRITE')).toBe('WriteSerializable')
    expect(operationChangesData('optimize')).toBe(false)
    expect(operationChangesData('MERGE')).toBe(true)
    expect(operationChangesData('SOMETHING NEW')).toBe(true)
  })

  it('takes the per-operation level over the table level', () => {
    const ours: PendingCommit = { actions: [addAction(file('n.parquet', 'a', [1]))], operation: 'WRITE' }
    expect(isolationFor(tableWith({ 'delta.isolationLevel': 'Serializable' }), ours)).toBe('Serializable')
    expect(isolationFor(tableWith({ 'delta.isolationLevel': 'Serializable' }), { ...ours, isolationLevel: 'WriteSerializable' })).toBe('WriteSerializable')
  })
})

describe('isBlindAppend', () => {
  const add = addAction(file('n.parquet', 'a', [1]))
  it('is true only for adds of new data that read nothing', () => {
    expect(isBlindAppend([add], { readVersion: 3 })).toBe(true)
    expect(isBlindAppend([add, { txn: { appId: 's', version: 1 } }], { readVersion: 3, appIds: ['s'] })).toBe(true)
    expect(isBlindAppend([add], { readVersion: 3, predicates: [{ p: 'a' }] })).toBe(false)
    expect(isBlindAppend([add], { readVersion: 3, files: ['p=a/x.parquet'] })).toBe(false)
    expect(isBlindAppend([add], { readVersion: 3, wholeTable: true })).toBe(false)
    expect(isBlindAppend([add, removeAction(file('x.parquet', 'a', [1]))], { readVersion: 3 })).toBe(false)
    expect(isBlindAppend([], { readVersion: 3 })).toBe(false)
  })
})

describe('conflict rules, one by one', () => {
  const f1 = file('f1.parquet', 'a', [1, 5])
  const f2 = file('f2.parquet', 'b', [2, 8])
  const newA = file('new-a.parquet', 'a', [0, 3])
  const newB = file('new-b.parquet', 'b', [0, 3])
  const deleteA: PendingCommit = { actions: [removeAction(f1)], operation: 'DELETE' }
  const readA: ReadSet = { readVersion: 5, predicates: [{ p: 'a' }], files: [f1.path] }

  /** Every conflict message names the table, both versions, the winner's operation. */
  function expectNamed(err: Error | undefined, Cls: new (...a: never[]) => CommitConflictError, winnerOp: string, ...more: string[]) {
    expect(err).toBeInstanceOf(Cls)
    expect(err).toBeInstanceOf(CommitConflictError)
    const msg = err!.message
    expect(msg).toContain(TABLE_URL)
    expect(msg).toContain('version 5')
    expect(msg).toContain('version 6')
    expect(msg).toContain(winnerOp)
    for (const m of more) expect(msg).toContain(m)
    expect((err as CommitConflictError).table).toBe(TABLE_URL)
    expect((err as CommitConflictError).version).toBe(6)
  }

  it('blind appends never conflict with each other, whatever the isolation level', () => {
    const ours: PendingCommit = { actions: [addAction(newA)], operation: 'WRITE' }
    for (const props of [{}, { 'delta.isolationLevel': 'Serializable' }] as Record<string, string>[]) {
      expect(check(ours, { readVersion: 5 }, [addAction(newB), addAction(file('n2.parquet', 'a', [1]))], { props, blind: true })).not.toThrow()
      expect(check(ours, { readVersion: 5 }, [addAction(newA)], { props, blind: false })).not.toThrow()
    }
  })

  it('ConcurrentAppend: a winner add matching our filter, naming file and partition', () => {
    const err = thrown(check(deleteA, readA, [removeAction(f2), addAction(newA)], { op: 'MERGE' }))
    expectNamed(err, ConcurrentAppendError, 'MERGE', newA.path, 'partition [p=a]', 'DELETE')
    expect((err as ConcurrentAppendError).file).toBe(newA.path)
  })

  it('ConcurrentAppend: none when the winner wrote only other partitions or stats rule the file out', () => {
    expect(check(deleteA, readA, [addAction(newB)], { op: 'MERGE' })).not.toThrow()
    const readLow: ReadSet = { readVersion: 5, predicates: [{ p: 'a', xLt: 1 }], files: [f1.path] }
    expect(check(deleteA, readLow, [addAction(file('hi.parquet', 'a', [4, 9]))], { op: 'MERGE' })).not.toThrow()
    expect(thrown(check(deleteA, readLow, [addAction(file('lo.parquet', 'a', [0, 9]))], { op: 'MERGE' }))).toBeInstanceOf(ConcurrentAppendError)
  })

  it('WriteSerializable ignores blind appends for our reads; Serializable does not', () => {
    const winner = [addAction(newA)]
    expect(check(deleteA, readA, winner, { blind: true })).not.toThrow()
    expectNamed(thrown(check(deleteA, readA, winner, { blind: true, props: { 'delta.isolationLevel': 'Serializable' } })), ConcurrentAppendError, 'WRITE', newA.path)
    expectNamed(thrown(check({ ...deleteA, isolationLevel: 'Serializable' }, readA, winner, { blind: true })), ConcurrentAppendError, 'WRITE')
    // Our metadata change makes blind appends count again (they were written for the old metadata).
    const withMeta: PendingCommit = { ...deleteA, actions: [...deleteA.actions, { metaData: metadataFor({ k: 'v' }) }] }
    expect(thrown(check(withMeta, readA, winner, { blind: true }))).toBeInstanceOf(ConcurrentAppendError)
  })

  it('ConcurrentAppend: any add when we read the whole table', () => {
    const err = thrown(check(deleteA, { readVersion: 5, wholeTable: true, files: [f1.path] }, [addAction(newB)]))
    expectNamed(err, ConcurrentAppendError, 'WRITE', newB.path, 'whole table')
  })

  it('a rearrangement (OPTIMIZE) of ours is not failed by concurrent appends', () => {
    const g = file('g.parquet', 'a', [1, 5])
    const optimize: PendingCommit = { actions: [removeAction(f1, false), addAction(g, false)], operation: 'OPTIMIZE' }
    expect(check(optimize, readA, [addAction(newA)], { props: { 'delta.isolationLevel': 'Serializable' } })).not.toThrow()
  })

  it('ConcurrentDeleteRead: the winner removed a file we read, even an OPTIMIZE (dataChange=false)', () => {
    const insertSelect: PendingCommit = { actions: [addAction(newB)], operation: 'WRITE' }
    expectNamed(thrown(check(insertSelect, readA, [removeAction(f1)], { op: 'DELETE' })), ConcurrentDeleteReadError, 'DELETE', f1.path, 'partition [p=a]')
    const optimize = [removeAction(f1, false), addAction(file('c.parquet', 'a', [1, 5]), false)]
    expectNamed(thrown(check(insertSelect, readA, optimize, { op: 'OPTIMIZE' })), ConcurrentDeleteReadError, 'OPTIMIZE', f1.path)
    expectNamed(thrown(check(insertSelect, { readVersion: 5, wholeTable: true }, [removeAction(f2)], { op: 'DELETE' })), ConcurrentDeleteReadError, 'DELETE', f2.path, 'whole table')
    expect(check(insertSelect, readA, [removeAction(f2)], { op: 'DELETE' })).not.toThrow()
  })

  it('ConcurrentDeleteDelete: both removed the same file', () => {
    const err = thrown(check(deleteA, readA, [removeAction(f1)], { op: 'DELETE' }))
    expectNamed(err, ConcurrentDeleteDeleteError, 'DELETE', f1.path, 'partition [p=a]')
    expect((err as ConcurrentDeleteDeleteError).file).toBe(f1.path)
  })

  it('MetadataChanged: the winner committed a metaData action', () => {
    const append: PendingCommit = { actions: [addAction(newA)], operation: 'WRITE' }
    expectNamed(thrown(check(append, { readVersion: 5 }, [{ metaData: metadataFor({ k: 'v' }) }], { op: 'SET TBLPROPERTIES' })),
      MetadataChangedError, 'SET TBLPROPERTIES', 'metadata')
  })

  it('ProtocolChanged: the winner changed the protocol, or both wrote one', () => {
    const append: PendingCommit = { actions: [addAction(newA)], operation: 'WRITE' }
    const upgrade: Action = { protocol: { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['appendOnly'] } }
    expectNamed(thrown(check(append, { readVersion: 5 }, [upgrade], { op: 'UPGRADE PROTOCOL' })), ProtocolChangedError, 'UPGRADE PROTOCOL', '1/2', '1/7 [appendOnly]')
    // Restating the same protocol is harmless, unless we write one too.
    expect(check(append, { readVersion: 5 }, [{ protocol: { ...PROTOCOL } }])).not.toThrow()
    const ours: PendingCommit = { actions: [{ protocol: { minReaderVersion: 1, minWriterVersion: 4 } }], operation: 'UPGRADE PROTOCOL' }
    expect(thrown(check(ours, { readVersion: 5 }, [{ protocol: { ...PROTOCOL } }]))).toBeInstanceOf(ProtocolChangedError)
  })

  it('ConcurrentTransaction: the winner advanced an application id we read or write', () => {
    const ours: PendingCommit = { actions: [addAction(newA), { txn: { appId: 'stream-1', version: 8 } }], operation: 'STREAMING UPDATE' }
    const winner: Action[] = [addAction(newB), { txn: { appId: 'stream-1', version: 7 } }]
    expectNamed(thrown(check(ours, { readVersion: 5, appIds: ['stream-1'] }, winner, { blind: true })), ConcurrentTransactionError, 'WRITE', "'stream-1'")
    // Our txn action alone is a dependency (the loop always reads the app's version first).
    expect(thrown(check(ours, { readVersion: 5 }, winner, { blind: true }))).toBeInstanceOf(ConcurrentTransactionError)
    expect(check(ours, { readVersion: 5 }, [addAction(newB), { txn: { appId: 'stream-2', version: 1 } }], { blind: true })).not.toThrow()
  })

  it('ConcurrentTransaction: both wrote the same metadata domain', () => {
    const dm = (domain: string): Action => ({ domainMetadata: { domain, configuration: '{}', removed: false } })
    const ours: PendingCommit = { actions: [addAction(newA), dm('app.watermark')], operation: 'WRITE' }
    expectNamed(thrown(check(ours, { readVersion: 5 }, [dm('app.watermark')])), ConcurrentTransactionError, 'WRITE', 'app.watermark')
    expect(check(ours, { readVersion: 5 }, [dm('other')])).not.toThrow()
  })

  it('prints the read filter (SQL text or expression) in a ConcurrentAppend message', () => {
    const winner = { version: 6, actions: [addAction(newA)] }
    const sql = thrown(() => checkConflicts({ table: tableWith(), ours: deleteA, read: { ...readA, predicates: ["p = 'a'"] }, winner }))
    expect(sql?.message).toContain(`filter "p = 'a'"`)
    const expr = thrown(() => checkConflicts({ table: tableWith(), ours: deleteA, read: { ...readA, predicates: [col('p').eq('a')] }, winner }))
    expect(expr?.message).toMatch(/filter "`?p`? = 'a'"/)
  })

  it('by default matches with file skipping: partition values, then stats', () => {
    const run = (filter: string, added: ModelFile) => () => checkConflicts({
      table: tableWith(), ours: deleteA, read: { ...readA, predicates: [filter] }, winner: { version: 6, actions: [addAction(added)] },
    })
    expect(run("p = 'a'", newB)).not.toThrow()
    expect(run("p = 'a'", newA)).toThrow(ConcurrentAppendError)
    expect(run("p = 'a' AND x < 1", file('hi.parquet', 'a', [4, 9]))).not.toThrow()
    expect(run("p = 'a' AND x < 1", file('lo.parquet', 'a', [0, 9]))).toThrow(ConcurrentAppendError)
    expect(run('x > 8', file('lo.parquet', 'b', [0, 7]))).not.toThrow()
    expect(run('x > 8', file('hi.parquet', 'b', [0, 9]))).toThrow(ConcurrentAppendError)
  })

  it('a filter that cannot be evaluated against the table matches every file (conservative)', () => {
    for (const filter of [{ p: 'a' }, 'no_such_column = 1']) {
      expect(() => checkConflicts({ table: tableWith(), ours: deleteA, read: { ...readA, predicates: [filter] }, winner: { version: 6, actions: [addAction(newB)] } }))
        .toThrow(ConcurrentAppendError)
    }
  })

  it('falls back to the operation name "an unknown operation" when the winner has no commitInfo', () => {
    const err = thrown(() => checkConflicts({ table: tableWith(), ours: deleteA, read: readA, winner: { version: 6, actions: [removeAction(f1)] } }))
    expect(err?.message).toContain('an unknown operation')
  })
})

// ---- model-based properties ------------------------------------------------------------------------

const partArb = fc.constantFrom<Part>(...PARTS)
const rowsArb = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 4 })
const predArb: fc.Arbitrary<Pred> = fc.record({ p: fc.option(partArb, { nil: undefined }), xLt: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }) })
  .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as Pred)
const txnArb = fc.option(fc.record({ appId: fc.constantFrom('app-1', 'app-2'), version: fc.integer({ min: 1, max: 3 }) }), { nil: undefined })
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), p: partArb, rows: rowsArb, txn: txnArb }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('delete' as const), pred: predArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('overwrite' as const), p: partArb, rows: rowsArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('insertSelect' as const), pred: predArb, target: partArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('optimize' as const), p: partArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('setProp' as const), key: fc.constantFrom('k1', 'k2'), value: fc.constantFrom('v1', 'v2') }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'protocol' as const }) },
)
const initialArb = fc.array(fc.record({ p: partArb, rows: rowsArb }), { minLength: 0, maxLength: 6 })

interface Scenario { initial: { p: Part; rows: number[] }[]; winnerOp: Op; ourOp: Op; level: 'Serializable' | 'WriteSerializable'; perOp: boolean }

/** The model's filter as SQL, for the default matcher (the scan's file skipping). */
function predSql(pred: Pred): string {
  const parts = [...(pred.p === undefined ? [] : [`p = '${pred.p}'`]), ...(pred.xLt === undefined ? [] : [`x < ${pred.xLt}`])]
  return parts.length ? parts.join(' AND ') : 'TRUE'
}
type Matching = 'model' | 'file skipping'
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  initial: initialArb, winnerOp: opArb, ourOp: opArb,
  level: fc.constantFrom('Serializable' as const, 'WriteSerializable' as const), perOp: fc.boolean(),
})

/** Run one race: both plan at version N, the winner commits N+1, we ask the checker about ours. */
function race(sc: Scenario, matching: Matching = 'model') {
  const reg = new Registry()
  const props: Record<string, string> = sc.perOp ? {} : { 'delta.isolationLevel': sc.level }
  let s0: State = { files: new Map(), props, txns: new Map(), broken: false }
  s0 = apply(s0, sc.initial.map((f) => addAction(reg.create('init', f.p, f.rows))), reg)
  const w = plan(sc.winnerOp, s0, reg, 'w')
  const o = plan(sc.ourOp, s0, reg, 'o')
  const table = tableWith(props)
  const ours: PendingCommit = { actions: o.actions, operation: o.operation, isolationLevel: sc.perOp ? sc.level : undefined }
  const read: ReadSet = { ...o.read, readVersion: 0 }
  const checkedRead: ReadSet = matching === 'model' ? read : { ...read, predicates: (read.predicates ?? []).map((pr) => predSql(pr as Pred)) }
  const error = thrown(() => checkConflicts({
    table, ours, read: checkedRead, matchFiles: matching === 'model' ? modelMatcher : undefined,
    winner: { version: 1, actions: [{ commitInfo: w.commitInfo }, ...w.actions] },
  }))
  if (error && !(error instanceof CommitConflictError)) throw error

  const s1 = apply(s0, w.actions, reg)
  const rebased = apply(s1, o.actions, reg)
  const serial = apply(s1, plan(sc.ourOp, s1, reg, 'o2').actions, reg)          // winner, then us
  const level = isolationFor(table, ours)
  // WriteSerializable may order a blind append after us; a commit that changes no data may go first.
  const mayGoFirst = (level === 'WriteSerializable' && w.commitInfo.isBlindAppend === true) || level === 'SnapshotIsolation'
  const oursFirst = apply(apply(s0, o.actions, reg), w.actions, reg)
  const allowed = !rebased.broken && (observe(rebased) === observe(serial) || (mayGoFirst && !oursFirst.broken && observe(rebased) === observe(oursFirst)))
  return { error, allowed, w, o, read, level, ours }
}

describe.each<Matching>(['model', 'file skipping'])('conflict checker against a serial-execution model (%s matching)', (matching) => {
  it('raises whenever the rebased commit would give a result no allowed serial order gives', () => {
    fc.assert(fc.property(scenarioArb, (sc) => {
      const { error, allowed } = race(sc, matching)
      if (!allowed) expect(error, 'a conflict was required').toBeInstanceOf(CommitConflictError)
    }), { numRuns: matching === 'model' ? 2000 : 500 })
  })

  it('raises only conflicts Delta would raise, each justified by the actions', () => {
    fc.assert(fc.property(scenarioArb, (sc) => {
      const { error, w, o, read, level, ours } = race(sc, matching)
      if (!error) return
      const wRemoves = w.actions.flatMap((a) => ('remove' in a ? [a.remove.path] : []))
      const wAdds = w.actions.flatMap((a) => ('add' in a ? [a.add] : []))
      const oRemoves = new Set(o.actions.flatMap((a) => ('remove' in a ? [a.remove.path] : [])))
      const readFiles = new Set(read.files ?? [])
      const appIds = new Set([...(read.appIds ?? []), ...o.actions.flatMap((a) => ('txn' in a ? [a.txn.appId] : []))])
      if (error instanceof ProtocolChangedError) expect(w.actions.some((a) => 'protocol' in a)).toBe(true)
      else if (error instanceof MetadataChangedError) expect(w.actions.some((a) => 'metaData' in a)).toBe(true)
      else if (error instanceof ConcurrentTransactionError) expect(w.actions.some((a) => 'txn' in a && appIds.has(a.txn.appId))).toBe(true)
      else if (error instanceof ConcurrentDeleteDeleteError) expect(wRemoves.some((p) => oRemoves.has(p))).toBe(true)
      else if (error instanceof ConcurrentDeleteReadError) expect(wRemoves.some((p) => readFiles.has(p)) || (read.wholeTable === true && wRemoves.length > 0)).toBe(true)
      else if (error instanceof ConcurrentAppendError) {
        expect(isBlindAppend(ours.actions, read)).toBe(false)
        expect(level).not.toBe('SnapshotIsolation')
        if (level === 'WriteSerializable' && !o.actions.some((a) => 'metaData' in a)) expect(w.commitInfo.isBlindAppend).toBe(false)
        const matches = (add: AddFile) => read.wholeTable === true ||
          (read.predicates ?? []).some((pr) => fileMayMatch({ p: add.partitionValues.p as Part, rows: [JSON.parse(add.stats!).minValues.x] }, pr as Pred))
        expect(wAdds.some(matches)).toBe(true)
      } else throw new Error(`unexpected ${error.name}`)
      // Every message names the table, our read version, the winning version and its operation.
      expect(error.message).toContain(TABLE_URL)
      expect(error.message).toContain('version 0')
      expect(error.message).toContain('version 1')
      expect(error.message).toContain(w.operation)
    }), { numRuns: matching === 'model' ? 2000 : 500 })
  })

  it('never fails writers that touch disjoint partitions, nor two blind appends', () => {
    const partitionOnly = (op: Op): Part | undefined => {
      switch (op.kind) {
        case 'append': case 'overwrite': case 'optimize': return op.p
        case 'delete': return op.pred.p
        case 'insertSelect': return op.pred.p !== undefined && op.pred.p === op.target ? op.pred.p : undefined
        default: return undefined
      }
    }
    fc.assert(fc.property(scenarioArb, (sc) => {
      const wp = partitionOnly(sc.winnerOp)
      const op = partitionOnly(sc.ourOp)
      const bothAppend = sc.winnerOp.kind === 'append' && sc.ourOp.kind === 'append' && !(sc.winnerOp.txn && sc.ourOp.txn && sc.winnerOp.txn.appId === sc.ourOp.txn.appId)
      const disjoint = wp !== undefined && op !== undefined && wp !== op &&
        !(sc.winnerOp.kind === 'append' && sc.ourOp.kind === 'append' && sc.winnerOp.txn?.appId !== undefined && sc.winnerOp.txn.appId === sc.ourOp.txn?.appId)
      if (!bothAppend && !disjoint) return
      expect(race(sc, matching).error).toBeUndefined()
    }), { numRuns: matching === 'model' ? 2000 : 500 })
  })
})
