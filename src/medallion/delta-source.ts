// An incremental reader of a Delta table, as Spark's Delta streaming source: each batch covers whole
// commits [startVersion, endVersion] after the last batch, capped by maxFilesPerTrigger /
// maxBytesPerTrigger (a batch holds at least one commit). With the change data feed it reads the
// changes (inserts, deletes, update pre/post images: silver consumes bronze without rescanning it);
// without it, the rows of files appended by each commit (a commit that removes data is an error
// unless skipChangeCommits). The offset is the version range, so replays read the same changes.
import { DeltaTable, InvalidArgumentError, UnsupportedFeatureError } from '../index.js'
import { parseActionLines, type Action } from '../log/actions.js'
import { commitKey } from '../log/log-path.js'
import { outputFields, readFileValues, valueBatchToRows } from '../scan/scan.js'
import type { Row, StreamSource } from './stream.js'
import { checkOptions } from '../options.js'

/** Options of `DeltaSource`: the table and where to start reading its commits. */
export interface DeltaSourceOptions {
  /** The table to read (a handle or a location); the source keeps its own handle. */
  table: DeltaTable | string
  /** First version to read (default 0). */
  startingVersion?: number
  /** Read the change data feed (default: when the table has delta.enableChangeDataFeed = true). */
  readChangeFeed?: boolean
  maxFilesPerTrigger?: number
  maxBytesPerTrigger?: number
  /** Columns to read (default all); CDF adds _change_type, _commit_version, _commit_timestamp. */
  columns?: string[]
  /** Without CDF: skip commits that remove data (updates, deletes, overwrites) instead of failing. */
  skipChangeCommits?: boolean
}

/** A `DeltaSource` offset: a range of table versions. */
export interface VersionOffset {
  startVersion: number
  endVersion: number
  /** Data files the range covers (for progress and the trigger limits). */
  files: number
}

interface CommitSummary { files: number; bytes: number; removesData: boolean }

/**
 * A stream source reading a Delta table incrementally (whole commits per batch), its change data feed
 * when the table has one: what silver reads from bronze without rescanning it.
 * @example
 * await runStream({
 *   source: new DeltaSource({ table: bronze, readChangeFeed: true }),
 *   checkpointLocation: './lake/_checkpoints/silver',
 *   foreachBatch: (b) => applyCdc(silver, changesToEvents(b.rows), { txn: b.txn }),
 *   trigger: { availableNow: true },
 * })
 */
export class DeltaSource implements StreamSource<VersionOffset, number> {
  private handle?: DeltaTable
  private readonly summaries = new Map<number, CommitSummary>()

  constructor(readonly options: DeltaSourceOptions) {
    checkOptions('DeltaSource', options, ['table', 'startingVersion', 'readChangeFeed', 'maxFilesPerTrigger', 'maxBytesPerTrigger', 'columns', 'skipChangeCommits'])
    for (const k of ['maxFilesPerTrigger', 'maxBytesPerTrigger', 'startingVersion'] as const) {
      const v = options[k]
      if (v !== undefined && !(Number.isInteger(v) && v >= (k === 'startingVersion' ? 0 : 1))) throw new InvalidArgumentError(`${k} must be a ${k === 'startingVersion' ? 'non-negative' : 'positive'} integer, got ${v}`)
    }
  }

  describe(): string { return `delta ${typeof this.options.table === 'string' ? this.options.table : this.options.table.url}` }

  recover(): void {}

  private async table(): Promise<DeltaTable> {
    if (!this.handle) {
      const t = this.options.table
      this.handle = await DeltaTable.open(typeof t === 'string' ? t : t.store)
    } else await this.handle.refresh()
    return this.handle
  }

  private get cdf(): boolean {
    return this.options.readChangeFeed ?? this.handle?.properties['delta.enableChangeDataFeed'] === 'true'
  }

  async latest(): Promise<number> {
    return (await this.table()).version
  }

  private async summary(t: DeltaTable, v: number): Promise<CommitSummary> {
    let s = this.summaries.get(v)
    if (s) return s
    const actions = await commitActions(t, v)
    const cdcs = actions.filter((a) => 'cdc' in a)
    let files = 0
    let bytes = 0
    let removesData = false
    for (const a of actions) {
      if ('remove' in a && a.remove.dataChange) removesData = true
      if (this.cdf && cdcs.length) {
        if ('cdc' in a) { files++; bytes += a.cdc.size }
      } else if ('add' in a && a.add.dataChange) { files++; bytes += a.add.size }
      else if (this.cdf && 'remove' in a && a.remove.dataChange) { files++; bytes += a.remove.size ?? 0 }
    }
    s = { files, bytes, removesData }
    this.summaries.set(v, s)
    return s
  }

  async planNext(last: VersionOffset | undefined, bound?: number): Promise<VersionOffset | undefined> {
    const t = await this.table()
    const start = last ? last.endVersion + 1 : this.options.startingVersion ?? 0
    const end = Math.min(t.version, bound ?? Infinity)
    if (start > end) return undefined
    const maxFiles = this.options.maxFilesPerTrigger ?? Infinity
    const maxBytes = this.options.maxBytesPerTrigger ?? Infinity
    let files = 0
    let bytes = 0
    let v = start
    for (; v <= end; v++) {
      const s = await this.summary(t, v)
      if (v > start && (files + s.files > maxFiles || bytes + s.bytes > maxBytes)) break
      files += s.files
      bytes += s.bytes
    }
    return { startVersion: start, endVersion: v - 1, files }
  }

  async read(offset: VersionOffset): Promise<Row[]> {
    const t = await this.table()
    if (this.cdf) return t.changes({ startVersion: offset.startVersion, endVersion: offset.endVersion, columns: this.options.columns })
    const out: Row[] = []
    for (let v = offset.startVersion; v <= offset.endVersion; v++) {
      const actions = await commitActions(t, v)
      if ((await this.summary(t, v)).removesData) {
        if (this.options.skipChangeCommits) continue
        throw new UnsupportedFeatureError(`version ${v} of ${t.url} removes or rewrites data; a streaming read without the change data feed only follows appends (set skipChangeCommits, or enable delta.enableChangeDataFeed)`, { table: t.url, version: v })
      }
      const at = await DeltaTable.open(t.store, { version: v })
      const fields = outputFields(at.schema, this.options.columns, t.url)
      for (const a of actions) {
        if (!('add' in a) || !a.add.dataChange) continue
        for await (const b of readFileValues(at.snapshot, a.add, fields, undefined, 65_536)) out.push(...valueBatchToRows(b))
      }
    }
    return out
  }

  inputCount(offset: VersionOffset): number { return offset.files }
}

async function commitActions(t: DeltaTable, version: number): Promise<Action[]> {
  const bytes = await t.store.get(commitKey(version))
  return parseActionLines(new TextDecoder().decode(bytes), { table: t.url, version, file: commitKey(version) })
}
