// A Transaction collects the actions of one commit against the snapshot it planned on, then commits
// them with put-if-absent. Data files are written by the caller BEFORE `commit()`: a failure before
// the commit leaves orphan files at most, never a log entry naming a missing file. A lost race is
// handed to a conflict check: Delta's rules (conflict-checker.ts) once the plan's reads are recorded
// (`read` option or `recordRead`), a custom one, or none (then a lost race is an error).
import { CommitConflictError, CommitOutcomeUnknownError, InvalidArgumentError, MissingFileError, StorageError } from '../errors.js'
import {
  parseActionLines,
  type Action, type AddCDCFile, type AddFile, type CommitInfo, type DomainMetadata, type Metadata, type Protocol, type RemoveFile, type Txn,
} from '../log/actions.js'
import { commitKey } from '../log/log-path.js'
import type { ObjectStore } from '../storage/object-store.js'
import { buildCommitInfo, putCommit, serializeActions, validateCommit } from './commit.js'
import { alreadyCommittedTxn, deltaConflictCheck, type PlanReads } from './conflict-checker.js'
import { parseIsolationLevel, type IsolationLevel } from './isolation.js'
import { rememberCommit } from './seen-commits.js'
import { retryCommit, RETRY_POLICY_KEYS, type AttemptResult, type RetryClock, type RetryPolicy } from './retry.js'
import { checkOptions, optionKeys } from '../options.js'
import { checkClock, nowOf, type Clock } from '../clock.js'

/** The part of a Snapshot a transaction needs (a `Snapshot` fits). */
export interface TableState {
  store: ObjectStore
  tableUrl: string
  version: number
  protocol: Protocol
  metadata: Metadata
  /** Commit timestamp of `version` (the in-commit timestamp when enabled). */
  timestamp: number
  /** App versions of idempotent writers (a Snapshot's `txns`): a batch already recorded is not committed again. */
  txns?: ReadonlyMap<string, number>
}

export type { PlanReads }

/** A commit that won a version we tried to write. */
export interface WinningCommit {
  version: number
  actions: Action[]
}

/**
 * Decides whether our actions may be committed at the version after `winner`: return to retry there,
 * throw (a CommitConflictError) to give up. Given, it replaces Delta's rules (see `TransactionOptions`).
 */
export type ConflictCheck = (winner: WinningCommit, ours: readonly Action[]) => void | Promise<void>

/** Options of a `Transaction`: the operation recorded in commitInfo, and how lost races are judged and retried. */
export interface TransactionOptions {
  operation: string
  operationParameters?: Record<string, unknown>
  isolationLevel?: IsolationLevel
  /** Replaces Delta's rules: called with each commit that won a version we tried. */
  conflictCheck?: ConflictCheck
  /** Reads of the plan; with it (or `recordRead`) and no `conflictCheck`, Delta's rules decide lost races. */
  read?: PlanReads
  retry?: Partial<RetryPolicy>
  clock?: RetryClock
  /** Epoch ms; injectable for tests. */
  now?: Clock
}
export const TRANSACTION_OPTION_KEYS = optionKeys<TransactionOptions>()(['operation', 'operationParameters', 'isolationLevel', 'conflictCheck', 'read', 'retry', 'clock', 'now'])

/** What a committed `Transaction` wrote: the version, its actions and commitInfo. */
export interface CommitResult {
  version: number
  actions: Action[]
  commitInfo: CommitInfo
  /** Commit attempts made (1 = no lost race); absent when nothing was attempted. */
  attempts?: number
  /** An idempotent write whose txn (appId, version) was already committed: nothing was written, `version` is the earlier commit (or the read version). */
  alreadyCommitted?: boolean
}

/**
 * Advanced: commit your own actions through Delta's optimistic concurrency (conflict rules, retries,
 * idempotent txns). The DeltaTable calls are built on it.
 * @example
 * const snap = await loadSnapshot(await openStore('./lake/events'))
 * const { version } = await Transaction.on(snap, { operation: 'SET TBLPROPERTIES' })
 *   .setMetadata({ ...snap.metadata, configuration: { ...snap.metadata.configuration, owner: 'data-eng' } })
 *   .commit()
 */
export class Transaction {
  private protocol?: Protocol
  private metadata?: Metadata
  private readonly adds: AddFile[] = []
  private readonly removes: RemoveFile[] = []
  private readonly rebaseHooks: Array<(winner: WinningCommit) => void> = []
  private readonly cdcs: AddCDCFile[] = []
  private readonly txns: Txn[] = []
  private readonly domains: DomainMetadata[] = []
  private committed = false
  private reads?: { predicates: unknown[]; files: Set<string>; appIds: Set<string>; wholeTable: boolean }
  readonly txnId = globalThis.crypto.randomUUID()
  /** Spark-named operation metrics (numFiles, numOutputRows…), written into commitInfo. */
  metrics: Record<string, number> = {}
  /** Whether the commit only appends data it did not derive from reading the table. */
  blindAppend = false
  /** commitInfo.tags of this commit. */
  commitTags: Record<string, string> = {}

  private constructor(
    readonly store: ObjectStore,
    readonly tableUrl: string,
    /** -1 when the transaction creates the table. */
    readonly readVersion: number,
    private readonly read: TableState | undefined,
    private readonly options: TransactionOptions,
  ) {
    checkOptions('Transaction', options, TRANSACTION_OPTION_KEYS, { table: tableUrl })
    checkOptions('Transaction retry', options.retry, RETRY_POLICY_KEYS, { table: tableUrl })
    checkClock(options.now)
  }

  /** A transaction planned against `state` (a Snapshot). */
  static on(state: TableState, options: TransactionOptions): Transaction {
    return new Transaction(state.store, state.tableUrl, state.version, state, options)
  }

  /** A transaction creating a table at version 0 of `store`. */
  static create(store: ObjectStore, tableUrl: string, options: TransactionOptions): Transaction {
    return new Transaction(store, tableUrl, -1, undefined, options)
  }

  /** Protocol and metaData in effect once the commit lands. */
  get effectiveProtocol(): Protocol | undefined { return this.protocol ?? this.read?.protocol }
  get effectiveMetadata(): Metadata | undefined { return this.metadata ?? this.read?.metadata }

  setProtocol(p: Protocol): this { this.protocol = p; return this }
  setMetadata(m: Metadata): this { this.metadata = m; return this }
  addFiles(files: Iterable<AddFile>): this { for (const f of files) this.adds.push(f); return this }
  removeFiles(files: Iterable<RemoveFile>): this { for (const f of files) this.removes.push(f); return this }
  /** `cdc` actions: the commit's `_change_data` files (PROTOCOL.md "Add CDC File"). */
  addCdcFiles(files: Iterable<AddCDCFile>): this { for (const f of files) this.cdcs.push(f); return this }
  /** Record `appId` at `version` atomically with the data (PROTOCOL.md "Transaction Identifiers"). */
  setTxn(appId: string, version: number, lastUpdated = this.now()): this {
    if (this.txns.some((t) => t.appId === appId)) throw new InvalidArgumentError(`txn ${appId} set twice in one transaction`, { table: this.tableUrl })
    this.txns.push({ appId, version, lastUpdated })
    return this
  }
  setDomainMetadata(d: DomainMetadata): this { this.domains.push(d); return this }
  /**
   * Called for each winner the conflict check let this commit move past, before retrying at the
   * next version; may change the actions added (the same objects are committed).
   */
  onRebase(hook: (winner: WinningCommit) => void): this { this.rebaseHooks.push(hook); return this }
  /** Record what the plan read (filters, file paths, whole table, app ids); a lost race then runs Delta's rules. */
  recordRead(read: PlanReads): this {
    const r = (this.reads ??= { predicates: [], files: new Set(), appIds: new Set(), wholeTable: false })
    r.predicates.push(...(read.predicates ?? []))
    for (const f of read.files ?? []) r.files.add(f)
    for (const a of read.appIds ?? []) r.appIds.add(a)
    r.wholeTable ||= read.wholeTable ?? false
    return this
  }

  private now(): number {
    return nowOf(this.options.now)
  }

  /** The actions (without commitInfo) in the order they are written. */
  private body(): Action[] {
    const out: Action[] = []
    if (this.protocol) out.push({ protocol: this.protocol })
    if (this.metadata) out.push({ metaData: this.metadata })
    for (const t of this.txns) out.push({ txn: t })
    for (const d of this.domains) out.push({ domainMetadata: d })
    for (const r of this.removes) out.push({ remove: r })
    for (const a of this.adds) out.push({ add: a })
    for (const c of this.cdcs) out.push({ cdc: c })
    return out
  }

  /** In-commit timestamps are on when the feature is supported and enabled (PROTOCOL.md "In-Commit Timestamps"). */
  private ictEnabled(): boolean {
    const p = this.effectiveProtocol
    const m = this.effectiveMetadata
    return !!p && !!m && (p.writerFeatures?.includes('inCommitTimestamp') ?? false) && m.configuration['delta.enableInCommitTimestamps'] === 'true'
  }

  /** Commit; resolves with the version written. May be called once. */
  async commit(): Promise<CommitResult> {
    if (this.committed) throw new InvalidArgumentError('a transaction commits only once', { table: this.tableUrl })
    this.committed = true
    if (this.readVersion < 0 && (!this.protocol || !this.metadata)) {
      throw new InvalidArgumentError('creating a table needs a protocol and a metaData action', { table: this.tableUrl })
    }
    if (this.options.read) this.recordRead(this.options.read)
    const body = this.body()
    const check = this.conflictCheck()
    const skipped = (version: number): CommitResult => ({
      version, actions: [], alreadyCommitted: true,
      commitInfo: buildCommitInfo({ timestamp: this.now(), operation: this.options.operation, txnId: this.txnId, readVersion: this.readVersion }),
    })
    if (alreadyCommittedTxn(this.read?.txns, this.txns)) return skipped(this.readVersion)
    let version = this.readVersion + 1
    let previousTimestamp = this.read?.timestamp
    // The commit as written by the last attempt: a retry writes the very same bytes (a store may
    // then reuse what it staged, LocalStore its fsynced temp file) unless a rebase hook changed our
    // actions or the in-commit timestamp must follow a winner's.
    let prepared: { bytes: Uint8Array; actions: Action[]; commitInfo: CommitInfo } | undefined
    const prepare = () => {
      if (prepared) return prepared
      const timestamp = this.now()
      const ict = this.ictEnabled() ? Math.max(timestamp, previousTimestamp === undefined ? 0 : previousTimestamp + 1) : undefined
      const commitInfo = buildCommitInfo({
        timestamp: ict ?? timestamp,
        operation: this.options.operation,
        operationParameters: this.options.operationParameters,
        operationMetrics: this.metrics,
        readVersion: this.readVersion,
        isolationLevel: this.options.isolationLevel,
        isBlindAppend: this.blindAppend,
        tags: this.commitTags,
        txnId: this.txnId,
        inCommitTimestamp: ict,
      })
      const actions: Action[] = [{ commitInfo }, ...body]
      validateCommit(actions, this.tableUrl)
      return (prepared = { bytes: serializeActions(actions), actions, commitInfo })
    }
    const attempt = async (): Promise<AttemptResult<CommitResult>> => {
      const { bytes, actions, commitInfo } = prepare()
      let written: boolean | WinningCommit | 'ours'
      try {
        written = await putCommit(this.store, version, bytes)
      } catch (e) {
        written = await this.settle(version, bytes, e)
      }
      let winner = written === true ? 'ours' : written === false ? await this.readTaken(version) : written
      if (winner === 'ours') {
        this.seen(version, () => parseActionLines(new TextDecoder().decode(bytes), { table: this.tableUrl, file: commitKey(version), version }))
        return { done: true, value: { version, actions, commitInfo } }
      }
      if (!check || this.readVersion < 0) {
        throw new CommitConflictError(
          this.readVersion < 0
            ? `table ${this.tableUrl} was created concurrently (version 0 exists)`
            : `another writer committed version ${version} of table ${this.tableUrl} first (read version ${this.readVersion}, operation ${this.options.operation})`,
          { table: this.tableUrl, version },
        )
      }
      // Check every winner up to the current tip before trying again (one backoff per round, not per winner).
      for (;;) {
        if (alreadyCommittedTxn(winner.actions, this.txns)) return { done: true, value: skipped(version) }
        await check(winner, body)
        // our actions move past the winner: hooks adjust what depends on the version (row ids)
        for (const h of this.rebaseHooks) h(winner)
        for (const a of winner.actions) {
          if ('commitInfo' in a && typeof a.commitInfo.inCommitTimestamp === 'number') previousTimestamp = a.commitInfo.inCommitTimestamp
        }
        if (this.rebaseHooks.length || this.ictEnabled()) prepared = undefined
        version++
        // The next version's commit, read at once (no existence check first: one request per winner,
        // and one that finds the tip). A blind append read nothing a winner can invalidate: at the
        // tip it retries at once (a backoff only lets yet another writer take the next version first).
        const next = await this.readWinner(version, { orAbsent: true })
        if (!next) return { done: false, now: this.blindAppend && !this.reads }
        winner = next
      }
    }
    const { value, attempts } = await retryCommit(attempt, {
      policy: this.options.retry,
      clock: this.options.clock,
      describe: () => ({ message: `commit to table ${this.tableUrl} kept losing the race (last tried version ${version})`, table: this.tableUrl, version }),
    })
    return { ...value, attempts }
  }

  /** The custom check, else Delta's rules when the plan's reads were recorded. */
  private conflictCheck(): ConflictCheck | undefined {
    if (this.options.conflictCheck) return this.options.conflictCheck
    // A declared blind append read nothing, so it needs no recorded reads to be checked.
    const reads = this.reads ?? (this.blindAppend ? { predicates: [], files: new Set<string>(), appIds: new Set<string>(), wholeTable: false } : undefined)
    if (!reads || !this.read) return undefined
    return deltaConflictCheck({
      table: this.read,
      read: { readVersion: this.readVersion, ...reads },
      operation: this.options.operation,
      isolationLevel: this.options.isolationLevel === undefined ? undefined : parseIsolationLevel(this.options.isolationLevel, this.tableUrl),
    })
  }

  private isOurs(w: WinningCommit): boolean {
    return w.actions.some((a) => 'commitInfo' in a && a.commitInfo.txnId === this.txnId)
  }

  private unknown(version: number, cause: unknown): CommitOutcomeUnknownError {
    return new CommitOutcomeUnknownError(
      `commit ${this.txnId} to table ${this.tableUrl} at version ${version}: outcome unknown (${(cause as Error)?.message ?? cause})`,
      { table: this.tableUrl, version, txnId: this.txnId, cause })
  }

  /**
   * `version` was taken: the winner, or 'ours' when it is this very commit — a store that retried a
   * put which had in fact landed reports it as taken, and rebasing would commit the data twice. A
   * winner we cannot read may be ours, so its outcome is unknown.
   */
  private async readTaken(version: number): Promise<WinningCommit | 'ours'> {
    let w: WinningCommit
    try {
      w = await this.readWinner(version)
    } catch (e) {
      throw this.unknown(version, e)
    }
    return this.isOurs(w) ? 'ours' : w
  }

  /**
   * The commit write failed; it may still have landed. Read the commit back: ours → committed;
   * another writer's → an ordinary lost race. Absent, after an error that says the server may have
   * applied the write (a lost reply, a timeout, a 5xx: `StorageError.uncertain`) → put it again:
   * repeating a put-if-absent is safe, as it can never overwrite, and it settles the outcome — success
   * means ours landed now (a request still in flight will find the key taken), "taken" sends us back
   * to read which commit won (perhaps ours, from the attempt whose reply was lost). Bounded: then
   * CommitOutcomeUnknownError. Absent after a definite failure → that failure.
   */
  private async settle(version: number, bytes: Uint8Array, error: unknown): Promise<WinningCommit | 'ours'> {
    const uncertain = (e: unknown) => e instanceof StorageError && e.uncertain === true
    const key = commitKey(version)
    for (let round = 0; ; round++) {
      let present: boolean
      try {
        present = (await this.store.head(key)) !== undefined
      } catch (e) {
        if (!uncertain(error)) throw error
        throw this.unknown(version, e)
      }
      if (present) return this.readTaken(version)
      if (!uncertain(error)) throw error
      if (round >= 2) throw this.unknown(version, error)
      try {
        if (await putCommit(this.store, version, bytes)) return 'ours'
      } catch (e) {
        if (!uncertain(e)) throw this.unknown(version, e)
        error = e
      }
    }
  }

  private async readWinner(version: number): Promise<WinningCommit>
  private async readWinner(version: number, opts: { orAbsent: true }): Promise<WinningCommit | undefined>
  /** The commit at `version`; with `orAbsent`, undefined when it does not exist (yet). */
  private async readWinner(version: number, opts: { orAbsent?: boolean } = {}): Promise<WinningCommit | undefined> {
    const key = commitKey(version)
    let bytes: Uint8Array
    try {
      bytes = await this.store.get(key)
    } catch (e) {
      if (opts.orAbsent && e instanceof MissingFileError) return undefined
      throw e
    }
    const text = new TextDecoder().decode(bytes)
    const actions = parseActionLines(text, { table: this.tableUrl, file: key, version })
    this.seen(version, () => actions)
    return { version, actions }
  }

  /** Keep commit `version` for the handle that moves past it (seen-commits.ts). */
  private seen(version: number, actions: () => Action[]): void {
    if (this.read) rememberCommit(this.read, version, actions)
  }
}
