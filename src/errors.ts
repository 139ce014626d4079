// Every error lagomago raises on purpose: a `DeltaError` with a stable `code` and `name`, so callers
// can branch on the class (or the code across realms) and messages can name table, version, file, column.

/** Where an error happened; each part is optional and is woven into the message. */
export interface ErrorContext {
  table?: string
  version?: number
  file?: string
  column?: string
  cause?: unknown
}

/**
 * Base class of every error lagomago raises on purpose. `code` is stable across versions (branch on
 * it, or on the subclass); `table`, `version`, `file` and `column` say where, when known.
 * @example
 * try { await DeltaTable.open('s3://bucket/missing') }
 * catch (e) { if (!(e instanceof DeltaError && e.code === 'TABLE_NOT_FOUND')) throw e }
 */
export class DeltaError extends Error {
  readonly code: string = 'DELTA_ERROR'
  readonly table?: string
  readonly version?: number
  readonly file?: string
  readonly column?: string

  constructor(message: string, ctx: ErrorContext = {}) {
    super(describe(message, ctx), ctx.cause === undefined ? undefined : { cause: ctx.cause })
    this.name = new.target.name
    this.table = ctx.table
    this.version = ctx.version
    this.file = ctx.file
    this.column = ctx.column
  }
}

function describe(message: string, ctx: ErrorContext): string {
  const where: string[] = []
  if (ctx.table !== undefined && !message.includes(ctx.table)) where.push(`table ${ctx.table}`)
  if (ctx.version !== undefined && !/\bversion\b/.test(message)) where.push(`version ${ctx.version}`)
  if (ctx.file !== undefined && !message.includes(ctx.file)) where.push(`file ${ctx.file}`)
  if (ctx.column !== undefined && !message.includes(ctx.column)) where.push(`column ${ctx.column}`)
  return where.length ? `${message} (${where.join(', ')})` : message
}

/** No `_delta_log` (or no commit in it) at the location. */
export class TableNotFoundError extends DeltaError { override readonly code = 'TABLE_NOT_FOUND' }
/** `create` on a location that already holds a table (and `ifExists` said to fail). */
export class TableExistsError extends DeltaError { override readonly code = 'TABLE_EXISTS' }
/** The requested version or timestamp is not in the table's retained history. */
export class VersionNotFoundError extends DeltaError { override readonly code = 'VERSION_NOT_FOUND' }
/** The log breaks the protocol: malformed JSON, missing protocol/metaData, gaps in versions, bad checkpoints. */
export class CorruptLogError extends DeltaError { override readonly code = 'CORRUPT_LOG' }
/** A data or deletion-vector file is damaged (bad parquet, checksum mismatch, wrong sizes). */
export class CorruptDataError extends DeltaError { override readonly code = 'CORRUPT_DATA' }
/** A file the log references does not exist in storage (e.g. removed by VACUUM). */
export class MissingFileError extends DeltaError { override readonly code = 'MISSING_FILE' }
/** The table needs a reader/writer feature or protocol version lagomago does not implement. */
export class UnsupportedFeatureError extends DeltaError { override readonly code = 'UNSUPPORTED_FEATURE' }
/** Data or a schema change does not fit the table's schema (types, nullability, unknown columns). */
export class SchemaMismatchError extends DeltaError { override readonly code = 'SCHEMA_MISMATCH' }
/** A CHECK constraint, invariant or NOT NULL rule rejected a row. */
export class ConstraintViolationError extends DeltaError { override readonly code = 'CONSTRAINT_VIOLATION' }
/** A filter/condition/expression that cannot be parsed or does not type-check against the schema. */
export class ExpressionError extends DeltaError { override readonly code = 'INVALID_EXPRESSION' }
/** A path in the log that escapes the table root, or a URI we cannot resolve. */
export class UnsafePathError extends DeltaError { override readonly code = 'UNSAFE_PATH' }
/** Caller passed options that make no sense together or out of range. */
export class InvalidArgumentError extends DeltaError { override readonly code: string = 'INVALID_ARGUMENT' }
/** The object store failed (I/O error, permission, full disk, a network path that kept failing) in a way the caller should see. */
export class StorageError extends DeltaError {
  override readonly code = 'STORAGE_ERROR'
  /** HTTP status of the reply that failed, for the HTTP stores. */
  status?: number
  /**
   * HTTP stores: the server may have applied the request although it failed for us (a reply lost
   * after the server got the request, a timeout, a 5xx). A write's outcome must then be read back.
   */
  uncertain?: boolean
}
/**
 * A data file could not be written for a reason outside the data: the worker thread compressing its
 * pages failed or stopped (killed, out of memory). Nothing was committed; the write can be repeated.
 */
export class EncodingFailedError extends DeltaError { override readonly code = 'ENCODING_FAILED' }
/** A write to a read-only store (an `https://` table published on a static server or CDN). */
export class ReadOnlyStoreError extends DeltaError { override readonly code = 'READ_ONLY_STORE' }

/** Base of the errors a commit raises when a concurrent winner conflicts with what we read or wrote. */
export class CommitConflictError extends DeltaError { override readonly code: string = 'COMMIT_CONFLICT' }
/** A concurrent commit added files that what this one read (its filter, or the whole table) would have selected. */
export class ConcurrentAppendError extends CommitConflictError { override readonly code = 'CONCURRENT_APPEND' }
/** A concurrent commit removed a file this one read. */
export class ConcurrentDeleteReadError extends CommitConflictError { override readonly code = 'CONCURRENT_DELETE_READ' }
/** A concurrent commit removed a file this one also removes. */
export class ConcurrentDeleteDeleteError extends CommitConflictError { override readonly code = 'CONCURRENT_DELETE_DELETE' }
/** A concurrent commit changed the table's metadata (schema, partitioning, properties). */
export class MetadataChangedError extends CommitConflictError { override readonly code = 'METADATA_CHANGED' }
/** A concurrent commit changed the table's protocol (reader/writer versions or features). */
export class ProtocolChangedError extends CommitConflictError { override readonly code = 'PROTOCOL_CHANGED' }
/** A concurrent commit recorded a `txn` version of an application id this one looked up, or wrote a metadata domain this one writes. */
export class ConcurrentTransactionError extends CommitConflictError { override readonly code = 'CONCURRENT_TRANSACTION' }
/** The commit kept losing the race after the bounded number of retries. */
export class CommitRetriesExhaustedError extends CommitConflictError { override readonly code = 'COMMIT_RETRIES_EXHAUSTED' }

/**
 * The commit file's write failed in a way that leaves its outcome unknown (the reply was lost and
 * the commit could not be read back, or every attempt failed on the network): version `version`
 * may or may not hold this commit, and a request still in flight may yet write it. Not a conflict —
 * re-planning and committing again could apply the change twice. Act on it by reopening the table
 * later and looking for `txnId` in the commitInfo at `version` (or after), or write idempotently
 * (`txn: { appId, version }`) and repeat the same write: Delta then skips it if it landed.
 */
export class CommitOutcomeUnknownError extends DeltaError {
  override readonly code = 'COMMIT_OUTCOME_UNKNOWN'
  /** The txnId written into this commit's commitInfo. */
  readonly txnId: string
  constructor(message: string, ctx: ErrorContext & { txnId: string }) {
    super(message, ctx)
    this.txnId = ctx.txnId
  }
}

/** A target row matched more than one source row in MERGE (Delta's cardinality rule). */
export class MergeCardinalityError extends DeltaError { override readonly code = 'MERGE_CARDINALITY' }
/**
 * A change feed (CDC-mode merge) that cannot be applied exactly: its format is ambiguous, an op value
 * is outside its format's set, flags contradict each other, or an event (truncate) has no row-level
 * meaning. `row` and `value` name the offending row of the batch when there is one.
 */
export class ChangeFeedError extends InvalidArgumentError {
  override readonly code = 'CHANGE_FEED'
  readonly row?: number
  readonly value?: unknown
  constructor(message: string, ctx: ErrorContext = {}, at: { row?: number; value?: unknown } = {}) {
    super(message, ctx)
    this.row = at.row
    this.value = at.value
  }
}

/** What failed after a commit landed (table/post-commit.ts): the version stands and reads correctly. */
/** `reload`: the commit landed but the handle could not read it back; it stays at its old version. */
export type WriteWarningKind = 'checksum' | 'checkpoint' | 'logCleanup' | 'reload'

/** A failure after a commit, reported in `result.warnings` and to `onWarning`, never thrown. */
export interface WriteWarning {
  kind: WriteWarningKind
  /** Names the step, the table and the version. */
  message: string
  table: string
  version: number
  cause: unknown
}
