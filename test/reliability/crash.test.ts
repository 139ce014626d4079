// The short crash run of `npm test`: a dozen SIGKILLed children over the seeded workload (appends,
// partition overwrites, CDC merges with DVs, deletes, updates, checkpoints, OPTIMIZE, VACUUM).
// The long run: `npm run stress` (1,000 trials, see docs/reliability.md).
import { describe, expect, it } from 'vitest'
import { applyOp, generateOp, type Row } from './crash-workload.js'
import { runCrashTrials } from './crash-harness.js'

describe('crash harness', () => {
  it('after every SIGKILL the table opens, keeps every acknowledged commit and equals the model', async () => {
    const stats = await runCrashTrials({ trials: 12, seed: 20261126, trialsPerTable: 6, opsPerChild: 6 })
    expect(stats.failures).toEqual([])
    expect(stats.trials).toBe(12)
    expect(stats.killed).toBeGreaterThan(6)
    expect(stats.acknowledged).toBeGreaterThan(0)
  }, 120_000)

  it('the workload is a pure function of (seed, op index)', () => {
    expect(generateOp(7, 3)).toEqual(generateOp(7, 3))
    const kinds = new Set(Array.from({ length: 200 }, (_, i) => generateOp(1, i).kind))
    expect([...kinds].sort()).toEqual(['append', 'cdc', 'checkpoint', 'delete', 'optimize', 'overwrite', 'update', 'vacuum'])
  })

  it('the model applies CDC batches latest-change-wins and overwrites by partition', () => {
    const m = new Map<bigint, Row>()
    applyOp(m, { kind: 'append', index: 0, rows: [{ id: 0n, p: 'a', v: 5n }, { id: 1n, p: 'b', v: 7n }] })
    applyOp(m, { kind: 'cdc', index: 1, changes: [
      { id: 0n, p: 'a', v: 9n, op: 'U', seq: 0n }, { id: 0n, p: 'a', v: 9n, op: 'D', seq: 1n },
      { id: 1n, p: 'b', v: 1n, op: 'D', seq: 2n }, { id: 1n, p: 'b', v: 3n, op: 'U', seq: 3n },
    ] })
    expect([...m.values()]).toEqual([{ id: 1n, p: 'b', v: 3n }])
    applyOp(m, { kind: 'overwrite', index: 2, partition: 'b', rows: [{ id: 2002n, p: 'b', v: 0n }] })
    expect([...m.keys()]).toEqual([2002n])
  })
})
