// VACUUM: delete the files under the table root that no version inside the retention window needs —
// data files removed longer ago than the retention, their deletion-vector files, `_change_data`
// files and orphans of failed writes (never in the log) once they are older than the retention.
// Rules as Delta Spark's VacuumCommand: a file survives when the latest version references it (data
// or DV), when a tombstone younger than the retention references it, or when it was modified inside
// the retention (it may belong to a commit in flight). `_delta_log` and other hidden folders are
// never touched. PROTOCOL.md "VACUUM Protocol Check": the write protocol is checked first, always.
import { InvalidArgumentError } from '../errors.js'
import type { AddFile, DeletionVectorDescriptor, RemoveFile } from '../log/actions.js'
import { loadSnapshot, type Snapshot } from '../log/snapshot.js'
import { dvStoreKey } from '../scan/deletion-vectors.js'
import type { ObjectStore } from '../storage/object-store.js'
import { Transaction } from '../txn/transaction.js'
import { checkWriteSupport } from '../write/features.js'
import { deletedFileRetentionMs, HOUR_MS, nowOf, type Clock } from './common.js'
import { optionKeys } from '../options.js'

/** Options of `DeltaTable.vacuum`: retention and dry run. */
export interface VacuumOptions {
  /** Keep files needed by versions of the last `retentionHours` (default: the table's `delta.deletedFileRetentionDuration`, 7 days). */
  retentionHours?: number
  /** List what would be deleted without deleting (nor committing) anything. */
  dryRun?: boolean
  /** Refuse a retention below the table's setting (default true; delta-rs's name). */
  enforceRetentionDuration?: boolean
  /** Record `VACUUM START` / `VACUUM END` commits when files are deleted (default true, as Delta does). */
  logToHistory?: boolean
  /** Clock for retention decisions (epoch ms or a function); tests simulate time with it. */
  now?: Clock
}
export const VACUUM_OPTION_KEYS = optionKeys<VacuumOptions>()(['retentionHours', 'dryRun', 'enforceRetentionDuration', 'logToHistory', 'now'])

/** The files `vacuum` deleted (or would delete in a dry run). */
export interface VacuumResult {
  /** Store keys (paths relative to the table root) deleted, or that a dry run would delete; sorted. */
  filesDeleted: string[]
  dryRun: boolean
  /** Bytes of the deleted files. */
  bytesDeleted: number
  /** The `VACUUM END` version when the run was logged. */
  version?: number
}

/** The retention in ms a vacuum applies, after checking it against the table's own. */
export function vacuumRetentionMs(snapshot: Snapshot, opts: Pick<VacuumOptions, 'retentionHours' | 'enforceRetentionDuration'>): number {
  const table = snapshot.tableUrl
  const tableMs = deletedFileRetentionMs(snapshot.properties, table)
  if (opts.retentionHours === undefined) return tableMs
  const h = opts.retentionHours
  if (typeof h !== 'number' || !Number.isFinite(h) || h < 0) {
    throw new InvalidArgumentError(`vacuum retentionHours must be a non-negative number, got ${String(h)} (table ${table})`, { table })
  }
  const ms = h * HOUR_MS
  if (ms < tableMs && opts.enforceRetentionDuration !== false) {
    throw new InvalidArgumentError(
      `vacuum retention of ${h} hours is below the table's delta.deletedFileRetentionDuration (${tableMs / HOUR_MS} hours) for table ${table}: ` +
      'versions inside that window could no longer be read, and writes in flight could lose their files. ' +
      'Pass enforceRetentionDuration: false to vacuum anyway.',
      { table, version: snapshot.version },
    )
  }
  return ms
}

/**
 * Whether VACUUM may look at a key: a path whose folders or name start with `_` or `.` is hidden
 * (the log, `_sidecars`, checksum files, engine folders) except `_change_data` at the root and
 * partition folders (`_col=value`) of a partition column whose name starts with `_`.
 */
export function isVacuumable(key: string, partitionColumns: readonly string[]): boolean {
  const segments = key.split('/')
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]
    if (s === '') return false
    if (s[0] !== '_' && s[0] !== '.') continue
    if (i === 0 && s === '_change_data' && segments.length > 1) continue
    const eq = s.indexOf('=')
    if (eq > 0 && i < segments.length - 1 && partitionColumns.includes(s.slice(0, eq))) continue
    return false
  }
  return true
}

/**
 * Store keys of a file and its on-disk deletion vector. The snapshot is loaded with external paths
 * allowed, so a file outside the root resolves to its absolute location (never a listed key) and any
 * other unresolvable path aborts the vacuum: a file we cannot name is a file we might delete.
 */
function keysOf(snapshot: Snapshot, f: { path: string; deletionVector?: DeletionVectorDescriptor | null }, out: Set<string>): void {
  out.add(snapshot.resolvePath(f.path))
  if (f.deletionVector) {
    const k = dvStoreKey(f.deletionVector, snapshot)
    if (k !== undefined) out.add(k)
  }
}

/** Keys the table still needs: the latest version's files and DVs, and those of unexpired tombstones. */
export function protectedKeys(snapshot: Snapshot, cutoff: number): Set<string> {
  const keep = new Set<string>()
  for (const a of snapshot.activeFiles() as AddFile[]) keysOf(snapshot, a, keep)
  for (const r of snapshot.tombstones() as RemoveFile[]) {
    // A tombstone without a timestamp is treated as just removed: keeping a file is always safe.
    if (r.deletionTimestamp === undefined || r.deletionTimestamp === null || r.deletionTimestamp > cutoff) keysOf(snapshot, r, keep)
  }
  return keep
}

/**
 * `dir/deletion_vector_<uuid>.bin` for a DV file named with an extra prefix (some Spark test tables
 * write `<prefix>deletion_vector_<uuid>.bin`; the scan reads such a file for the canonical name, so
 * it is protected by that name too). Other keys are returned unchanged.
 */
function canonicalDvKey(key: string): string {
  const slash = key.lastIndexOf('/')
  const base = key.slice(slash + 1)
  const at = base.indexOf('deletion_vector_')
  return at > 0 ? key.slice(0, slash + 1) + base.slice(at) : key
}

/** Vacuum the table in `store` (always planned on its latest version). */
export async function vacuum(store: ObjectStore, opts: VacuumOptions = {}): Promise<VacuumResult> {
  const snapshot = await loadSnapshot(store, { allowExternalPaths: true })
  const table = snapshot.tableUrl
  // PROTOCOL.md "VACUUM Protocol Check": an unconditional write-protocol check, so a table using a
  // writer feature we do not know (which may keep its own files under the root) is never vacuumed.
  // Identity columns and row tracking constrain only the rows and files a commit adds; VACUUM adds none.
  checkWriteSupport(snapshot.protocol, snapshot.schema, snapshot.properties, table, snapshot.version, ['identityColumns', 'rowTracking'])
  const retentionMs = vacuumRetentionMs(snapshot, opts)
  const now = nowOf(opts.now)
  const cutoff = now - retentionMs
  const keep = protectedKeys(snapshot, cutoff)
  const partitionColumns = snapshot.partitionColumns.flatMap((c) => {
    const f = snapshot.schema.fields.find((x) => x.name === c)
    const phys = f?.metadata['delta.columnMapping.physicalName']
    return typeof phys === 'string' ? [c, phys] : [c]
  })

  const doomed: { key: string; size: number }[] = []
  for await (const meta of store.list('')) {
    if (!isVacuumable(meta.key, partitionColumns)) continue
    if (keep.has(meta.key) || keep.has(canonicalDvKey(meta.key))) continue
    // Modified inside the retention: may belong to a version in the window or a commit in flight.
    if (meta.mtime > cutoff) continue
    doomed.push({ key: meta.key, size: meta.size })
  }
  // Temp files of writes that crashed between staging and commit (never part of any version).
  if (store.listStaging) {
    for await (const meta of store.listStaging()) if (meta.mtime <= cutoff) doomed.push({ key: meta.key, size: meta.size })
  }
  doomed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  const filesDeleted = doomed.map((d) => d.key)
  const bytesDeleted = doomed.reduce((n, d) => n + d.size, 0)
  if (opts.dryRun || doomed.length === 0) return { filesDeleted, dryRun: !!opts.dryRun, bytesDeleted }

  const logged = opts.logToHistory !== false
  let read = snapshot
  if (logged) {
    // Commits without file actions cannot conflict with anything: a lost race simply retries.
    const start = Transaction.on(snapshot, {
      operation: 'VACUUM START',
      operationParameters: {
        retentionCheckEnabled: opts.enforceRetentionDuration !== false,
        specifiedRetentionMillis: opts.retentionHours === undefined ? undefined : retentionMs,
        defaultRetentionMillis: deletedFileRetentionMs(snapshot.properties, table),
      },
      conflictCheck: () => {},
    })
    start.metrics = { numFilesToDelete: doomed.length, sizeOfDataToDelete: bytesDeleted }
    const r = await start.commit()
    read = await loadSnapshot(store, { version: r.version })
  }
  await deleteAll(store, filesDeleted)
  if (!logged) return { filesDeleted, dryRun: false, bytesDeleted }
  const end = Transaction.on(read, { operation: 'VACUUM END', operationParameters: { status: 'COMPLETED' }, conflictCheck: () => {} })
  end.metrics = { numDeletedFiles: filesDeleted.length, numVacuumedDirectories: 0 }
  const r = await end.commit()
  return { filesDeleted, dryRun: false, bytesDeleted, version: r.version }
}

/** Delete keys a few at a time (object stores reward parallel requests; files are independent). */
async function deleteAll(store: ObjectStore, keys: readonly string[]): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < keys.length) await store.delete(keys[next++])
  }
  await Promise.all(Array.from({ length: Math.min(16, keys.length) }, worker))
}
