// Jobs: tasks with dependencies (a DAG, like Lakeflow Jobs) run in topological order; independent
// tasks run in parallel, tasks writing the same table never at once; a retriable commit conflict
// re-runs the task (which re-plans on a fresh snapshot); every task run is recorded in the lake's
// Delta table of runs `_system.job_runs` (task, start, end, status, versions written, error).
import { randomUUID } from 'node:crypto'
import {
  CommitRetriesExhaustedError, ConcurrentAppendError, ConcurrentDeleteDeleteError, ConcurrentDeleteReadError,
  ConcurrentTransactionError, InvalidArgumentError,
} from '../index.js'
import type { StructType } from '../index.js'
import type { Lake } from './catalog.js'
import { checkOptions } from '../options.js'

/** What a task gets when it runs: the lake, run id, task name, attempt, and `wrote`/`log` to report. */
export interface TaskContext {
  lake: Lake
  runId: string
  task: string
  attempt: number
  /** Record a version this task committed to `table` (shown in the run record). */
  wrote(table: string, version: number): void
  /** Progress line for the console / the job's listener. */
  log(message: string): void
}

/** A task of a `Job`: name, dependencies, tables written, and the work. */
export interface TaskSpec {
  name: string
  dependsOn?: string[]
  /** Tables (names in the lake) this task writes: tasks sharing one never run at once. */
  writes?: string[]
  run(ctx: TaskContext): Promise<void>
  /** Extra attempts after a retriable conflict (default: the job's). */
  maxRetries?: number
}

/** A task run's outcome. */
export type TaskStatus = 'SUCCESS' | 'FAILED' | 'UPSTREAM_FAILED'

/** One task run of a job run. */
export interface TaskRun {
  runId: string
  job: string
  task: string
  attempt: number
  start: Date
  end: Date
  status: TaskStatus
  /** table → versions committed by this task run. */
  versions: Record<string, number[]>
  error: string | null
}

/** Progress events of a job run (`onEvent`). */
export type JobEvent =
  | { type: 'start'; task: string; attempt: number }
  | { type: 'log'; task: string; message: string }
  | { type: 'retry'; task: string; attempt: number; error: Error }
  | { type: 'end'; run: TaskRun }

/** Options of a `Job`. */
export interface JobOptions {
  /** Tasks running at once (default 4). */
  maxParallel?: number
  /** Extra attempts after a retriable conflict (default 3). */
  maxRetries?: number
  /** Pause before a retry, ms (default 20, doubling). */
  retryDelayMs?: number
  /** Record runs in `<lake>/_system/job_runs` (default true). */
  record?: boolean
  onEvent?: (e: JobEvent) => void
}

const JOB_OPTIONS = ['maxParallel', 'maxRetries', 'retryDelayMs', 'record', 'onEvent']

/** The outcome of a job run and each task run. */
export interface JobResult {
  runId: string
  job: string
  status: 'SUCCESS' | 'FAILED'
  tasks: TaskRun[]
}

/** The lake table job runs are recorded in. */
export const JOB_RUNS_TABLE = '_system.job_runs'

/** Schema of the job runs table (one row per task run). */
export const JOB_RUNS_SCHEMA: StructType = {
  type: 'struct',
  fields: [
    { name: 'run_id', type: 'string', nullable: false, metadata: {} },
    { name: 'job', type: 'string', nullable: false, metadata: {} },
    { name: 'task', type: 'string', nullable: false, metadata: {} },
    { name: 'attempt', type: 'integer', nullable: false, metadata: {} },
    { name: 'start_time', type: 'timestamp', nullable: false, metadata: {} },
    { name: 'end_time', type: 'timestamp', nullable: false, metadata: {} },
    { name: 'status', type: 'string', nullable: false, metadata: {} },
    { name: 'versions_written', type: 'string', nullable: true, metadata: {} },
    { name: 'error', type: 'string', nullable: true, metadata: {} },
  ],
}

/**
 * The conflicts Delta resolves by re-running the operation on the new snapshot: concurrent appends
 * into what was read, concurrent deletes of read or removed files, a concurrent txn of the same app,
 * and a commit that kept losing the race. Metadata and protocol changes are not retried: a schema
 * change under a pipeline should surface, not be planned around.
 * @example
 * try { await t.delete("uf = 'SP'") }
 * catch (e) { if (!isRetriableConflict(e)) throw e } // else: plan it again on a fresh snapshot
 */
export function isRetriableConflict(e: unknown): boolean {
  return e instanceof ConcurrentAppendError || e instanceof ConcurrentDeleteReadError || e instanceof ConcurrentDeleteDeleteError
    || e instanceof ConcurrentTransactionError || e instanceof CommitRetriesExhaustedError
}

/**
 * Task names in a valid run order; throws on unknown dependencies and cycles (naming them).
 * @example
 * const run = async () => {}
 * topologicalOrder([{ name: 'gold', dependsOn: ['silver'], run }, { name: 'silver', run }]) // ['silver', 'gold']
 */
export function topologicalOrder(tasks: readonly TaskSpec[]): string[] {
  const byName = new Map<string, TaskSpec>()
  for (const t of tasks) {
    if (byName.has(t.name)) throw new InvalidArgumentError(`task ${t.name} is defined twice`)
    byName.set(t.name, t)
  }
  for (const t of tasks) for (const d of t.dependsOn ?? []) if (!byName.has(d)) throw new InvalidArgumentError(`task ${t.name} depends on unknown task ${d}`)
  const order: string[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (name: string, path: string[]): void => {
    const s = state.get(name)
    if (s === 'done') return
    if (s === 'visiting') throw new InvalidArgumentError(`tasks form a cycle: ${[...path.slice(path.indexOf(name)), name].join(' → ')}`)
    state.set(name, 'visiting')
    for (const d of byName.get(name)!.dependsOn ?? []) visit(d, [...path, name])
    state.set(name, 'done')
    order.push(name)
  }
  for (const t of tasks) visit(t.name, [])
  return order
}

/**
 * A DAG of tasks run over a lake: dependencies, parallelism, retries of retriable conflicts, runs recorded.
 * @example
 * const result = await new Job('nightly', [{ name: 'bronze', run: async ({ lake }) => { await applyCdc(await lake.table('bronze.orders'), changeRows) } }]).run(lake)
 */
export class Job {
  constructor(readonly name: string, readonly tasks: readonly TaskSpec[], readonly options: JobOptions = {}) {
    checkOptions(`Job ${name}`, options, JOB_OPTIONS)
    // a misspelled dependsOn would silently drop an edge of the DAG
    for (const t of tasks) checkOptions(`Job ${name}: task ${t.name}`, t, ['name', 'dependsOn', 'writes', 'run', 'maxRetries'])
    topologicalOrder(tasks)
  }

  /** Run every task once (in dependency order), record the runs, and report. Never throws for a task failure. */
  async run(lake: Lake, options: JobOptions = {}): Promise<JobResult> {
    checkOptions(`Job ${this.name}: run`, options, JOB_OPTIONS)
    const opts = { ...this.options, ...options }
    const maxParallel = opts.maxParallel ?? 4
    const runId = randomUUID()
    const order = topologicalOrder(this.tasks)
    const spec = new Map(this.tasks.map((t) => [t.name, t]))
    const status = new Map<string, TaskStatus>()
    const runs: TaskRun[] = []
    const busyTables = new Set<string>()
    const running = new Map<string, Promise<void>>()
    const emit = (e: JobEvent): void => opts.onEvent?.(e)
    let recording: Promise<unknown> = Promise.resolve()
    const record = (run: TaskRun): void => {
      runs.push(run)
      emit({ type: 'end', run })
      if (opts.record !== false) recording = recording.then(() => appendRun(lake, run)).catch((e: Error) => emit({ type: 'log', task: run.task, message: `could not record the run in ${JOB_RUNS_TABLE}: ${e.message}` }))
    }

    const launch = (name: string): void => {
      const t = spec.get(name)!
      const tables = (t.writes ?? []).map((w) => lake.fullName(w))
      for (const w of tables) busyTables.add(w)
      const p = this.runTask(lake, runId, t, opts, emit).then((run) => {
        status.set(name, run.status)
        record(run)
      }).finally(() => {
        for (const w of tables) busyTables.delete(w)
        running.delete(name)
      })
      running.set(name, p)
    }

    const pending = new Set(order)
    while (pending.size || running.size) {
      for (const name of order) {
        if (!pending.has(name)) continue
        const t = spec.get(name)!
        const deps = t.dependsOn ?? []
        if (deps.some((d) => status.has(d) && status.get(d) !== 'SUCCESS')) {
          pending.delete(name)
          const now = new Date()
          status.set(name, 'UPSTREAM_FAILED')
          record({ runId, job: this.name, task: name, attempt: 0, start: now, end: now, status: 'UPSTREAM_FAILED', versions: {}, error: `upstream task failed: ${deps.filter((d) => status.has(d) && status.get(d) !== 'SUCCESS').join(', ')}` })
          continue
        }
        if (!deps.every((d) => status.get(d) === 'SUCCESS')) continue
        if (running.size >= maxParallel) break
        if ((t.writes ?? []).some((w) => busyTables.has(lake.fullName(w)))) continue
        pending.delete(name)
        launch(name)
      }
      if (running.size) await Promise.race(running.values())
      else if (pending.size && ![...pending].some((n) => (spec.get(n)!.dependsOn ?? []).every((d) => status.has(d)))) {
        throw new InvalidArgumentError(`job ${this.name}: tasks ${[...pending].join(', ')} can never start`)
      }
    }
    await recording
    const failed = runs.some((r) => r.status !== 'SUCCESS')
    return { runId, job: this.name, status: failed ? 'FAILED' : 'SUCCESS', tasks: order.map((n) => runs.find((r) => r.task === n)!).filter(Boolean) }
  }

  private async runTask(lake: Lake, runId: string, t: TaskSpec, opts: JobOptions, emit: (e: JobEvent) => void): Promise<TaskRun> {
    const maxRetries = t.maxRetries ?? opts.maxRetries ?? 3
    const start = new Date()
    const versions: Record<string, number[]> = {}
    let delay = opts.retryDelayMs ?? 20
    for (let attempt = 1; ; attempt++) {
      emit({ type: 'start', task: t.name, attempt })
      const ctx: TaskContext = {
        lake, runId, task: t.name, attempt,
        wrote: (table, version) => { (versions[lake.fullName(table)] ??= []).push(version) },
        log: (message) => emit({ type: 'log', task: t.name, message }),
      }
      try {
        await t.run(ctx)
        return { runId, job: this.name, task: t.name, attempt, start, end: new Date(), status: 'SUCCESS', versions, error: null }
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e))
        if (isRetriableConflict(err) && attempt <= maxRetries) {
          emit({ type: 'retry', task: t.name, attempt, error: err })
          await new Promise((r) => setTimeout(r, delay))
          delay *= 2
          continue
        }
        return { runId, job: this.name, task: t.name, attempt, start, end: new Date(), status: 'FAILED', versions, error: `${err.name}: ${err.message}` }
      }
    }
  }
}

async function appendRun(lake: Lake, run: TaskRun): Promise<void> {
  const table = await lake.table(JOB_RUNS_TABLE, { schema: JOB_RUNS_SCHEMA })
  await table.append([{
    run_id: run.runId, job: run.job, task: run.task, attempt: run.attempt, start_time: run.start, end_time: run.end,
    status: run.status, versions_written: Object.keys(run.versions).length ? JSON.stringify(run.versions) : null, error: run.error,
  }])
}
