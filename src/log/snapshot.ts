// A Snapshot: the state of a table at one version, reconstructed from its log segment. Loading
// reads the checkpoint and the few commits after it; an unreadable checkpoint falls back to an older
// one or to a JSON-only replay when the commits still exist.
import { CorruptLogError, DeltaError, InvalidArgumentError, StorageError, UnsafePathError } from '../errors.js'
import { columnMappingMode, parseSchema, type ColumnMappingMode, type StructType } from '../schema/types.js'
import type { ObjectStore } from '../storage/object-store.js'
import { resolveLogPath } from '../storage/paths.js'
import { parseActionLines, type Action, type AddFile, type CommitInfo, type DomainMetadata, type Metadata, type Protocol, type RemoveFile } from './actions.js'
import { readCheckpoint, type CheckpointData } from './checkpoint-read.js'
import { buildLogSegment, listLog, type LogSegment } from './log-segment.js'
import { commitKey, type LogPath } from './log-path.js'
import { replay, type CommitBatch } from './replay.js'
import { checkReaderSupport } from './table-features.js'
import { resolveTimestampVersion } from './time-travel.js'
import { checkOptions, optionKeys } from '../options.js'

/** Options of `loadSnapshot`: which version to load, and how. */
export interface SnapshotOptions {
  version?: number
  timestamp?: string | Date | number
  /** Name used in messages; defaults to the store URL. */
  table?: string
  /** Allow `add.path` values outside the table root (absolute URIs). Off by default. */
  allowExternalPaths?: boolean
  /** Ignore checkpoints and compacted files and replay every commit (consistency checks, tests). */
  jsonOnly?: boolean
}
export const SNAPSHOT_OPTION_KEYS = optionKeys<SnapshotOptions>()(['version', 'timestamp', 'table', 'allowExternalPaths', 'jsonOnly'])

/**
 * The state of a table at one version, replayed from its log: protocol, metadata, live files, txns.
 * @example
 * const snapshot = await loadSnapshot(await openStore('./lake/events'))
 * console.log(snapshot.version, snapshot.activeFiles().length, snapshot.partitionColumns)
 */
export class Snapshot {
  readonly schema: StructType
  readonly partitionColumns: string[]
  readonly properties: Record<string, string>
  readonly columnMappingMode: ColumnMappingMode
  /**
   * The newest checkpoint version known to exist at or below this version (-1: none known); the
   * post-commit step writes a checkpoint that was due but is missing (table/post-commit.ts).
   */
  lastCheckpointVersion = -1

  constructor(
    readonly store: ObjectStore,
    readonly tableUrl: string,
    readonly version: number,
    readonly protocol: Protocol,
    readonly metadata: Metadata,
    readonly txns: Map<string, number>,
    readonly domainMetadata: Map<string, DomainMetadata>,
    /** Commit timestamp of `version`: the in-commit timestamp when enabled, else the commit file's mtime. */
    readonly timestamp: number,
    private readonly adds: AddFile[],
    private readonly removes: RemoveFile[],
    /** The commitInfo of `version`, when its commit file was read. */
    readonly commitInfo: CommitInfo | undefined,
    readonly allowExternalPaths = false,
  ) {
    this.schema = parseSchema(metadata.schemaString, { table: tableUrl, version })
    this.partitionColumns = metadata.partitionColumns
    this.properties = metadata.configuration
    this.columnMappingMode = columnMappingMode(metadata.configuration)
  }

  /** Active add actions; `stats` is always the JSON string (converted from `stats_parsed` if needed). */
  activeFiles(): AddFile[] {
    return this.adds
  }

  /** Remove actions still in the log's reconciled state (VACUUM decides which have expired). */
  tombstones(): RemoveFile[] {
    return this.removes
  }

  /** Store key of a file the log names (URL-decoded, under the table root). */
  resolvePath(logPath: string): string {
    const r = resolveLogPath(this.tableUrl, logPath, { allowExternalPaths: this.allowExternalPaths, table: this.tableUrl })
    if (r.key !== undefined) return r.key
    if (r.external !== undefined) return r.external
    throw new UnsafePathError(`cannot resolve path ${logPath} in table ${this.tableUrl}`, { table: this.tableUrl, file: logPath })
  }
}

/**
 * Load the snapshot at a version, a timestamp, or the latest.
 * @example
 * const snapshot = await loadSnapshot(await openStore('./lake/events'), { version: 3 })
 */
export async function loadSnapshot(store: ObjectStore, opts: SnapshotOptions = {}): Promise<Snapshot> {
  const table = opts.table ?? store.url
  checkOptions('loadSnapshot', opts, SNAPSHOT_OPTION_KEYS, { table })
  if (opts.version !== undefined && opts.timestamp !== undefined) {
    throw new InvalidArgumentError(`give either version or timestamp, not both (table ${table})`, { table })
  }
  if (opts.version !== undefined && (!Number.isSafeInteger(opts.version) || opts.version < 0)) {
    throw new InvalidArgumentError(`version must be a non-negative integer, got ${opts.version} (table ${table})`, { table })
  }
  let version = opts.version
  if (opts.timestamp !== undefined) {
    const latest = await loadSnapshot(store, { table, allowExternalPaths: opts.allowExternalPaths })
    version = await resolveTimestampVersion(store, opts.timestamp, table, latest)
    if (version === latest.version) return latest
  }

  let segment = await buildLogSegment(store, { version, table, jsonOnly: opts.jsonOnly })
  const excluded = new Set<number>()
  let checkpoint: CheckpointData | undefined
  let skipped = '' // why checkpoints were passed over, for later messages
  for (;;) {
    if (!segment.checkpoint) break
    try {
      checkpoint = await readCheckpoint(store, segment.checkpoint, table)
      break
    } catch (e) {
      // An unreadable checkpoint is not fatal while an older checkpoint or the full JSON log remains.
      excluded.add(segment.checkpoint.version)
      skipped += `; checkpoint ${segment.checkpoint.files[0].key} was unreadable: ${e instanceof Error ? e.message : String(e)}`
      try {
        segment = await buildLogSegment(store, { version: segment.version, table, excludeCheckpoints: excluded, fullListing: true })
      } catch (e2) {
        const msg = e instanceof Error ? e.message : String(e)
        throw new CorruptLogError(
          `cannot load version ${version ?? segment.version} of table ${table}: checkpoint unreadable (${msg}) and the commits needed to replay without it are gone (${(e2 as Error).message})`,
          { table, version: segment.version, cause: e },
        )
      }
    }
  }

  const commits = await readCommits(store, segment.commits, table)
  const state = replay(commits, checkpoint)
  const where = (checkpoint ? ` (checkpoint ${checkpoint.files[0]})` : '') + skipped
  if (!state.protocol) throw new CorruptLogError(`no protocol action found in the log of table ${table} at version ${segment.version}${where}`, { table, version: segment.version })
  if (!state.metadata) throw new CorruptLogError(`no metaData action found in the log of table ${table} at version ${segment.version}${where}`, { table, version: segment.version })
  checkReaderSupport(state.protocol, { table, version: segment.version })

  const last = commits.length && commits[commits.length - 1].version === segment.version ? commits[commits.length - 1] : undefined
  let commitInfo = last ? findCommitInfo(last) : undefined
  if (!commitInfo && segment.lastCommit && !last) {
    commitInfo = findCommitInfo((await readCommits(store, [segment.lastCommit], table))[0])
  }
  const timestamp = commitTimestamp(state.metadata, commitInfo, segment, table)
  const snapshot = new Snapshot(
    store, store.url, segment.version, state.protocol, state.metadata, state.txns, state.domainMetadata,
    timestamp, state.adds, state.removes, commitInfo, opts.allowExternalPaths ?? false,
  )
  if (checkpoint && segment.checkpoint) snapshot.lastCheckpointVersion = segment.checkpoint.version
  return snapshot
}

/**
 * The snapshot at a later version (default: the latest) built from `base` plus only the commits
 * after it, as if `base` were a checkpoint: a handle that just committed, or a stream that polls,
 * reads one small commit instead of the checkpoint again. Falls back to a full load when the target
 * is older than `base` or a commit after it is gone (log cleanup).
 */
export async function advanceSnapshot(base: Snapshot, opts: { version?: number; known?: ReadonlyMap<number, Action[]> } = {}): Promise<Snapshot> {
  const table = base.tableUrl
  const full = () => loadSnapshot(base.store, { version: opts.version, table, allowExternalPaths: base.allowExternalPaths })
  if (opts.version === base.version) return base
  if (opts.version !== undefined && opts.version < base.version) return full()
  // Every commit up to the target already read (a writer's winners and its own commit, parsed from
  // their bytes): replay them; only the last one's file is looked up (its mtime is the timestamp).
  if (opts.version !== undefined && opts.known) {
    const known = opts.known
    const versions = Array.from({ length: opts.version - base.version }, (_, i) => base.version + 1 + i)
    if (versions.every((v) => known.has(v))) {
      const meta = await base.store.head(commitKey(opts.version))
      if (!meta) return full()
      const last: LogPath = { kind: 'commit', version: opts.version, key: meta.key, size: meta.size, mtime: meta.mtime }
      return replayOnto(base, [last], versions.map((v) => ({ version: v, key: commitKey(v), newestFirst: false, actions: known.get(v)! })))
    }
  }
  // A known target a few commits ahead (a handle moving to the commit it just wrote): the commit
  // files are named by version, so a HEAD each replaces listing the log (which on Azure lists all
  // of `_delta_log/`, and on a local folder reads the whole directory).
  const files: LogPath[] = []
  if (opts.version !== undefined && opts.version - base.version <= 4) {
    const versions = Array.from({ length: opts.version - base.version }, (_, i) => base.version + 1 + i)
    const metas = await Promise.all(versions.map((v) => base.store.head(commitKey(v))))
    for (let i = 0; i < versions.length; i++) {
      const meta = metas[i]
      if (!meta) return full() // cleaned up or never written: let the full load decide
      files.push({ kind: 'commit', version: versions[i], key: meta.key, size: meta.size, mtime: meta.mtime })
    }
  } else {
    const listing = await listLog(base.store, base.version + 1)
    let latest = base.version
    for (const v of listing.commits.keys()) if (v > latest) latest = v
    const version = opts.version ?? latest
    if (version === base.version) return base
    for (let v = base.version + 1; v <= version; v++) {
      const c = listing.commits.get(v)
      if (!c) return full() // a gap (or a version past the end): let the full load report it
      files.push(c)
    }
  }
  return replayOnto(base, files, await readCommits(base.store, files, table))
}

/** `base` moved past `commits` (read from `files`, the last of them the new version's commit). */
function replayOnto(base: Snapshot, files: LogPath[], commits: CommitBatch[]): Snapshot {
  const table = base.tableUrl
  const version = files[files.length - 1].version
  const state = replay(commits, {
    version: base.version, protocol: base.protocol, metadata: base.metadata,
    txns: [...base.txns].map(([appId, v]) => ({ appId, version: v })),
    domainMetadata: [...base.domainMetadata.values()],
    adds: base.activeFiles(), removes: base.tombstones(), files: [],
  })
  // replay() falls back to the base's protocol and metadata, so both are set.
  const protocol = state.protocol as Protocol
  const metadata = state.metadata as Metadata
  checkReaderSupport(protocol, { table, version })
  const last = commits[commits.length - 1]
  const commitInfo = findCommitInfo(last)
  const segment = { version, lastCommit: files[files.length - 1] }
  const timestamp = commitTimestamp(metadata, commitInfo, segment, table)
  const snapshot = new Snapshot(
    base.store, table, version, protocol, metadata, state.txns, state.domainMetadata,
    timestamp, state.adds, state.removes, commitInfo, base.allowExternalPaths,
  )
  snapshot.lastCheckpointVersion = base.lastCheckpointVersion
  return snapshot
}

/** Whether `delta.enableInCommitTimestamps` is on (PROTOCOL.md "In-Commit Timestamps"). */
export function inCommitTimestampsEnabled(metadata: Metadata): boolean {
  return metadata.configuration['delta.enableInCommitTimestamps'] === 'true'
}

function commitTimestamp(metadata: Metadata, info: CommitInfo | undefined, segment: Pick<LogSegment, 'version' | 'lastCommit' | 'checkpoint'>, table: string): number {
  if (inCommitTimestampsEnabled(metadata)) {
    const ict = info?.inCommitTimestamp
    if (typeof ict === 'number') return ict
    const enabledAt = Number(metadata.configuration['delta.inCommitTimestampEnablementVersion'] ?? 0)
    if (segment.version >= enabledAt && segment.lastCommit) {
      throw new CorruptLogError(`commit ${segment.lastCommit.key} of table ${table} has no inCommitTimestamp although in-commit timestamps are enabled`, { table, version: segment.version, file: segment.lastCommit.key })
    }
  }
  if (segment.lastCommit) return segment.lastCommit.mtime
  return segment.checkpoint?.files[0].mtime ?? info?.timestamp ?? 0
}

function findCommitInfo(batch: CommitBatch): CommitInfo | undefined {
  for (const a of batch.actions) if ('commitInfo' in a) return a.commitInfo
  return undefined
}

/** Read and parse commit (or compacted) files, a bounded number at a time, in version order. */
export async function readCommits(store: ObjectStore, files: readonly LogPath[], table: string): Promise<CommitBatch[]> {
  const out: CommitBatch[] = new Array(files.length)
  const decoder = new TextDecoder()
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++
      const f = files[i]
      let bytes: Uint8Array
      try {
        bytes = await store.get(f.key)
      } catch (e) {
        // The store failing (a network path that kept failing, a permission) is not a damaged log.
        if (e instanceof StorageError) throw e
        if (e instanceof DeltaError) throw new CorruptLogError(`cannot read ${f.key} of table ${table}: ${e.message}`, { table, version: f.version, file: f.key, cause: e })
        throw e
      }
      // A short read that ends on a line boundary would parse as a smaller, valid commit: compare
      // with the size the listing reported (commits are immutable, so the two must agree).
      if (f.size > 0 && bytes.length < f.size) {
        throw new CorruptLogError(`short read of ${f.key} of table ${table}: ${bytes.length} of ${f.size} bytes`, { table, version: f.version, file: f.key })
      }
      out[i] = {
        version: f.endVersion ?? f.version, key: f.key, newestFirst: f.kind === 'compaction',
        actions: parseActionLines(decoder.decode(bytes), { table, file: f.key, version: f.version }),
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(16, files.length) }, worker))
  return out
}
