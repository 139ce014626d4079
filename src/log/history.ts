// Table history: the commitInfo of each retained commit, newest first, with its version and commit
// timestamp (the in-commit timestamp when present, else commitInfo.timestamp, else the file mtime).
import type { ObjectStore } from '../storage/object-store.js'
import type { CommitInfo } from './actions.js'
import { listLog } from './log-segment.js'
import type { LogPath } from './log-path.js'
import { readCommits } from './snapshot.js'

export interface HistoryEntry extends CommitInfo {
  version: number
  timestamp: number
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
  return batches.map((b, i) => {
    let info: CommitInfo | undefined
    for (const a of b.actions) if ('commitInfo' in a) { info = a.commitInfo; break }
    const timestamp = info?.inCommitTimestamp ?? info?.timestamp ?? files[i].mtime
    return { ...(info ?? {}), version: b.version, timestamp }
  })
}
