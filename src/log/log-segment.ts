// The log segment of a version: the newest complete checkpoint at or before it plus the contiguous
// commits after it (PROTOCOL.md "Checkpoints", "Last Checkpoint File"). Listing starts at the version
// `_last_checkpoint` names, so opening a long-lived table reads a handful of names, not thousands.
import { CorruptLogError, TableNotFoundError, VersionNotFoundError } from '../errors.js'
import type { ObjectStore } from '../storage/object-store.js'
import { LAST_CHECKPOINT, LOG_DIR, padVersion, parseLogPath, type LogPath } from './log-path.js'

/** A complete checkpoint: one file (classic, V2) or every part of one multi-part set. */
export interface CheckpointRef {
  version: number
  kind: 'classic' | 'multipart' | 'v2'
  files: LogPath[]
}

/** What one listing of `_delta_log/` found. */
export interface LogListing {
  /** Commit files by version. */
  commits: Map<number, LogPath>
  /** Complete checkpoints, newest first (V2 before classic at one version, then the smaller set). */
  checkpoints: CheckpointRef[]
  compactions: LogPath[]
  /** True when the listing started after a checkpoint version (older files were not listed). */
  partial: boolean
}

export interface LogSegment {
  version: number
  checkpoint?: CheckpointRef
  /** Commit files after the checkpoint up to `version`, ascending (compacted ranges in place of runs). */
  commits: LogPath[]
  /** The commit file of `version` itself, when it still exists (its mtime / commitInfo give the timestamp). */
  lastCommit?: LogPath
  listing: LogListing
}

export interface LastCheckpointHint {
  version: number
  size?: number
  parts?: number
}

/** Read `_last_checkpoint`; a missing, unreadable or malformed file is only a lost hint. */
export async function readLastCheckpoint(store: ObjectStore): Promise<LastCheckpointHint | undefined> {
  try {
    const bytes = await store.get(LAST_CHECKPOINT)
    const json = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>
    const version = typeof json.version === 'number' ? json.version : Number(json.version)
    if (!Number.isSafeInteger(version) || version < 0) return undefined
    const parts = typeof json.parts === 'number' ? json.parts : undefined
    return { version, parts, size: typeof json.size === 'number' ? json.size : undefined }
  } catch {
    return undefined
  }
}

/** List `_delta_log/` one level deep, from `fromVersion` on when given. */
export async function listLog(store: ObjectStore, fromVersion?: number): Promise<LogListing> {
  const commits = new Map<number, LogPath>()
  const compactions: LogPath[] = []
  const single: LogPath[] = []
  const multipart = new Map<string, LogPath[]>()
  const startAfter = fromVersion === undefined || fromVersion <= 0 ? undefined : `${LOG_DIR}${padVersion(fromVersion - 1)}.~`
  for await (const meta of store.list(LOG_DIR, { startAfter, recursive: false })) {
    const p = parseLogPath(meta)
    if (!p) continue
    switch (p.kind) {
      case 'commit': commits.set(p.version, p); break
      case 'compaction': compactions.push(p); break
      case 'multipartCheckpoint': {
        const id = `${p.version}/${p.parts}`
        const set = multipart.get(id)
        if (set) set.push(p)
        else multipart.set(id, [p])
        break
      }
      default: single.push(p)
    }
  }
  const checkpoints: CheckpointRef[] = single.map((p) => ({ version: p.version, kind: p.kind === 'v2Checkpoint' ? 'v2' : 'classic', files: [p] }))
  for (const set of multipart.values()) {
    // An incomplete set (a writer died mid-checkpoint) is not a checkpoint at all.
    const parts = set[0].parts ?? 0
    const distinct = new Set(set.map((p) => p.part))
    if (distinct.size === parts) checkpoints.push({ version: set[0].version, kind: 'multipart', files: [...set].sort((a, b) => (a.part ?? 0) - (b.part ?? 0)) })
  }
  const rank = { v2: 0, classic: 1, multipart: 2 }
  checkpoints.sort((a, b) => b.version - a.version || rank[a.kind] - rank[b.kind] || a.files.length - b.files.length)
  return { commits, checkpoints, compactions, partial: startAfter !== undefined }
}

/** Newest version the listing knows of, or -1 when it found nothing. */
export function latestVersionOf(listing: LogListing): number {
  let v = -1
  for (const k of listing.commits.keys()) if (k > v) v = k
  for (const c of listing.checkpoints) if (c.version > v) v = c.version
  return v
}

export interface SegmentOptions {
  version?: number
  table?: string
  /** Checkpoint versions known to be unreadable: choose an older one or replay JSON. */
  excludeCheckpoints?: ReadonlySet<number>
  /** Skip `_last_checkpoint` and list everything (fallbacks, time travel by timestamp). */
  fullListing?: boolean
  /** Use neither checkpoints nor compacted files: a plain JSON replay (consistency checks, tests). */
  jsonOnly?: boolean
}

/** List the log (from `_last_checkpoint` when it is usable) and pick the segment for the version. */
export async function buildLogSegment(store: ObjectStore, opts: SegmentOptions = {}): Promise<LogSegment> {
  const table = opts.table ?? store.url
  if (!opts.fullListing && !opts.jsonOnly) {
    const hint = await readLastCheckpoint(store)
    if (hint && (opts.version === undefined || hint.version <= opts.version) && !opts.excludeCheckpoints?.has(hint.version)) {
      const listing = await listLog(store, hint.version)
      // Verify the hint: a complete checkpoint at that version must exist, else fall back to a full listing.
      if (listing.checkpoints.some((c) => c.version === hint.version)) {
        const seg = selectSegment(listing, { ...opts, table }, true)
        if (seg) return seg
      }
    }
  }
  const listing = await listLog(store)
  return selectSegment(listing, { ...opts, table }, false) as LogSegment
}

/**
 * Choose checkpoint and commits for the wanted version from a listing. With `soft`, returns
 * undefined instead of throwing when a partial listing cannot serve the version.
 */
export function selectSegment(listing: LogListing, opts: SegmentOptions & { table: string }, soft: boolean): LogSegment | undefined {
  const { table } = opts
  const latest = latestVersionOf(listing)
  if (latest < 0) {
    if (soft) return undefined
    throw new TableNotFoundError(`no Delta table at ${table}: _delta_log is missing or holds no commits`, { table })
  }
  const version = opts.version ?? latest
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new VersionNotFoundError(`invalid version ${version} for table ${table}`, { table })
  }
  if (version > latest) {
    if (soft) return undefined
    throw new VersionNotFoundError(`version ${version} does not exist in table ${table}; the latest version is ${latest}`, { table, version })
  }
  const checkpoint = opts.jsonOnly ? undefined : listing.checkpoints.find((c) => c.version <= version && !opts.excludeCheckpoints?.has(c.version))
  const from = checkpoint ? checkpoint.version + 1 : 0
  if (!checkpoint && listing.partial) return undefined
  const commits: LogPath[] = []
  for (let v = from; v <= version; v++) {
    // A compacted range replaces its commits, but never the last one: its commitInfo gives the timestamp.
    const compaction = opts.jsonOnly ? undefined : listing.compactions
      .filter((c) => c.version === v && (c.endVersion ?? 0) < version)
      .sort((a, b) => (b.endVersion ?? 0) - (a.endVersion ?? 0))[0]
    if (compaction) {
      commits.push(compaction)
      v = compaction.endVersion ?? v
      continue
    }
    const c = listing.commits.get(v)
    if (!c) {
      if (soft) return undefined
      if (!checkpoint && v === 0) {
        const first = Math.min(...listing.commits.keys())
        throw new VersionNotFoundError(
          `cannot reconstruct version ${version} of table ${table}: no checkpoint at or before it and the log starts at version ${first}`,
          { table, version },
        )
      }
      throw new CorruptLogError(
        `versions are not contiguous in table ${table}: commit ${padVersion(v)}.json is missing (needed for version ${version})`,
        { table, version, file: `${LOG_DIR}${padVersion(v)}.json` },
      )
    }
    commits.push(c)
  }
  return { version, checkpoint, commits, lastCommit: listing.commits.get(version), listing }
}
