// A streaming query's checkpoint location, laid out as Spark's: `metadata.json` (the query id, used
// as the Delta txn appId), `offsets/<batchId>` written BEFORE a batch runs (what it reads) and
// `commits/<batchId>` written after its sink committed. Every file is written whole (temp + rename),
// so a crash leaves either the old or the new state, never half a file.
import { randomUUID } from 'node:crypto'
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CorruptDataError } from '../index.js'

/** The checkpoint's `metadata` file: query id and what it reads. */
export interface StreamCheckpointMetadata {
  id: string
  createdAt: string
  /** What the query reads, for people inspecting the folder. */
  source?: string
}

/** An `offsets/<batchId>` entry: the batch planned, with its end offset. */
export interface OffsetEntry<O> {
  batchId: number
  offset: O
  plannedAt: string
}

/** A `commits/<batchId>` entry: the batch was written (and at which sink version). */
export interface CommitEntry {
  batchId: number
  committedAt: string
  /** The sink's commit version (undefined when the sink wrote nothing). */
  version?: number
  numInputRows: number
}

/** Write `data` to `path` atomically: readers and restarts see the old file or the new one. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`
  await writeFile(tmp, data)
  await rename(tmp, path)
}

/**
 * A stream checkpoint folder (Spark-like offsets/ and commits/ logs): exactly-once progress across restarts.
 * @example
 * const cp = await Checkpoint.open<FileOffset>('./lake/_checkpoints/orders')
 * const last = await cp.lastCommitted() // undefined before the first batch
 */
export class Checkpoint<O> {
  private constructor(readonly location: string, readonly metadata: StreamCheckpointMetadata) {}

  /** Open (or start) the checkpoint at `location`. */
  static async open<O>(location: string, source?: string): Promise<Checkpoint<O>> {
    await mkdir(join(location, 'offsets'), { recursive: true })
    await mkdir(join(location, 'commits'), { recursive: true })
    const path = join(location, 'metadata.json')
    let metadata: StreamCheckpointMetadata
    try {
      metadata = JSON.parse(await readFile(path, 'utf8')) as StreamCheckpointMetadata
      if (typeof metadata.id !== 'string') throw new Error('no id')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new CorruptDataError(`checkpoint metadata ${path} is unreadable: ${(e as Error).message}`, { file: path, cause: e })
      metadata = { id: randomUUID(), createdAt: new Date().toISOString(), ...(source ? { source } : {}) }
      await writeFileAtomic(path, JSON.stringify(metadata, null, 2))
    }
    return new Checkpoint<O>(location, metadata)
  }

  /** The query id: the appId of the Delta txn actions committed with each batch. */
  get id(): string { return this.metadata.id }

  private async ids(kind: 'offsets' | 'commits'): Promise<number[]> {
    const names = await readdir(join(this.location, kind))
    return names.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b)
  }

  private async readEntry<T>(kind: 'offsets' | 'commits', id: number): Promise<T> {
    const path = join(this.location, kind, String(id))
    try {
      return JSON.parse(await readFile(path, 'utf8')) as T
    } catch (e) {
      throw new CorruptDataError(`checkpoint file ${path} is unreadable: ${(e as Error).message}`, { file: path, cause: e })
    }
  }

  /** Every planned batch, oldest first. */
  async offsets(): Promise<OffsetEntry<O>[]> {
    const out: OffsetEntry<O>[] = []
    for (const id of await this.ids('offsets')) out.push(await this.readEntry<OffsetEntry<O>>('offsets', id))
    return out
  }

  async lastCommitted(): Promise<CommitEntry | undefined> {
    const ids = await this.ids('commits')
    return ids.length ? this.readEntry<CommitEntry>('commits', ids[ids.length - 1]) : undefined
  }

  async commits(): Promise<CommitEntry[]> {
    const out: CommitEntry[] = []
    for (const id of await this.ids('commits')) out.push(await this.readEntry<CommitEntry>('commits', id))
    return out
  }

  async writeOffset(batchId: number, offset: O): Promise<void> {
    const entry: OffsetEntry<O> = { batchId, offset, plannedAt: new Date().toISOString() }
    await writeFileAtomic(join(this.location, 'offsets', String(batchId)), JSON.stringify(entry))
  }

  async writeCommit(entry: CommitEntry): Promise<void> {
    await writeFileAtomic(join(this.location, 'commits', String(entry.batchId)), JSON.stringify(entry))
  }
}
