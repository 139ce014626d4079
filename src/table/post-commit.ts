// The one step after every commit a DeltaTable makes: the version checksum (`.crc`), a checkpoint
// when one is due (or was due and missed), then expired-log cleanup (as Delta runs it after a
// checkpoint). None of it can undo the commit, so a failure here never fails the write: it is
// returned as a typed warning (result.warnings) and given to `onWarning` (default: console.warn,
// once per kind per process).
import { writeVersionChecksum } from '../log/checksum.js'
import { checkpointDue, checkpointInterval, writeCheckpoint } from '../log/checkpoint-write.js'
import type { Snapshot } from '../log/snapshot.js'
import { cleanupExpiredLogsAt } from '../maintenance/log-cleanup.js'
import { readLastCheckpoint } from '../log/log-segment.js'
import type { Clock } from '../maintenance/durations.js'
import type { WriteWarning, WriteWarningKind } from '../errors.js'

export type { WriteWarning, WriteWarningKind }

/** The option every write call takes beside its own. */
export interface WarningOptions {
  /** Called once per post-commit warning; default: console.warn, once per kind per process. */
  onWarning?: (warning: WriteWarning) => void
}

/** A write's result: what failed after its commit (empty when nothing did). */
export interface Warned {
  warnings: WriteWarning[]
}

export interface PostCommitOptions extends WarningOptions {
  /** Clock for log cleanup's retention (maintenance calls pass their `now`). */
  now?: Clock
  /** The version the writing handle held before this commit (internal: whether a missed checkpoint is old enough to catch up). */
  heldVersion?: number
}

const warnedKinds = new Set<WriteWarningKind>()

function defaultOnWarning(w: WriteWarning): void {
  if (warnedKinds.has(w.kind)) return
  warnedKinds.add(w.kind)
  console.warn(`lagomago: ${w.message} (further ${w.kind} warnings are not printed; pass onWarning to see them all)`)
}


/** Hand warnings to `onWarning` (a throwing handler is ignored) and return them. */
export function reportWarnings(warnings: WriteWarning[], opts: WarningOptions = {}): WriteWarning[] {
  for (const w of warnings) {
    try {
      (opts.onWarning ?? defaultOnWarning)(w)
    } catch {
      // a throwing handler must not turn a committed write into a failed one
    }
  }
  return warnings
}

/** Run the post-commit step for `snapshot` (the table at the version just committed). Never throws. */
export async function postCommit(snapshot: Snapshot, opts: PostCommitOptions = {}): Promise<WriteWarning[]> {
  const warnings: WriteWarning[] = []
  const table = snapshot.tableUrl
  const version = snapshot.version
  const warn = (kind: WriteWarningKind, what: string, cause: unknown): void => {
    const reason = cause instanceof Error ? cause.message : String(cause)
    const w: WriteWarning = { kind, message: `${what} for version ${version} of table ${table} failed after the commit (the commit stands): ${reason}`, table, version, cause }
    warnings.push(...reportWarnings([w], opts))
  }
  try {
    await writeVersionChecksum(snapshot)
  } catch (e) {
    warn('checksum', 'writing the checksum file', e)
  }
  if (await checkpointNeeded(snapshot, opts.heldVersion)) {
    let written = false
    try {
      await writeCheckpoint(snapshot)
      snapshot.lastCheckpointVersion = version
      written = true
    } catch (e) {
      warn('checkpoint', 'writing the checkpoint', e)
    }
    if (written) {
      try {
        await cleanupExpiredLogsAt(snapshot, opts.now === undefined ? {} : { now: opts.now })
      } catch (e) {
        warn('logCleanup', 'cleaning up expired log files', e)
      }
    }
  }
  return warnings
}

/**
 * Whether this commit writes a checkpoint. The commit of a multiple of the interval does, as Delta
 * does. A later commit catches up a checkpoint that is missing (failed, or its writer died) — but
 * with several writers the one that committed the multiple is usually still writing it, and every
 * other writer would write its own copy (10 writers wrote ~6 checkpoints per 10 commits). So a
 * handle catches up at once only the multiple it held itself (its own failed checkpoint); another
 * writer's only at the last commit before the next multiple (interval − 1 commits after it), if its
 * handle had seen the multiple and `_last_checkpoint` does not record it: the committer, sharing the
 * machine with the other writers, may take many commits' time to write it (at half an interval, 10
 * writers still wrote ~70 checkpoints per 400 commits where 40 are due).
 */
async function checkpointNeeded(snapshot: Snapshot, heldVersion: number | undefined): Promise<boolean> {
  const { version, properties } = snapshot
  if (!checkpointDue(version, snapshot.lastCheckpointVersion, properties)) return false
  const interval = checkpointInterval(properties)
  const due = Math.floor(version / interval) * interval
  if (due === version || heldVersion === undefined || heldVersion === due) return true
  if (due > heldVersion || version - due < Math.max(1, interval - 1)) return false
  const recorded = (await readLastCheckpoint(snapshot.store))?.version
  if (recorded === undefined || recorded < due || recorded > version) return true
  snapshot.lastCheckpointVersion = recorded
  return false
}
