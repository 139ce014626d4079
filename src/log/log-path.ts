// Names of the files in `_delta_log/` (PROTOCOL.md "Delta Log Entries", "Checkpoints", "Log
// Compaction Files"): which are commits, which checkpoints (classic, multi-part, V2), which compacted
// ranges, and which are strays to ignore (`.crc`, Hadoop `.*.crc`, `.tmp/`, `_autostats/`, markers).
import type { ObjectMeta } from '../storage/object-store.js'

export const LOG_DIR = '_delta_log/'
export const SIDECAR_DIR = '_delta_log/_sidecars/'
export const LAST_CHECKPOINT = '_delta_log/_last_checkpoint'

export type LogFileKind = 'commit' | 'checkpoint' | 'multipartCheckpoint' | 'v2Checkpoint' | 'compaction'

export interface LogPath {
  kind: LogFileKind
  version: number
  /** Store key, e.g. `_delta_log/00000000000000000003.json`. */
  key: string
  size: number
  mtime: number
  /** Multi-part checkpoints: 1-based part number and the number of parts. */
  part?: number
  parts?: number
  /** V2 checkpoints: the file's format. */
  format?: 'json' | 'parquet'
  /** Compaction files: the last version the file covers. */
  endVersion?: number
}

const COMMIT = /^(\d{20})\.json$/
const CLASSIC = /^(\d{20})\.checkpoint\.parquet$/
const MULTIPART = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/
const V2 = /^(\d{20})\.checkpoint\.([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\.(json|parquet)$/
const COMPACTED = /^(\d{20})\.(\d{20})\.compacted\.json$/

/** The 20-digit zero-padded version used in log file names. */
export function padVersion(version: number): string {
  return String(version).padStart(20, '0')
}

export function commitKey(version: number): string {
  return `${LOG_DIR}${padVersion(version)}.json`
}

/** Classify a listed object; undefined for anything that is not a commit, checkpoint or compaction. */
export function parseLogPath(meta: ObjectMeta): LogPath | undefined {
  const slash = meta.key.lastIndexOf('/')
  const dir = meta.key.slice(0, slash + 1)
  // Only direct children of `_delta_log/` count: `.tmp/`, `_sidecars/`, `_autostats/` hold other things.
  if (!dir.endsWith(LOG_DIR) || dir.length !== LOG_DIR.length) return undefined
  const name = meta.key.slice(slash + 1)
  const c = name.charCodeAt(0)
  if (c < 48 || c > 57) return undefined // not a digit: `_last_checkpoint`, `.x.crc`, `.s3-optimization-0`…
  // Filesystems report sub-millisecond mtimes; Delta timestamps are whole milliseconds.
  const base = { key: meta.key, size: meta.size, mtime: Math.floor(meta.mtime) }
  let m = COMMIT.exec(name)
  if (m) return { kind: 'commit', version: Number(m[1]), ...base }
  m = CLASSIC.exec(name)
  if (m) return { kind: 'checkpoint', version: Number(m[1]), ...base }
  m = MULTIPART.exec(name)
  if (m) {
    const part = Number(m[2])
    const parts = Number(m[3])
    if (part < 1 || part > parts) return undefined
    return { kind: 'multipartCheckpoint', version: Number(m[1]), part, parts, ...base }
  }
  m = V2.exec(name)
  if (m) return { kind: 'v2Checkpoint', version: Number(m[1]), format: m[3] as 'json' | 'parquet', ...base }
  m = COMPACTED.exec(name)
  if (m) {
    const start = Number(m[1])
    const end = Number(m[2])
    if (end < start) return undefined
    return { kind: 'compaction', version: start, endVersion: end, ...base }
  }
  return undefined
}
