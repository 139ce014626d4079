// One commit file: the commitInfo every commit carries, the checks PROTOCOL.md "Delta Log Entries"
// puts on a single log entry, deterministic serialisation (one action per line, keys sorted), and the
// put-if-absent write of `_delta_log/<version>.json`.
import stringify from 'fast-json-stable-stringify'
import { CorruptLogError, InvalidArgumentError } from '../errors.js'
import type { Action, CommitInfo } from '../log/actions.js'
import { commitKey } from '../log/log-path.js'
import type { ObjectStore } from '../storage/object-store.js'
import { ENGINE_INFO } from './engine.js'

export interface CommitInfoInput {
  timestamp: number
  /** Spark's operation names: CREATE TABLE, WRITE, DELETE, MERGE, OPTIMIZE… */
  operation: string
  operationParameters?: Record<string, unknown>
  operationMetrics?: Record<string, unknown>
  readVersion?: number
  isolationLevel?: string
  isBlindAppend?: boolean
  txnId: string
  /** Set when the table has in-commit timestamps enabled. */
  inCommitTimestamp?: number
  /** commitInfo.tags (e.g. `delta.rowTracking.preserved`). */
  tags?: Record<string, string>
}

/**
 * commitInfo as Spark writes it. Spark stores operationParameters and operationMetrics values as
 * strings (`"mode":"Append"`, `"numFiles":"1"`), which readers of `DESCRIBE HISTORY` expect.
 */
export function buildCommitInfo(input: CommitInfoInput): CommitInfo {
  const info: CommitInfo = {
    timestamp: input.timestamp,
    operation: input.operation,
    operationParameters: stringValues(input.operationParameters ?? {}),
    isolationLevel: input.isolationLevel ?? 'Serializable',
    isBlindAppend: input.isBlindAppend ?? false,
    operationMetrics: stringValues(input.operationMetrics ?? {}),
    engineInfo: ENGINE_INFO,
    txnId: input.txnId,
  }
  if (input.readVersion !== undefined && input.readVersion >= 0) info.readVersion = input.readVersion
  if (input.inCommitTimestamp !== undefined) info.inCommitTimestamp = input.inCommitTimestamp
  if (input.tags && Object.keys(input.tags).length) info.tags = { ...input.tags }
  return info
}

function stringValues(o: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue
    out[k] = typeof v === 'string' ? v : JSON.stringify(typeof v === 'bigint' ? String(v) : v)
  }
  return out
}

/**
 * The rules of PROTOCOL.md "Delta Log Entries" and "Add File and Remove File" for one commit: at
 * most one metaData and one protocol, one txn per appId, at most one add and one remove per path,
 * and commitInfo first when present. A violation is a bug in the caller, never user data.
 */
export function validateCommit(actions: readonly Action[], table?: string): void {
  let metaData = 0
  let protocol = 0
  const appIds = new Set<string>()
  const adds = new Set<string>()
  const removes = new Set<string>()
  const domains = new Set<string>()
  actions.forEach((a, i) => {
    if ('commitInfo' in a && i !== 0) throw new InvalidArgumentError('commitInfo must be the first action of a commit', { table })
    if ('metaData' in a && ++metaData > 1) throw new InvalidArgumentError('a commit may hold only one metaData action', { table })
    if ('protocol' in a && ++protocol > 1) throw new InvalidArgumentError('a commit may hold only one protocol action', { table })
    if ('txn' in a) {
      if (appIds.has(a.txn.appId)) throw new InvalidArgumentError(`a commit may hold only one txn for appId ${a.txn.appId}`, { table })
      appIds.add(a.txn.appId)
    }
    if ('add' in a) {
      if (adds.has(a.add.path)) throw new InvalidArgumentError(`file ${a.add.path} is added twice in one commit`, { table, file: a.add.path })
      adds.add(a.add.path)
    }
    if ('remove' in a) {
      if (removes.has(a.remove.path)) throw new InvalidArgumentError(`file ${a.remove.path} is removed twice in one commit`, { table, file: a.remove.path })
      removes.add(a.remove.path)
    }
    if ('domainMetadata' in a) {
      if (domains.has(a.domainMetadata.domain)) throw new InvalidArgumentError(`domain ${a.domainMetadata.domain} appears twice in one commit`, { table })
      domains.add(a.domainMetadata.domain)
    }
  })
}

/** Newline-delimited JSON, one action per line, keys sorted so equal commits are byte-identical. */
export function serializeActions(actions: readonly Action[]): Uint8Array {
  let text = ''
  for (const a of actions) {
    const line = stringify(a)
    if (line.includes('\n')) throw new CorruptLogError('an action serialised to more than one line')
    text += line + '\n'
  }
  return new TextEncoder().encode(text)
}

/**
 * Write commit `version` unless it exists. `false` means another writer won that version (an
 * ordinary outcome the transaction handles), PROTOCOL.md "Creation of New Log Entries".
 */
export async function putCommit(store: ObjectStore, version: number, bytes: Uint8Array): Promise<boolean> {
  return store.putIfAbsent(commitKey(version), bytes)
}
