// Replay rules as properties: random add/remove histories (with deletion vectors and re-adds)
// replayed by lagomago agree with a simple forward model, and a checkpoint at any version gives
// the same state as replaying the JSON commits.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Action, AddFile, DeletionVectorDescriptor, RemoveFile } from '../../src/log/actions.js'
import type { CheckpointData } from '../../src/log/checkpoint-read.js'
import { replay, type CommitBatch } from '../../src/log/replay.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { MemoryStore } from '../../src/storage/memory-store.js'
import { add, commitInfo, metadataAction, protocolAction, remove, writeCheckpoint, writeCommit } from './fixtures.js'

type Op = { kind: 'add' | 'remove'; file: number; dv: number; size: number }

const opArb = fc.record({
  kind: fc.constantFrom<'add' | 'remove'>('add', 'add', 'remove'),
  file: fc.integer({ min: 0, max: 5 }),
  dv: fc.integer({ min: 0, max: 2 }), // 0 = no deletion vector
  size: fc.integer({ min: 1, max: 1000 }),
})
// Each commit touches a (path, dv) at most once, as PROTOCOL.md requires of a valid commit.
const commitArb = fc.uniqueArray(opArb, { minLength: 1, maxLength: 4, selector: (o) => `${o.file}/${o.dv}` })
const historyArb = fc.array(commitArb, { minLength: 1, maxLength: 12 })

const dvOf = (dv: number): DeletionVectorDescriptor | undefined =>
  dv === 0 ? undefined : { storageType: 'i', pathOrInlineDv: `dv${dv}`, sizeInBytes: 1, cardinality: dv }

function toActions(ops: Op[]): Action[] {
  return ops.map((o) => o.kind === 'add'
    ? add(`f${o.file}.parquet`, { size: o.size, deletionVector: dvOf(o.dv) })
    : remove(`f${o.file}.parquet`, { size: o.size, deletionVector: dvOf(o.dv) }))
}

/** The obvious forward model: apply commits in order to a map keyed by path and DV id. */
function model(history: Op[][]): { active: Map<string, number>; removed: Set<string> } {
  const active = new Map<string, number>()
  const removed = new Set<string>()
  for (const commit of history) {
    for (const o of commit) {
      const k = `f${o.file}.parquet|${o.dv}`
      if (o.kind === 'add') { active.set(k, o.size); removed.delete(k) } else { active.delete(k); removed.add(k) }
    }
  }
  return { active, removed }
}

const keyOf = (f: { path: string; deletionVector?: DeletionVectorDescriptor | null }) =>
  `${f.path}|${f.deletionVector ? f.deletionVector.pathOrInlineDv.slice(2) : 0}`

describe('replay', () => {
  it('agrees with a forward model on random add/remove histories', () => {
    fc.assert(fc.property(historyArb, (history) => {
      const batches: CommitBatch[] = history.map((ops, v) => ({ version: v + 1, key: `c${v + 1}`, actions: toActions(ops) }))
      const state = replay(batches)
      const m = model(history)
      expect(new Map(state.adds.map((f) => [keyOf(f), f.size]))).toEqual(m.active)
      expect(new Set(state.removes.map(keyOf))).toEqual(m.removed)
      expect(state.adds.length).toBe(m.active.size)
    }), { numRuns: 300 })
  })

  it('newest metaData and protocol win', () => {
    const batches: CommitBatch[] = [
      { version: 0, key: 'a', actions: [protocolAction(1, 2), metadataAction({ a: '1' })] },
      { version: 1, key: 'b', actions: [metadataAction({ a: '2' })] },
      { version: 2, key: 'c', actions: [protocolAction(3, 7)] },
    ]
    const s = replay(batches)
    expect(s.metadata?.configuration).toEqual({ a: '2' })
    expect(s.protocol?.minReaderVersion).toBe(3)
  })

  it('a checkpoint at any version gives the state of a JSON replay', async () => {
    await fc.assert(fc.asyncProperty(historyArb, fc.nat(), async (history, pick) => {
      const store = new MemoryStore()
      await writeCommit(store, 0, [commitInfo(1), protocolAction(), metadataAction()])
      for (let i = 0; i < history.length; i++) await writeCommit(store, i + 1, [commitInfo(i + 2), ...toActions(history[i])])
      const cpVersion = pick % (history.length + 1)
      await writeCheckpoint(store, cpVersion)
      const fast = await loadSnapshot(store)
      const slow = await loadSnapshot(store, { jsonOnly: true })
      const files = (s: typeof fast) => s.activeFiles().map((f) => `${keyOf(f)}|${f.size}`).sort()
      expect(files(fast)).toEqual(files(slow))
      expect(fast.tombstones().map(keyOf).sort()).toEqual(slow.tombstones().map(keyOf).sort())
    }), { numRuns: 40 })
  })

  it('checkpoint files later commits touched give way to them; the rest stay, in checkpoint order', () => {
    // Paths of equal length differing in one character anywhere, `file:` URIs naming the same file
    // as a bare absolute path, deletion vectors: every way a later action can name a checkpoint file.
    const pathArb = fc.oneof(
      fc.stringMatching(/^[ab]{1,6}$/).map((s) => `d=${s}/x`),
      fc.constantFrom('/t/a', 'file:/t/a', 'file:///t/a', '/t/b', 'file:/t/b', 'f', 'g', 'é'),
    )
    const fileArb = fc.record({ path: pathArb, dv: fc.integer({ min: 0, max: 2 }) })
    const canonical = (p: string) => p.startsWith('file:') ? p.replace(/^file:\/*/, '/') : p
    const k = (f: { path: string; dv: number }) => `${canonical(f.path)}|${f.dv}`
    fc.assert(fc.property(
      fc.uniqueArray(fileArb, { selector: k, maxLength: 40 }), fc.uniqueArray(fileArb, { selector: k, maxLength: 6 }),
      fc.array(fc.boolean(), { maxLength: 6 }), fc.uniqueArray(fileArb, { selector: k, maxLength: 5 }),
      (cpFiles, later, laterIsAdd, cpTombs) => {
        const mk = (f: { path: string; dv: number }, i: number): AddFile => ({ path: f.path, partitionValues: {}, size: i, modificationTime: 1, dataChange: true, deletionVector: dvOf(f.dv) })
        const cp: CheckpointData = {
          version: 1, txns: [], domainMetadata: [], files: ['cp'], adds: cpFiles.map(mk),
          removes: cpTombs.map((f): RemoveFile => ({ path: f.path, dataChange: true, deletionVector: dvOf(f.dv) })),
        }
        const actions = later.map((f, i): Action => laterIsAdd[i] ? { add: mk(f, 1000 + i) } : { remove: { path: f.path, dataChange: true, deletionVector: dvOf(f.dv) } })
        const state = replay(actions.length ? [{ version: 2, key: 'c2', actions }] : [], cp)
        // Model: a file a later action names is that action's; every other checkpoint action stays.
        const touched = new Set(later.map(k))
        const wantAdds = [
          ...cpFiles.map((f, i) => [f, i] as const).filter(([f]) => !touched.has(k(f))).map(([f, i]) => `${f.path}|${f.dv}|${i}`),
          ...later.map((f, i) => [f, i] as const).filter(([, i]) => laterIsAdd[i]).map(([f, i]) => `${f.path}|${f.dv}|${1000 + i}`),
        ]
        const wantRemoves = [
          ...cpTombs.filter((f) => !touched.has(k(f))).map((f) => `${f.path}|${f.dv}`),
          ...later.filter((_, i) => !laterIsAdd[i]).map((f) => `${f.path}|${f.dv}`),
        ]
        const dvNum = (d: DeletionVectorDescriptor | null | undefined) => d ? Number(d.pathOrInlineDv.slice(2)) : 0
        expect(state.adds.map((f) => `${f.path}|${dvNum(f.deletionVector)}|${f.size}`)).toEqual(wantAdds)
        expect(state.removes.map((f) => `${f.path}|${dvNum(f.deletionVector)}`)).toEqual(wantRemoves)
      },
    ), { numRuns: 500 })
  })
})
