// The micro-batch streaming engine: a source plans batches (an offset: which files or versions), the
// offset is written to the checkpoint, the rows go to `foreachBatch` with a Delta txn id
// (appId = the query id, version = the batch id) that the sink commits WITH its data. After a crash
// the last planned batch is replayed with the same offset and the same txn id: if its commit had
// landed, the table already records that txn version and the write is skipped, so every batch lands
// exactly once. Triggers: availableNow (what exists at start, then stop) and processingTime (poll).
import { mkdir } from 'node:fs/promises'
import { InvalidArgumentError } from '../index.js'
import { Checkpoint } from './checkpoint.js'
import { lockCheckpoint } from './checkpoint-lock.js'
import { checkOptions } from '../options.js'
import type { Row } from './rows.js'

export type { Row }

/** Where a stream reads from. Offsets must be JSON and `read(offset)` deterministic (it is replayed). */
export interface StreamSource<O, B = unknown> {
  describe(): string
  /** Called once at start with every offset planned before (e.g. to know the files already taken). */
  recover(planned: readonly O[]): void | Promise<void>
  /** The end of what is available now (availableNow stops there). */
  latest(): Promise<B>
  /** The next batch after `last` (undefined: none yet), not beyond `bound` when given. */
  planNext(last: O | undefined, bound?: B): Promise<O | undefined>
  read(offset: O): Promise<Row[]>
  /** Input units of a batch (files, or commits) for progress reports. */
  inputCount(offset: O): number
}

/** The rows of one micro-batch and the source offset they end at. */
export interface MicroBatch<O> {
  batchId: number
  rows: Row[]
  offset: O
  /** Pass to the write (`{ txn }`): the commit records it, and a replay of a landed batch is skipped. */
  txn: { appId: string; version: number }
  /** True when this batch was planned by an earlier run that stopped before recording its commit. */
  replayed: boolean
}

/** When a stream stops: after what is available now, or polling every `processingTime` ms. */
export type Trigger = { availableNow: true } | { processingTime: number }

/** One micro-batch of a stream: ids, rows in and the version it committed. */
export interface BatchProgress {
  queryId: string
  batchId: number
  numInputRows: number
  numInputUnits: number
  durationMs: number
  replayed: boolean
  version?: number
}

/** Options of `runStream`: source, checkpoint folder, the batch writer and the trigger. */
export interface StreamOptions<O, B = unknown> {
  source: StreamSource<O, B>
  checkpointLocation: string
  /** Writes one batch; returns the version it committed (or a `{ version }`), if any. */
  foreachBatch: (batch: MicroBatch<O>) => Promise<unknown>
  trigger?: Trigger
  signal?: AbortSignal
  onProgress?: (p: BatchProgress) => void
}

/** What a `runStream` run processed. */
export interface StreamSummary {
  queryId: string
  batches: BatchProgress[]
  numInputRows: number
}

/**
 * A running (or runnable) streaming query. `await start()` resolves when it stops.
 * @example
 * const q = new StreamingQuery({
 *   source: new FileSource({ path: './raw/orders', schema }),
 *   checkpointLocation: './lake/_checkpoints/orders',
 *   foreachBatch: (b) => bronze.append(b.rows, { txn: b.txn }),
 *   trigger: { processingTime: 5_000 },
 * })
 * const done = q.start()
 * q.stop() // later: ends after the batch in flight
 * const { numInputRows } = await done
 */
export class StreamingQuery<O, B = unknown> {
  private readonly controller = new AbortController()
  private checkpoint?: Checkpoint<O>

  constructor(readonly options: StreamOptions<O, B>) {
    checkOptions('StreamingQuery', options, ['source', 'checkpointLocation', 'foreachBatch', 'trigger', 'signal', 'onProgress'])
    const t = options.trigger
    if (t !== undefined) {
      checkOptions('StreamingQuery: trigger', t, ['availableNow', 'processingTime'])
      if (('availableNow' in t) === ('processingTime' in t) || ('availableNow' in t && t.availableNow !== true)) {
        throw new InvalidArgumentError(`trigger must be { availableNow: true } or { processingTime: ms }, got ${JSON.stringify(t)}`)
      }
    }
    if (t && 'processingTime' in t && !(Number.isFinite(t.processingTime) && t.processingTime >= 0)) {
      throw new InvalidArgumentError(`processingTime must be a non-negative number of ms, got ${t.processingTime}`)
    }
    options.signal?.addEventListener('abort', () => this.controller.abort(), { once: true })
  }

  /** Ask a processingTime query to stop after its current batch. */
  stop(): void { this.controller.abort() }

  get stopped(): boolean { return this.controller.signal.aborted }

  /** The query id (known once started): the txn appId of its commits. */
  get id(): string | undefined { return this.checkpoint?.id }

  async start(): Promise<StreamSummary> {
    // lock first: the query id in metadata.json must be created by the one query that owns the folder
    await mkdir(this.options.checkpointLocation, { recursive: true })
    const release = await lockCheckpoint(this.options.checkpointLocation)
    try {
      const cp = this.checkpoint = await Checkpoint.open<O>(this.options.checkpointLocation, this.options.source.describe())
      return await this.run(cp)
    } finally {
      await release()
    }
  }

  private async run(cp: Checkpoint<O>): Promise<StreamSummary> {
    const { source, foreachBatch, onProgress } = this.options
    const planned = await cp.offsets()
    await source.recover(planned.map((p) => p.offset))
    const committed = await cp.lastCommitted()
    const batches: BatchProgress[] = []
    let last = planned.length ? planned[planned.length - 1] : undefined
    let nextId = last ? last.batchId + 1 : 0

    const runBatch = async (batchId: number, offset: O, replayed: boolean): Promise<void> => {
      const t0 = Date.now()
      const rows = await source.read(offset)
      const r = await foreachBatch({ batchId, rows, offset, txn: { appId: cp.id, version: batchId }, replayed })
      const version = typeof r === 'number' ? r : typeof r === 'object' && r !== null && typeof (r as { version?: unknown }).version === 'number' ? (r as { version: number }).version : undefined
      await cp.writeCommit({ batchId, committedAt: new Date().toISOString(), version, numInputRows: rows.length })
      const p: BatchProgress = { queryId: cp.id, batchId, numInputRows: rows.length, numInputUnits: source.inputCount(offset), durationMs: Date.now() - t0, replayed, version }
      batches.push(p)
      onProgress?.(p)
    }

    // A batch planned but not recorded as committed: replay it exactly (same offset, same txn id).
    if (last && (!committed || committed.batchId < last.batchId)) await runBatch(last.batchId, last.offset, true)

    const trigger = this.options.trigger ?? { availableNow: true }
    const bound = 'availableNow' in trigger ? await source.latest() : undefined
    while (!this.stopped) {
      const t0 = Date.now()
      const offset = await source.planNext(last?.offset, bound)
      if (offset !== undefined) {
        await cp.writeOffset(nextId, offset)
        await runBatch(nextId, offset, false)
        last = { batchId: nextId, offset, plannedAt: '' }
        nextId++
        if ('availableNow' in trigger) continue
      } else if ('availableNow' in trigger) break
      if ('processingTime' in trigger) await sleep(Math.max(0, trigger.processingTime - (Date.now() - t0)), this.controller.signal)
    }
    return { queryId: cp.id, batches, numInputRows: batches.reduce((n, b) => n + b.numInputRows, 0) }
  }
}

/**
 * Start a streaming query and wait for it to stop (availableNow) or be stopped (processingTime).
 * @example
 * const { batches } = await runStream({
 *   source: new FileSource({ path: './raw/orders', schema }),
 *   checkpointLocation: './lake/_checkpoints/orders',
 *   foreachBatch: (b) => bronze.append(b.rows, { txn: b.txn }),
 *   trigger: { availableNow: true },
 * })
 */
export function runStream<O, B>(options: StreamOptions<O, B>): Promise<StreamSummary> {
  return new StreamingQuery(options).start()
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const t = setTimeout(done, ms)
    function done(): void { clearTimeout(t); signal.removeEventListener('abort', done); resolve() }
    signal.addEventListener('abort', done, { once: true })
  })
}
