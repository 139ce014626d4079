// Time travel by timestamp: the version whose commit timestamp is the latest at or before the asked
// time. Commit timestamps are in-commit timestamps where enabled (PROTOCOL.md "In-Commit Timestamps"),
// else commit file mtimes made strictly increasing the way Delta Spark does (a commit whose mtime is
// not after its predecessor's counts as predecessor + 1 ms).
//
// Choice: a timestamp before the earliest recreatable commit or after the latest commit is an error
// (VersionNotFoundError), as in Delta Spark time travel; delta-rs instead returns the latest version
// for future timestamps, which silently hides clock mistakes.
import { InvalidArgumentError, VersionNotFoundError } from '../errors.js'
import type { ObjectStore } from '../storage/object-store.js'
import { parseActionLines, type Metadata } from './actions.js'
import { listLog } from './log-segment.js'
import type { LogPath } from './log-path.js'

/** Milliseconds since the epoch from a user timestamp (ISO string, Date or ms). */
export function parseTimestampArg(ts: string | Date | number, table?: string): number {
  let ms: number
  if (ts instanceof Date) ms = ts.getTime()
  else if (typeof ts === 'number') ms = ts
  else {
    // A date or date-time without a zone is taken as UTC, so results do not depend on the machine.
    const s = ts.trim()
    if (/^\d{4}-\d{2}-\d{2}$/.test(s)) ms = Date.parse(`${s}T00:00:00Z`)
    else {
      const iso = s.replace(' ', 'T')
      ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(iso) ? iso : `${iso}Z`)
    }
  }
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`invalid timestamp ${JSON.stringify(String(ts))} for time travel${table ? ` on table ${table}` : ''}`, { table })
  return ms
}

/** Commit timestamps of every recreatable version, ascending (mtimes monotonised; ICT where enabled). */
export interface CommitTime {
  version: number
  timestamp: number
}

/** The version a timestamp selects; `latest` is the table's latest state (its metadata says whether ICT is on). */
export async function resolveTimestampVersion(
  store: ObjectStore,
  ts: string | Date | number,
  table: string,
  latest: { version: number; metadata: Metadata; timestamp: number },
): Promise<number> {
  const target = parseTimestampArg(ts, table)
  const listing = await listLog(store)
  const earliest = earliestRecreatable(listing.commits, listing.checkpoints.map((c) => c.version))
  if (earliest === undefined || earliest > latest.version) {
    throw new VersionNotFoundError(`table ${table} has no recreatable version for time travel`, { table })
  }
  const iso = (ms: number) => new Date(ms).toISOString()
  const afterLatest = (latestTs: number) => new VersionNotFoundError(
    `timestamp ${iso(target)} is after the latest commit of table ${table} (version ${latest.version} at ${iso(latestTs)})`,
    { table, version: latest.version },
  )

  const conf = latest.metadata.configuration
  const ict = conf['delta.enableInCommitTimestamps'] === 'true'
  const ictFrom = ict ? Math.max(earliest, Number(conf['delta.inCommitTimestampEnablementVersion'] ?? earliest)) : Infinity
  const ictFromTs = ict ? Number(conf['delta.inCommitTimestampEnablementTimestamp'] ?? Number.NEGATIVE_INFINITY) : Infinity

  if (ict && ictFrom <= latest.version && target > latest.timestamp) throw afterLatest(latest.timestamp)
  if (ict && target >= ictFromTs) {
    // In-commit timestamps are monotonic: binary search, reading only the commits we probe.
    let lo = ictFrom
    let hi = latest.version
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const t = await readInCommitTimestamp(store, listing.commits.get(mid), mid, table)
      if (t <= target) { found = mid; lo = mid + 1 } else hi = mid - 1
    }
    if (found >= 0) return found
    if (ictFrom === earliest) throw beforeEarliest(target, earliest, table)
  }

  // Versions before in-commit timestamps (or all of them): monotonised file mtimes.
  const times = monotonicMtimes(listing, earliest, Math.min(latest.version, ictFrom - 1))
  const lastTs = times.get(latest.version)
  if (lastTs !== undefined && target > lastTs) throw afterLatest(lastTs)
  let found = -1
  for (const [v, t] of times) {
    if (t <= target) found = v
    else break
  }
  if (found < 0) throw beforeEarliest(target, earliest, table, times.values().next().value)
  return found
}

/**
 * Commit file mtimes of versions [from, to], made strictly increasing (a commit whose mtime is not
 * after its predecessor's counts as predecessor + 1 ms), in ascending version order.
 */
export function monotonicMtimes(listing: { commits: Map<number, LogPath>; checkpoints: { version: number; files: LogPath[] }[] }, from: number, to: number): Map<number, number> {
  const out = new Map<number, number>()
  let prev = Number.NEGATIVE_INFINITY
  for (let v = from; v <= to; v++) {
    const mtime = listing.commits.get(v)?.mtime ?? listing.checkpoints.find((x) => x.version === v)?.files[0].mtime
    if (mtime === undefined) continue
    const t = mtime > prev ? mtime : prev + 1
    prev = t
    out.set(v, t)
  }
  return out
}

function beforeEarliest(target: number, earliest: number, table: string, earliestTs?: number): VersionNotFoundError {
  const at = earliestTs !== undefined && Number.isFinite(earliestTs) ? ` at ${new Date(earliestTs).toISOString()}` : ''
  return new VersionNotFoundError(
    `timestamp ${new Date(target).toISOString()} is before the earliest recreatable version ${earliest}${at} of table ${table}`,
    { table, version: earliest },
  )
}

/** The oldest version we can rebuild: 0 when its commit exists, else the oldest checkpoint. */
export function earliestRecreatable(commits: Map<number, LogPath>, checkpointVersions: number[]): number | undefined {
  if (commits.has(0)) return 0
  return checkpointVersions.length ? Math.min(...checkpointVersions) : undefined
}

async function readInCommitTimestamp(store: ObjectStore, commit: LogPath | undefined, version: number, table: string): Promise<number> {
  if (!commit) throw new VersionNotFoundError(`commit ${version} of table ${table} is missing`, { table, version })
  const actions = parseActionLines(new TextDecoder().decode(await store.get(commit.key)), { table, file: commit.key, version })
  for (const a of actions) {
    if ('commitInfo' in a && typeof a.commitInfo.inCommitTimestamp === 'number') return a.commitInfo.inCommitTimestamp
  }
  // Spec: with ICT enabled every commit's first action is commitInfo with inCommitTimestamp.
  return commit.mtime
}
