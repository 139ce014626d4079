// Action reconciliation (PROTOCOL.md "Action Reconciliation"): newest first, the first action seen
// for a logical file (path + deletion vector id) decides whether it is active (add) or a tombstone
// (remove); the newest protocol, metaData, txn per appId and domainMetadata per domain win.
import { fileKey, type Action, type AddFile, type DomainMetadata, type Metadata, type Protocol, type RemoveFile } from './actions.js'
import type { CheckpointData } from './checkpoint-read.js'

/** One commit (or compacted range) of parsed actions, in file order. */
export interface CommitBatch {
  version: number
  key: string
  actions: Action[]
  /**
   * Lines are ordered newest first, so the first line for a file wins. Log compaction files are
   * reconciled (each file once), but delta-kernel-rs writes them newest first with duplicates.
   */
  newestFirst?: boolean
}

/**
 * Reconciliation key: path + DV id, with `file:` URIs canonicalised to the bare absolute path they
 * name (`file:/x`, `file:///x` and `/x` are one file, as Hadoop-qualified paths are in Delta Spark).
 */
export function keyOf(f: { path: string; deletionVector?: AddFile['deletionVector'] }): string {
  let p = f.path
  if (p.charCodeAt(0) === 102 && p.startsWith('file:')) p = p.replace(/^file:\/*/, '/')
  return f.deletionVector ? fileKey(p, f.deletionVector) : p
}

export interface ReplayResult {
  protocol?: Protocol
  metadata?: Metadata
  txns: Map<string, number>
  domainMetadata: Map<string, DomainMetadata>
  adds: AddFile[]
  removes: RemoveFile[]
}

/**
 * Reconcile `commits` (ascending by version, all after the checkpoint) on top of `checkpoint`.
 * Walking newest first means checkpoint adds need only a set lookup, and only when some commit
 * after the checkpoint touched files at all.
 */
export function replay(commits: readonly CommitBatch[], checkpoint?: CheckpointData): ReplayResult {
  let protocol: Protocol | undefined
  let metadata: Metadata | undefined
  const txns = new Map<string, number>()
  const domains = new Map<string, DomainMetadata>()
  const seen = new Set<string>()
  const adds: AddFile[] = []
  const removes: RemoveFile[] = []

  for (let c = commits.length - 1; c >= 0; c--) {
    const { actions, newestFirst } = commits[c]
    // Within one commit a path+dv appears at most once per action type; walking the lines backwards
    // lets the later line win should a writer have broken that rule.
    const n = actions.length
    for (let j = 0; j < n; j++) {
      const a = actions[newestFirst ? j : n - 1 - j] as Partial<Record<string, unknown>>
      if (a.add !== undefined) {
        const add = a.add as AddFile
        const k = keyOf(add)
        if (!seen.has(k)) { seen.add(k); adds.push(add) }
      } else if (a.remove !== undefined) {
        const rm = a.remove as RemoveFile
        const k = keyOf(rm)
        if (!seen.has(k)) { seen.add(k); removes.push(rm) }
      } else if (a.metaData !== undefined) {
        metadata ??= a.metaData as Metadata
      } else if (a.protocol !== undefined) {
        protocol ??= a.protocol as Protocol
      } else if (a.txn !== undefined) {
        const t = a.txn as { appId: string; version: number }
        if (!txns.has(t.appId)) txns.set(t.appId, t.version)
      } else if (a.domainMetadata !== undefined) {
        const d = a.domainMetadata as DomainMetadata
        if (!domains.has(d.domain)) domains.set(d.domain, d)
      }
    }
  }

  // Report files oldest first (checkpoint order, then commit order): stable and what users expect.
  adds.reverse()
  removes.reverse()
  if (checkpoint) {
    protocol ??= checkpoint.protocol
    metadata ??= checkpoint.metadata
    for (const t of checkpoint.txns) if (!txns.has(t.appId)) txns.set(t.appId, t.version)
    for (const d of checkpoint.domainMetadata) if (!domains.has(d.domain)) domains.set(d.domain, d)
    return finish(protocol, metadata, txns, domains, unseen(checkpoint.adds, seen, adds), unseen(checkpoint.removes, seen, removes))
  }
  return finish(protocol, metadata, txns, domains, adds, removes)
}

/**
 * The checkpoint's files no later commit touched, then `later`, in one array. A million checkpoint
 * adds are one pass, with no intermediate filtered array to copy again.
 */
function unseen<T extends { path: string; deletionVector?: AddFile['deletionVector'] }>(fromCheckpoint: T[], seen: Set<string>, later: T[]): T[] {
  if (seen.size === 0) return later.length ? fromCheckpoint.concat(later) : fromCheckpoint
  const out: T[] = []
  // Looking a key up in `seen` hashes it: a million keys, read once each, is ~0.15 s. The few keys
  // later commits touched have fingerprints (length and three characters); a key whose fingerprint
  // none has cannot be one of them, so it is kept without a lookup. (keyOf is the path itself, no
  // copy, for a path without a `file:` scheme or DV.)
  const prints = new Set<number>()
  for (const k of seen) prints.add(fingerprint(k))
  for (let i = 0; i < fromCheckpoint.length; i++) {
    const f = fromCheckpoint[i]
    const k = keyOf(f)
    if (!prints.has(fingerprint(k)) || !seen.has(k)) out.push(f)
  }
  for (let i = 0; i < later.length; i++) out.push(later[i])
  return out
}

/** A small integer that equal strings share: the length and the characters at the middle, three quarters and end. */
function fingerprint(s: string): number {
  const n = s.length
  if (n === 0) return 0
  return ((n * 65599 + s.charCodeAt(n >> 1)) * 31 + s.charCodeAt((n * 3) >> 2)) * 31 + s.charCodeAt(n - 1) | 0
}

function finish(
  protocol: Protocol | undefined, metadata: Metadata | undefined, txns: Map<string, number>,
  domains: Map<string, DomainMetadata>, adds: AddFile[], removes: RemoveFile[],
): ReplayResult {
  // A removed domain is a tombstone for its domain, not live configuration.
  for (const [k, d] of domains) if (d.removed) domains.delete(k)
  return { protocol, metadata, txns, domainMetadata: domains, adds, removes }
}
