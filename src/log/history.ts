// Table history: the commitInfo of each retained commit, newest first, with its version and commit
// timestamp — the one time travel uses: the in-commit timestamp when present, else the commit file's
// modification time made strictly increasing (as Delta Spark's DESCRIBE HISTORY reports). The
// writer's own clock reading stays available as `commitInfo.timestamp` under `operationTimestamp`.
import type { ObjectStore } from '../storage/object-store.js'
import type { CommitInfo } from './actions.js'
import { listLog } from './log-segment.js'
import type { LogPath } from './log-path.js'
import { readCommits } from './snapshot.js'
import { monotonicMtimes } from './time-travel.js'

/** One version of `history()`: the commit's commitInfo, its version and its timestamps. */
export interface HistoryEntry extends CommitInfo {
  version: number
  /** Commit timestamp (epoch ms) as time travel sees it. */
  timestamp: number
  /** `commitInfo.timestamp` as the writer recorded it, when present. */
  operationTimestamp?: number
}

/** commitInfo per version from `upTo` down, at most `limit` entries; stops at the first missing commit. */
export async function readHistory(store: ObjectStore, table: string, upTo: number, limit?: number): Promise<HistoryEntry[]> {
  const listing = await listLog(store)
  const files: LogPath[] = []
  for (let v = upTo; v >= 0 && (limit === undefined || files.length < limit); v--) {
    const c = listing.commits.get(v)
    if (!c) break // older commits were cleaned up: history ends here
    files.push(c)
  }
  const batches = await readCommits(store, files, table)
  const oldest = files.length ? files[files.length - 1].version : 0
  // Monotonise from the oldest retained commit so that limits do not change the answer.
  let first = oldest
  while (listing.commits.has(first - 1)) first--
  const mtimes = monotonicMtimes(listing, first, upTo)
  return batches.map((b, i) => {
    let info: CommitInfo | undefined
    for (const a of b.actions) if ('commitInfo' in a) { info = a.commitInfo; break }
    const timestamp = info?.inCommitTimestamp ?? mtimes.get(b.version) ?? files[i].mtime
    const entry: HistoryEntry = { ...(info ?? {}), version: b.version, timestamp }
    if (typeof info?.timestamp === 'number') entry.operationTimestamp = info.timestamp
    return entry
  })
}
