// Delta's optimistic-concurrency rules: given what a losing transaction read and wants to write, and
// one commit that won the race, decide whether the transaction may be rebased onto the winner
// (same actions, next version) or must fail with the conflict that makes a serial order impossible.
// Pure and IO-free; the commit loop (transaction.ts) reads the winners and calls this for each.
import {
  ConcurrentAppendError, ConcurrentDeleteDeleteError, ConcurrentDeleteReadError, ConcurrentTransactionError,
  MetadataChangedError, ProtocolChangedError, type CommitConflictError, type ErrorContext,
} from '../errors.js'
import { isExpr } from '../expr/ast.js'
import { exprToSql } from '../expr/print.js'
import type { Action, AddFile, CommitInfo, Metadata, Protocol, RemoveFile } from '../log/actions.js'
import { selectFiles, type SnapshotInfo } from '../scan/file-skipping.js'
import { parseSchema } from '../schema/types.js'
import { effectiveIsolationLevel, tableIsolationLevel, type EffectiveIsolationLevel, type IsolationLevel } from './isolation.js'

/**
 * A filter the transaction scanned the table with (an Expr, a BoundExpr or SQL text); the checker
 * hands it to the file matcher unchanged.
 */
export type ReadFilter = unknown

/**
 * What a transaction's plan read from its snapshot (Transaction's `read` option, `recordRead`).
 * Everything it did not read cannot conflict.
 */
export interface PlanReads {
  /** Filters it selected files with (DELETE/UPDATE/MERGE conditions, replaceWhere, scan filters): SQL text or an Expr. */
  predicates?: readonly unknown[]
  /** It depended on every file (a full overwrite, an unfiltered MERGE/UPDATE/DELETE, a full scan). */
  wholeTable?: boolean
  /** Paths of the files it read (scanned, rewrote or removed). */
  files?: Iterable<string>
  /** Application ids whose `txn` version it looked up (idempotent writers). */
  appIds?: Iterable<string>
}

/** PlanReads and the snapshot version they were read at. */
export interface ReadSet extends PlanReads {
  /** Snapshot version the transaction planned against (-1 when creating the table). */
  readVersion: number
}

/** What the transaction will commit. */
export interface PendingCommit {
  actions: readonly Action[]
  /** commitInfo.operation: 'WRITE', 'DELETE', 'MERGE', 'OPTIMIZE'… */
  operation: string
  /** Per-operation level; defaults to the table's `delta.isolationLevel`. */
  isolationLevel?: IsolationLevel
  /** Defaults to: only adds, and nothing read (see `isBlindAppend`). */
  isBlindAppend?: boolean
}

/** A commit that won the race for a version after our read version. */
export interface WinningCommit {
  version: number
  actions: readonly Action[]
  /** Defaults to the commitInfo found among `actions`. */
  commitInfo?: CommitInfo
}

/** The parts of the read snapshot the rules look at (a `Snapshot` or a transaction's `TableState` fits). */
export interface ConflictTable {
  tableUrl: string
  protocol: Protocol
  metadata: Metadata
}

/**
 * Which of `files` a read filter may select, evaluated on their partition values and stats.
 * Must be conservative: a file that may hold a matching row is returned.
 */
export type FileMatcher = (files: AddFile[], table: ConflictTable, filter: ReadFilter) => AddFile[]

export interface CheckConflictsInput {
  table: ConflictTable
  ours: PendingCommit
  read: ReadSet
  winner: WinningCommit
  /** Defaults to `skippingFileMatcher` (partition values, then min/max/nullCount stats). */
  matchFiles?: FileMatcher
}

const infoCache = new WeakMap<Metadata, SnapshotInfo>()

/**
 * The scan's file skipping as the matcher: a winner's file conflicts when our filter, evaluated on its
 * partition values and stats, may select it. A filter that cannot be evaluated (it does not bind
 * against the table's schema any more) matches every file.
 */
export const skippingFileMatcher: FileMatcher = (files, table, filter) => {
  try {
    let info = infoCache.get(table.metadata)
    if (!info) {
      const m = table.metadata
      info = { schema: parseSchema(m.schemaString, { table: table.tableUrl }), partitionColumns: m.partitionColumns, configuration: m.configuration }
      infoCache.set(m, info)
    }
    return selectFiles(files, info, filter as Parameters<typeof selectFiles>[2])
  } catch {
    return files
  }
}

/** A commit that only adds data files and read nothing: it cannot depend on any other commit. */
export function isBlindAppend(actions: readonly Action[], read: ReadSet): boolean {
  if (read.wholeTable || (read.predicates?.length ?? 0) > 0 || !isEmpty(read.files)) return false
  let adds = 0
  for (const a of actions) {
    if ('add' in a) { if (!a.add.dataChange) return false; adds++ }
    else if ('remove' in a || 'metaData' in a || 'protocol' in a) return false
  }
  return adds > 0
}

/**
 * Throws the conflict that forbids rebasing `ours` onto `winner`, or returns when the transaction
 * may commit the same actions at the next version. The order of the checks matters only for which
 * error is reported: protocol and metadata first (they change how every file must be read or
 * written), then application and domain ids, then files, most specific first.
 */
export function checkConflicts(input: CheckConflictsInput): void {
  const { table, ours, read, winner } = input
  const w = summarize(winner)
  const ctx: MessageContext = {
    table: table.tableUrl, readVersion: read.readVersion, winnerVersion: winner.version,
    winnerOp: w.commitInfo?.operation ?? 'an unknown operation', ourOp: ours.operation,
    partitionColumns: table.metadata.partitionColumns,
  }

  checkProtocol(ctx, table.protocol, w.protocol, ours.actions)
  if (w.metadata) {
    throw conflict(MetadataChangedError, ctx, `changed the table metadata (schema, partitioning or properties)`)
  }
  checkDomains(ctx, w.domains, ours.actions)
  checkAppIds(ctx, w.txns, read, ours.actions)

  // Files removed by both: the second remove would leave the winner's rewrite of the rows and ours.
  const ourRemoves = new Map<string, RemoveFile>()
  for (const a of ours.actions) if ('remove' in a) ourRemoves.set(a.remove.path, a.remove)
  for (const r of w.removes) {
    const mine = ourRemoves.get(r.path)
    if (mine) {
      throw conflict(ConcurrentDeleteDeleteError, ctx, `also removed file ${r.path}${partitionText(ctx, r.partitionValues ?? mine.partitionValues)}, which this ${ctx.ourOp} removes`, r.path)
    }
  }

  // Files we read and the winner removed, even by a rearrangement (dataChange=false, e.g. OPTIMIZE):
  // our actions were computed from rows that now live elsewhere.
  const readFiles = new Set(read.files ?? [])
  for (const r of w.removes) {
    if (readFiles.has(r.path)) {
      throw conflict(ConcurrentDeleteReadError, ctx, `removed file ${r.path}${partitionText(ctx, r.partitionValues)}, which this ${ctx.ourOp} read`, r.path)
    }
  }
  if (read.wholeTable && w.removes.length > 0) {
    const r = w.removes[0]!
    throw conflict(ConcurrentDeleteReadError, ctx, `removed file ${r.path}${partitionText(ctx, r.partitionValues)} while this ${ctx.ourOp} read the whole table`, r.path)
  }

  checkAppends(input, ctx, w)
}

// ---- wiring into the commit loop ------------------------------------------------------------------

export interface DeltaConflictCheckOptions {
  table: ConflictTable
  /** What the transaction read; a function when the read set is completed after the check is built. */
  read: ReadSet | (() => ReadSet)
  operation: string
  isolationLevel?: IsolationLevel
  isBlindAppend?: boolean
  matchFiles?: FileMatcher
}

/** The commit loop's per-winner hook (`TransactionOptions.conflictCheck`) running Delta's rules. */
export function deltaConflictCheck(opts: DeltaConflictCheckOptions): (winner: WinningCommit, ours: readonly Action[]) => void {
  return (winner, actions) => checkConflicts({
    table: opts.table,
    read: typeof opts.read === 'function' ? opts.read() : opts.read,
    ours: { actions, operation: opts.operation, isolationLevel: opts.isolationLevel, isBlindAppend: opts.isBlindAppend },
    winner,
    matchFiles: opts.matchFiles,
  })
}

/**
 * Idempotent writes (PROTOCOL.md "Transaction Identifiers"): the first of `txns` that `recorded`
 * already holds at the same or a later version, i.e. a batch that was committed before. `recorded`
 * is a snapshot's `txns` map or a winning commit's actions.
 */
export function alreadyCommittedTxn(
  recorded: ReadonlyMap<string, number> | readonly Action[] | undefined,
  txns: readonly { appId: string; version: number }[],
): { appId: string; version: number; recordedVersion: number } | undefined {
  if (!recorded || txns.length === 0) return undefined
  let map: ReadonlyMap<string, number>
  if (recorded instanceof Map) map = recorded
  else {
    const m = new Map<string, number>()
    for (const a of recorded as readonly Action[]) if ('txn' in a) m.set(a.txn.appId, a.txn.version)
    map = m
  }
  for (const t of txns) {
    const v = map.get(t.appId)
    if (v !== undefined && v >= t.version) return { ...t, recordedVersion: v }
  }
  return undefined
}

// ---- the individual rules ----------------------------------------------------------------------

interface WinnerSummary {
  commitInfo?: CommitInfo
  protocol?: Protocol
  metadata?: Metadata
  adds: AddFile[]
  removes: RemoveFile[]
  txns: { appId: string; version: number }[]
  domains: Set<string>
}

function summarize(winner: WinningCommit): WinnerSummary {
  const s: WinnerSummary = { commitInfo: winner.commitInfo, adds: [], removes: [], txns: [], domains: new Set() }
  for (const a of winner.actions) {
    if ('add' in a) s.adds.push(a.add)
    else if ('remove' in a) s.removes.push(a.remove)
    else if ('metaData' in a) s.metadata = a.metaData
    else if ('protocol' in a) s.protocol = a.protocol
    else if ('txn' in a) s.txns.push(a.txn)
    else if ('domainMetadata' in a) s.domains.add(a.domainMetadata.domain)
    else if ('commitInfo' in a) s.commitInfo ??= a.commitInfo
  }
  return s
}

/**
 * Any protocol change by the winner fails us. Delta lets some feature additions through after
 * re-validating the writer; we cannot know that our files satisfy a feature we read nothing about,
 * so we fail and let the caller rerun on the new protocol (safe, and rare).
 */
function checkProtocol(ctx: MessageContext, readProtocol: Protocol, winning: Protocol | undefined, ours: readonly Action[]): void {
  if (!winning) return
  if (ours.some((a) => 'protocol' in a)) {
    throw conflict(ProtocolChangedError, ctx, `also changed the protocol (to ${protocolText(winning)})`)
  }
  if (!sameProtocol(readProtocol, winning)) {
    throw conflict(ProtocolChangedError, ctx, `changed the protocol from ${protocolText(readProtocol)} to ${protocolText(winning)}`)
  }
}

/**
 * Two commits writing the same metadata domain cannot both win, except row tracking's high water
 * mark, which the loser raises again above the winner's (Transaction.onRebase, stampRowTracking).
 */
function checkDomains(ctx: MessageContext, winning: Set<string>, ours: readonly Action[]): void {
  for (const a of ours) {
    if ('domainMetadata' in a && a.domainMetadata.domain !== 'delta.rowTracking' && winning.has(a.domainMetadata.domain)) {
      throw conflict(ConcurrentTransactionError, ctx, `also wrote metadata domain '${a.domainMetadata.domain}'`)
    }
  }
}

/**
 * A winner that set the txn version of an application we read (or write) makes our idempotency
 * decision stale: two instances of one stream are running. The commit loop handles the benign case
 * (the winner already committed our batch) before calling the checker.
 */
function checkAppIds(ctx: MessageContext, winning: { appId: string; version: number }[], read: ReadSet, ours: readonly Action[]): void {
  if (winning.length === 0) return
  const depends = new Set(read.appIds ?? [])
  for (const a of ours) if ('txn' in a) depends.add(a.txn.appId)
  for (const t of winning) {
    if (depends.has(t.appId)) {
      throw conflict(ConcurrentTransactionError, ctx, `committed version ${t.version} of application '${t.appId}', which this ${ctx.ourOp} also depends on`)
    }
  }
}

/**
 * Files the winner added that our reads would have selected had we started after it. Under
 * WriteSerializable a blind append may be ordered after us, so it cannot conflict (unless we change
 * metadata: then its files were written for the old metadata); under Serializable it must be
 * ordered before us and conflicts like any add. Snapshot isolation (our commit changes no data)
 * skips the check.
 */
function checkAppends(input: CheckConflictsInput, ctx: MessageContext, w: WinnerSummary): void {
  const { table, ours, read } = input
  if (w.adds.length === 0) return
  if (ours.isBlindAppend ?? isBlindAppend(ours.actions, read)) return
  const level = isolationFor(table, ours)
  if (level === 'SnapshotIsolation') return
  const winnerBlind = w.commitInfo?.isBlindAppend === true
  const oursChangesMetadata = ours.actions.some((a) => 'metaData' in a)
  if (winnerBlind && level === 'WriteSerializable' && !oursChangesMetadata) return

  if (read.wholeTable) {
    const f = w.adds[0]!
    throw conflict(ConcurrentAppendError, ctx, `added file ${f.path}${partitionText(ctx, f.partitionValues)} while this ${ctx.ourOp} read the whole table`, f.path)
  }
  for (const filter of read.predicates ?? []) {
    const matched = (input.matchFiles ?? skippingFileMatcher)(w.adds, table, filter)
    const f = matched[0]
    if (f) {
      throw conflict(ConcurrentAppendError, ctx, `added file ${f.path}${partitionText(ctx, f.partitionValues)} matching ${filterText(filter)}, which this ${ctx.ourOp} read`, f.path)
    }
  }
}

/** The level the append check runs at for this commit. */
export function isolationFor(table: ConflictTable, ours: PendingCommit): EffectiveIsolationLevel {
  const level = ours.isolationLevel ?? tableIsolationLevel(table.metadata.configuration, table.tableUrl)
  return effectiveIsolationLevel(level, ours.actions, ours.operation)
}

// ---- messages ------------------------------------------------------------------------------------

interface MessageContext {
  table: string
  readVersion: number
  winnerVersion: number
  winnerOp: string
  ourOp: string
  partitionColumns: string[]
}

type ConflictClass = new (message: string, ctx?: ErrorContext) => CommitConflictError

/** "Concurrent DELETE (version 6) removed file …, which this MERGE read; it read version 5 of table T." */
function conflict(Cls: ConflictClass, ctx: MessageContext, what: string, file?: string): CommitConflictError {
  const message = `concurrent ${ctx.winnerOp} (version ${ctx.winnerVersion}) ${what}; this ${ctx.ourOp} read ` +
    `version ${ctx.readVersion} of table ${ctx.table}. Rerun the ${ctx.ourOp} on the new version.`
  return new Cls(message, { table: ctx.table, version: ctx.winnerVersion, file })
}

function partitionText(ctx: MessageContext, values: Record<string, string | null> | null | undefined): string {
  if (ctx.partitionColumns.length === 0 || !values) return ''
  const parts = ctx.partitionColumns.map((c) => `${c}=${values[c] ?? 'null'}`)
  return ` in partition [${parts.join(', ')}]`
}

function filterText(filter: ReadFilter): string {
  if (typeof filter === 'string') return `filter "${filter}"`
  if (isExpr(filter)) {
    try { return `filter "${exprToSql(filter)}"` } catch { /* a node the printer does not know: fall through */ }
  }
  return 'the filter it read with'
}

function protocolText(p: Protocol): string {
  const features = [...(p.readerFeatures ?? []), ...(p.writerFeatures ?? [])]
  return `${p.minReaderVersion}/${p.minWriterVersion}${features.length ? ` [${[...new Set(features)].sort().join(', ')}]` : ''}`
}

function sameProtocol(a: Protocol, b: Protocol): boolean {
  const set = (xs: string[] | undefined) => [...new Set(xs ?? [])].sort().join('\u0000')
  return a.minReaderVersion === b.minReaderVersion && a.minWriterVersion === b.minWriterVersion &&
    set(a.readerFeatures) === set(b.readerFeatures) && set(a.writerFeatures) === set(b.writerFeatures)
}

function isEmpty(xs: Iterable<string> | undefined): boolean {
  if (xs === undefined) return true
  for (const _ of xs) return false
  return true
}
