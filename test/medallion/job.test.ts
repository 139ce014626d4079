// The job runner: topological order, parallel independent tasks, tasks writing one table never at
// once, retriable conflicts retried (others not), failures stopping only their downstream, and every
// task run recorded in the lake's job_runs table.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConcurrentAppendError, InvalidArgumentError, MetadataChangedError } from '../../src/index.js'
import { Lake } from '../../src/medallion/catalog.js'
import { Job, JOB_RUNS_TABLE, isRetriableConflict, topologicalOrder, type TaskSpec } from '../../src/medallion/job.js'

let dir: string
let lake: Lake
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'lagomago-job-')); lake = new Lake(dir) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('topologicalOrder', () => {
  it('orders every task after its dependencies (random DAGs)', () => {
    fc.assert(fc.property(fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: 1, maxLength: 12 }), (deps) => {
      // task i may depend only on tasks < i: always a DAG; shuffle the definition order
      const tasks: TaskSpec[] = deps.map((d, i) => ({ name: `t${i}`, dependsOn: i ? [...new Set(d.map((x) => `t${x % i}`))] : [], run: async () => {} }))
      const order = topologicalOrder([...tasks].reverse())
      expect(new Set(order).size).toBe(tasks.length)
      for (const t of tasks) for (const d of t.dependsOn ?? []) expect(order.indexOf(d)).toBeLessThan(order.indexOf(t.name))
    }))
  })

  it('names cycles and unknown dependencies', () => {
    const run = async () => {}
    expect(() => topologicalOrder([{ name: 'a', dependsOn: ['b'], run }, { name: 'b', dependsOn: ['c'], run }, { name: 'c', dependsOn: ['a'], run }])).toThrow(/cycle: a → b → c → a/)
    expect(() => topologicalOrder([{ name: 'a', dependsOn: ['zz'], run }])).toThrow(/a depends on unknown task zz/)
    expect(() => new Job('j', [{ name: 'a', run }, { name: 'a', run }])).toThrow(InvalidArgumentError)
  })
})

describe('Job.run', () => {
  it('a real lost race (a concurrent append into the partition an overwrite replaces) is retried on a fresh snapshot', async () => {
    const schema = { type: 'struct' as const, fields: [{ name: 'p', type: 'integer' as const, nullable: true, metadata: {} }, { name: 'v', type: 'string' as const, nullable: true, metadata: {} }] }
    // Serializable: under WriteSerializable a blind append may slip under an overwrite (Delta's rule)
    await lake.table('lake.silver.t', { schema, partitionBy: ['p'], properties: { 'delta.isolationLevel': 'Serializable' } })
    const errors: string[] = []
    const job = new Job('j', [{
      name: 'replace_p1', writes: ['lake.silver.t'],
      run: async (ctx) => {
        const t = await ctx.lake.table('lake.silver.t') // plans on this snapshot
        if (ctx.attempt === 1) await (await ctx.lake.table('lake.silver.t')).append([{ p: 1, v: 'concurrent' }])
        const r = await t.overwrite([{ p: 1, v: 'replaced' }], { replaceWhere: 'p = 1' })
        ctx.wrote('lake.silver.t', r.version)
      },
    }], { retryDelayMs: 1, onEvent: (e) => { if (e.type === 'retry') errors.push(e.error.name) } })
    const r = await job.run(lake, { record: false })
    expect(errors).toEqual(['ConcurrentAppendError'])
    expect(r.tasks[0]).toMatchObject({ status: 'SUCCESS', attempt: 2 })
    expect((await (await lake.table('lake.silver.t')).toRows()).map((x) => x.v)).toEqual(['replaced'])
  })


  it('runs independent tasks in parallel, same-table writers one at a time, dependencies first', async () => {
    const log: string[] = []
    let active = 0, maxActive = 0
    const activeByTable = new Map<string, number>()
    const task = (name: string, writes: string[], dependsOn: string[] = []): TaskSpec => ({
      name, writes, dependsOn,
      run: async () => {
        active++; maxActive = Math.max(maxActive, active)
        for (const w of writes) { activeByTable.set(w, (activeByTable.get(w) ?? 0) + 1); expect(activeByTable.get(w)).toBe(1) }
        log.push(`start ${name}`)
        await sleep(30)
        log.push(`end ${name}`)
        for (const w of writes) activeByTable.set(w, activeByTable.get(w)! - 1)
        active--
      },
    })
    const job = new Job('j', [
      task('a', ['bronze.x']), task('b', ['bronze.y']), task('c', ['bronze.x']), // c shares a's table
      task('d', ['silver.z'], ['a', 'b']),
    ])
    const r = await job.run(lake, { record: false })
    expect(r.status).toBe('SUCCESS')
    expect(maxActive).toBe(2)
    expect(log.indexOf('start d')).toBeGreaterThan(Math.max(log.indexOf('end a'), log.indexOf('end b')))
    // a and c never overlap (same table), in either order
    const [ia, ic] = [log.indexOf('start a'), log.indexOf('start c')]
    expect(ia < ic ? log.indexOf('end a') < ic : log.indexOf('end c') < ia).toBe(true)
  })

  it('retries retriable conflicts, not others; a failure stops only its downstream; runs are recorded', async () => {
    let attempts = 0
    const job = new Job('j', [
      { name: 'flaky', writes: ['bronze.a'], run: async (ctx) => { if (++attempts < 3) throw new ConcurrentAppendError('lost race'); ctx.wrote('bronze.a', 7) } },
      { name: 'broken', run: async () => { throw new MetadataChangedError('schema changed') } },
      { name: 'after_broken', dependsOn: ['broken'], run: async () => { throw new Error('must not run') } },
      { name: 'after_flaky', dependsOn: ['flaky'], run: async (ctx) => { ctx.wrote('lake.gold.b', 1); ctx.wrote('gold.b', 2) } },
    ], { retryDelayMs: 1 })
    const r = await job.run(lake)
    expect(r.status).toBe('FAILED')
    const by = Object.fromEntries(r.tasks.map((t) => [t.task, t]))
    expect(by.flaky).toMatchObject({ status: 'SUCCESS', attempt: 3, versions: { 'lake.bronze.a': [7] } })
    expect(by.broken).toMatchObject({ status: 'FAILED', attempt: 1 })
    expect(by.broken.error).toMatch(/MetadataChangedError: schema changed/)
    expect(by.after_broken).toMatchObject({ status: 'UPSTREAM_FAILED', error: 'upstream task failed: broken' })
    expect(by.after_flaky).toMatchObject({ status: 'SUCCESS', versions: { 'lake.gold.b': [1, 2] } })

    const runs = await (await lake.table(JOB_RUNS_TABLE)).toRows()
    expect(runs).toHaveLength(4)
    const rec = runs.find((x) => x.task === 'flaky')!
    expect(rec).toMatchObject({ run_id: r.runId, job: 'j', attempt: 3, status: 'SUCCESS', versions_written: '{"lake.bronze.a":[7]}', error: null })
    expect((rec.end_time as Date).getTime()).toBeGreaterThanOrEqual((rec.start_time as Date).getTime())
    expect(isRetriableConflict(new MetadataChangedError('x'))).toBe(false)
    expect(isRetriableConflict(new Error('x'))).toBe(false)
  })
})
