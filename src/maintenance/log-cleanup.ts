// Metadata cleanup (PROTOCOL.md "Metadata Cleanup"): delete the commits, checkpoints, checksum and
// compaction files older than `delta.logRetentionDuration` (default 30 days), but only below a
// checkpoint — the newest checkpoint not newer than the cutoff — so every retained version can
// still be rebuilt. Off when `delta.enableExpiredLogCleanup` is `false`. Runs after checkpoints.
import { parseActionLines } from '../log/actions.js'
import { LOG_DIR, parseLogPath, type LogPath } from '../log/log-path.js'
import { listLog, type CheckpointRef } from '../log/log-segment.js'
import { loadSnapshot, type Snapshot } from '../log/snapshot.js'
import { monotonicMtimes } from '../log/time-travel.js'
import type { ObjectStore } from '../storage/object-store.js'
import { DAY_MS, logRetentionMs, nowOf, type Clock } from './durations.js'
import { checkOptions, optionKeys } from '../options.js'
import { checkClock } from '../clock.js'

/** Options of `cleanupExpiredLogs`. */
export interface LogCleanupOptions {
  now?: Clock
  /** Override `delta.logRetentionDuration` (ms). */
  retentionMs?: number
  /** List what would be deleted without deleting it. */
  dryRun?: boolean
}
export const LOG_CLEANUP_OPTION_KEYS = optionKeys<LogCleanupOptions>()(['now', 'retentionMs', 'dryRun'])

/** What `cleanupExpiredLogs` removed. */
export interface LogCleanupResult {
  /** The checkpoint version everything older than was removed (undefined: nothing to clean). */
  checkpointVersion?: number
  /** `_delta_log/…` keys deleted (or that a dry run would delete), ascending by version. */
  filesDeleted: string[]
}

const CRC = /^(\d{20})\.crc$/

/** Midnight UTC at or before `ms` (the spec's cutoff is a day boundary). */
function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS
}

/**
 * Clean up the log of the table in `store` per its latest metadata.
 * @example
 * const { filesDeleted } = await cleanupExpiredLogs(await openStore('./lake/events'), { dryRun: true })
 */
export async function cleanupExpiredLogs(store: ObjectStore, opts: LogCleanupOptions = {}): Promise<LogCleanupResult> {
  checkOptions('cleanupExpiredLogs', opts, LOG_CLEANUP_OPTION_KEYS, { table: store.url })
  checkClock(opts.now)
  return cleanupExpiredLogsAt(await loadSnapshot(store), opts)
}

/** The cleanup given the table's latest snapshot (a writer's post-commit step holds it already). */
export async function cleanupExpiredLogsAt(latest: Snapshot, opts: LogCleanupOptions = {}): Promise<LogCleanupResult> {
  const store = latest.store
  const conf = latest.properties
  if (conf['delta.enableExpiredLogCleanup'] === 'false') return { filesDeleted: [] }
  const retention = opts.retentionMs ?? logRetentionMs(conf, latest.tableUrl)
  const cutoff = startOfUtcDay(nowOf(opts.now) - retention)
  if (await oldestCommitAfter(store, latest, cutoff)) return { filesDeleted: [] }

  const listing = await listLog(store)
  const timestampOf = await commitTimestamps(store, latest, listing)
  // The newest checkpoint whose commit is not newer than the cutoff: every version from it on stays
  // recreatable (commit timestamps only grow, so this checkpoint precedes the spec's cutoff commit).
  let cp: CheckpointRef | undefined
  for (const c of listing.checkpoints) { // newest first
    if (c.version > latest.version) continue
    const ts = await timestampOf(c.version)
    if (ts !== undefined && ts <= cutoff) { cp = c; break }
  }
  if (!cp) return { filesDeleted: [] }
  const keepVersion = cp.version

  const doomed: { version: number; key: string }[] = []
  for (const [v, p] of listing.commits) if (v < keepVersion) doomed.push({ version: v, key: p.key })
  for (const c of listing.checkpoints) if (c.version < keepVersion) for (const f of c.files) doomed.push({ version: c.version, key: f.key })
  for (const p of listing.compactions) if (p.version <= keepVersion) doomed.push({ version: p.version, key: p.key })
  // Checksum files and incomplete multi-part checkpoints are not in the listing's model: list them.
  const known = new Set(doomed.map((d) => d.key))
  for await (const meta of store.list(LOG_DIR, { recursive: false })) {
    const name = meta.key.slice(LOG_DIR.length)
    const crc = CRC.exec(name)
    if (crc && Number(crc[1]) < keepVersion) doomed.push({ version: Number(crc[1]), key: meta.key })
    const partial = /^(\d{20})\.checkpoint\.\d{10}\.\d{10}\.parquet$/.exec(name)
    if (partial && Number(partial[1]) < keepVersion && !known.has(meta.key)) doomed.push({ version: Number(partial[1]), key: meta.key })
  }
  doomed.sort((a, b) => a.version - b.version || (a.key < b.key ? -1 : 1))
  const filesDeleted = doomed.map((d) => d.key)
  if (!opts.dryRun) {
    // Oldest first, so an interrupted cleanup leaves a contiguous log above a gap, never holes.
    for (let i = 0; i < filesDeleted.length; i += 16) {
      await Promise.all(filesDeleted.slice(i, i + 16).map((k) => store.delete(k)))
    }
  }
  return { checkpointVersion: keepVersion, filesDeleted }
}

/**
 * Whether the log's oldest version is a commit newer than `cutoff`, read from the start of one
 * listing (a table younger than its retention: every post-commit cleanup of it until then). Commit
 * timestamps only grow with the version (mtimes as made monotonic below; in-commit timestamps by
 * the protocol), so then no checkpoint is old enough, and the full pass — two listings of
 * `_delta_log/`, a stat per file on a local folder, after every checkpoint — would find nothing.
 * Any doubt (the oldest version has no commit file, in-commit timestamps enabled after it, an
 * unreadable commit) answers false: the full pass decides.
 */
async function oldestCommitAfter(store: ObjectStore, latest: Snapshot, cutoff: number): Promise<boolean> {
  let version: number | undefined
  let commit: LogPath | undefined
  // Keys are sorted and versions zero-padded: the oldest version's files come first.
  for await (const meta of store.list(LOG_DIR, { recursive: false })) {
    const p = parseLogPath(meta)
    if (!p) continue
    if (version === undefined) version = p.version
    else if (p.version !== version) break
    if (p.kind === 'commit') commit = p
  }
  if (version === undefined || !commit) return false
  if (commit.mtime <= cutoff) return false
  const conf = latest.properties
  if (conf['delta.enableInCommitTimestamps'] !== 'true') return true
  // In-commit timestamps from this version on: the oldest one bounds the later ones.
  if (version < Number(conf['delta.inCommitTimestampEnablementVersion'] ?? 0)) return false
  try {
    const actions = parseActionLines(new TextDecoder().decode(await store.get(commit.key)), { file: commit.key, version })
    for (const a of actions) if ('commitInfo' in a && typeof a.commitInfo.inCommitTimestamp === 'number') return a.commitInfo.inCommitTimestamp > cutoff
  } catch {
    // unreadable: the full pass decides
  }
  return false
}

/**
 * Commit timestamp by version: the in-commit timestamp where enabled (PROTOCOL.md "In-Commit
 * Timestamps"), else the commit file's mtime made monotonic as time travel does; a version whose
 * commit file is gone falls back to its checkpoint's mtime.
 */
async function commitTimestamps(store: ObjectStore, latest: Snapshot, listing: Awaited<ReturnType<typeof listLog>>): Promise<(v: number) => Promise<number | undefined>> {
  const versions = [...listing.commits.keys(), ...listing.checkpoints.map((c) => c.version)]
  const from = versions.length ? Math.min(...versions) : 0
  const mtimes = monotonicMtimes(listing, from, latest.version)
  const conf = latest.properties
  const ict = conf['delta.enableInCommitTimestamps'] === 'true'
  const ictFrom = ict ? Number(conf['delta.inCommitTimestampEnablementVersion'] ?? 0) : Infinity
  return async (v) => {
    const commit = listing.commits.get(v)
    if (v >= ictFrom && commit) {
      try {
        const actions = parseActionLines(new TextDecoder().decode(await store.get(commit.key)), { file: commit.key, version: v })
        for (const a of actions) if ('commitInfo' in a && typeof a.commitInfo.inCommitTimestamp === 'number') return a.commitInfo.inCommitTimestamp
      } catch {
        return undefined // an unreadable commit is never a cutoff: keep everything around it
      }
    }
    return mtimes.get(v)
  }
}
