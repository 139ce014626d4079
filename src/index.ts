// Public entry point of lagomago: re-exports only.
export * from './errors.js'
export { UnknownOptionError } from './options.js'
export * from './storage/index.js'

// The table handle and its options.
export { DeltaTable } from './table/delta-table.js'
export type { OpenOptions, FilesOptions } from './table/delta-table.js'
export type { WarningOptions, Warned } from './table/post-commit.js'
export type { CreateTableOptions, AppendOptions, OverwriteOptions, WriteResult, TxnOption } from './write/operations.js'
export type { WriteFilesOptions } from './write/data-files.js'
export { PRIMARY_KEY_PROPERTY } from './write/operations.js'
export type { WriteData } from './write/input.js'
export type { ScanOptions } from './scan/scan.js'
export type { ChangesOptions } from './scan/cdf.js'
export type { HistoryEntry } from './log/history.js'

// The log model and snapshots (for tools that work below the DeltaTable handle).
export type {
  Action, AddFile, RemoveFile, AddCDCFile, Protocol, Metadata, Txn, CommitInfo, DomainMetadata,
  CheckpointMetadata, Sidecar, DeletionVectorDescriptor, Format,
} from './log/actions.js'
export { loadSnapshot, Snapshot } from './log/snapshot.js'
export type { SnapshotOptions } from './log/snapshot.js'
export { SUPPORTED_READER_FEATURES } from './log/table-features.js'
export { SUPPORTED_WRITER_FEATURES } from './write/features.js'

// MERGE (builder and CDC mode), UPDATE, DELETE.
export { MergeBuilder } from './dml/merge.js'
export type { UpdateClauseOptions, InsertClauseOptions, ConditionOption } from './dml/merge.js'
export type { MergeOptions, MergeResult } from './dml/merge-types.js'
export type { CdcMergeOptions, CdcMergeResult } from './dml/cdc.js'
export type { CdcInfo } from './dml/cdc-batch.js'
export type { FeedFormat } from './dml/cdc-formats.js'
export type { DmlOptions } from './dml/update-delete.js'
export type { Assignments, AssignmentValue } from './dml/clauses.js'

// Maintenance (also methods of DeltaTable): OPTIMIZE, VACUUM, RESTORE, log cleanup, ALTER.
export { cleanupExpiredLogs } from './maintenance/index.js'
export type {
  OptimizeOptions, OptimizeResult, VacuumOptions, VacuumResult, RestoreOptions, RestoreResult,
  LogCleanupOptions, LogCleanupResult, AlterOptions, AlterResult, NewColumn,
} from './maintenance/index.js'

// Schemas and values.
export type { StructType, StructField, DataType, PrimitiveType, ArrayType, MapType, DecimalType, GeoType, ColumnMappingMode } from './schema/types.js'
export { parseSchema, serializeSchema } from './schema/types.js'
export { toArrowSchema, loadArrow } from './schema/arrow-lazy.js'
export { fromArrowSchema } from './schema/arrow-input.js'
export type { DeltaValue, RowValue, DeltaStruct, VariantValue } from './schema/values.js'

// Expressions: filters, conditions, SET expressions.
export { col, lit, and, or, not, fn, filterFromTuples, parseExpression, exprToSql } from './expr/index.js'
export type {
  Expr, ExprLike, FilterTuple, CompareOp, ArithOp, ColumnExpr, LiteralExpr, CompareExpr, AndExpr, OrExpr,
  NotExpr, InExpr, BetweenExpr, IsNullExpr, LikeExpr, ArithExpr, NegateExpr, CastExpr, CallExpr, CaseExpr,
  BuiltExpr, ExprMethods, Operand,
} from './expr/index.js'

// Transactions (advanced: custom operations committing through Delta's conflict rules).
export { Transaction } from './txn/transaction.js'
export type { CommitResult, TransactionOptions, TableState, PlanReads, WinningCommit, ConflictCheck } from './txn/transaction.js'
export type { IsolationLevel } from './txn/isolation.js'
export type { Clock } from './clock.js'
export { DEFAULT_RETRY_POLICY } from './txn/retry.js'
export type { RetryPolicy, RetryClock } from './txn/retry.js'
