// The public signatures, pinned: DeltaTable's statics and methods with their option and result types,
// MergeBuilder, the error classes, `lagomago/cloud` and the main `lagomago/medallion` calls. A change
// to any of them fails here (vitest typecheck mode, and `tsc -p .`), so it is made on purpose: update
// the expectation in the same commit and say what changed in CHANGELOG.md.
// Types that appear in public signatures but are not exported yet come from their modules (marked).
import type { RecordBatch, Schema, Table } from 'apache-arrow'
import { describe, expectTypeOf, it } from 'vitest'
import {
  DeltaTable, MergeBuilder, DeltaError, InvalidArgumentError, UnknownOptionError, ChangeFeedError, CommitConflictError,
  CommitOutcomeUnknownError, StorageError, TableNotFoundError, MemoryStore,
  type AddFile, type AlterResult, type AppendOptions, type Assignments, type CdcInfo, type CdcMergeOptions, type CdcMergeResult,
  type ChangesOptions, type CommitInfo, type ConditionOption, type CreateTableOptions, type DmlOptions, type Expr, type ExprLike, type FeedFormat,
  type FilesOptions, type HistoryEntry, type InsertClauseOptions, type MergeOptions, type MergeResult, type NewColumn,
  type ObjectStore, type OpenOptions, type OptimizeOptions, type OptimizeResult, type OverwriteOptions, type RemoveFile,
  type RestoreOptions, type RestoreResult, type RowValue, type ScanOptions, type StructType, type UpdateClauseOptions,
  type VacuumOptions, type VacuumResult, type WarningOptions, type Warned, type WriteData, type WriteResult, type IsolationLevel, type Clock,
} from '../../src/index.js'
import {
  AzureStore, HttpStore, S3Store, registerCloudStores,
  type AwsCredentials, type AzureStoreOptions, type CloudStoreDefaults, type FetchLike, type HttpStoreOptions,
  type RetryOptions, type S3StoreOptions,
} from '../../src/cloud.js'
import {
  Lake, Job, applyCdc, runStream,
  type CdcOptions, type CdcResult, type JobEvent, type JobOptions, type JobResult, type LakeOptions, type Row, type StreamOptions,
  type StreamSummary, type TableDefinition, type TaskSpec,
} from '../../src/medallion/index.js'
// types of public signatures, exported from the main entry (docs/api.md decision 8)
import type { WriteWarning, TxnOption, WriteFilesOptions } from '../../src/index.js'

type Txn = { appId: string; version: number }
type Done<R> = Promise<R & Warned>

describe('DeltaTable', () => {
  it('opens and creates', () => {
    expectTypeOf(DeltaTable.open).toEqualTypeOf<(uri: string | ObjectStore, options?: OpenOptions) => Promise<DeltaTable>>()
    expectTypeOf(DeltaTable.create).toEqualTypeOf<(uri: string | ObjectStore, options: CreateTableOptions & WarningOptions) => Promise<DeltaTable>>()
    expectTypeOf<OpenOptions>().toEqualTypeOf<{ version?: number; timestamp?: string | Date | number; allowExternalPaths?: boolean }>()
    expectTypeOf<CreateTableOptions>().toEqualTypeOf<{
      schema: StructType | Schema; partitionBy?: string[]; properties?: Record<string, string>; primaryKey?: string | string[]
      clusterBy?: string[]; ifExists?: 'error' | 'ignore' | 'overwrite'; name?: string; description?: string; now?: Clock
    }>()
    expectTypeOf<WarningOptions>().toEqualTypeOf<{ onWarning?: (warning: WriteWarning) => void }>()
    expectTypeOf<Warned>().toEqualTypeOf<{ warnings: WriteWarning[] }>()
  })

  it('has the snapshot properties', () => {
    expectTypeOf<DeltaTable>().toHaveProperty('store').toEqualTypeOf<ObjectStore>()
    expectTypeOf<DeltaTable['url']>().toEqualTypeOf<string>()
    expectTypeOf<DeltaTable['version']>().toEqualTypeOf<number>()
    expectTypeOf<DeltaTable['schema']>().toEqualTypeOf<StructType>()
    expectTypeOf<DeltaTable['partitionColumns']>().toEqualTypeOf<string[]>()
    expectTypeOf<DeltaTable['properties']>().toEqualTypeOf<Record<string, string>>()
    expectTypeOf<DeltaTable['timestamp']>().toEqualTypeOf<number>()
  })

  it('reads', () => {
    expectTypeOf<DeltaTable['files']>().toEqualTypeOf<(options?: FilesOptions) => Promise<AddFile[]>>()
    expectTypeOf<DeltaTable['tombstones']>().toEqualTypeOf<() => Promise<RemoveFile[]>>()
    expectTypeOf<DeltaTable['history']>().toEqualTypeOf<(options?: { limit?: number }) => Promise<HistoryEntry[]>>()
    expectTypeOf<DeltaTable['toArrow']>().toEqualTypeOf<(options?: ScanOptions) => Promise<Table>>()
    expectTypeOf<DeltaTable['toRows']>().toEqualTypeOf<(options?: ScanOptions) => Promise<Record<string, RowValue>[]>>()
    expectTypeOf<DeltaTable['scan']>().toEqualTypeOf<(options?: ScanOptions) => AsyncGenerator<RecordBatch>>()
    expectTypeOf<DeltaTable['changes']>().toEqualTypeOf<(options: ChangesOptions) => Promise<Record<string, RowValue>[]>>()
    expectTypeOf<DeltaTable['changesToArrow']>().toEqualTypeOf<(options: ChangesOptions) => Promise<Table>>()
    expectTypeOf<DeltaTable['scanChanges']>().toEqualTypeOf<(options: ChangesOptions) => AsyncGenerator<RecordBatch>>()
    expectTypeOf<DeltaTable['refresh']>().toEqualTypeOf<(options?: OpenOptions) => Promise<DeltaTable>>()
    expectTypeOf<FilesOptions>().toEqualTypeOf<{ filter?: ExprLike | null }>()
    expectTypeOf<ScanOptions>().toEqualTypeOf<{ columns?: string[]; filter?: ExprLike; batchRows?: number; rowTracking?: boolean }>()
    expectTypeOf<ChangesOptions>().toEqualTypeOf<{ startVersion: number; endVersion?: number; columns?: string[]; batchRows?: number }>()
    expectTypeOf<HistoryEntry>().toExtend<CommitInfo>()
    expectTypeOf<Pick<HistoryEntry, 'version' | 'timestamp' | 'operationTimestamp' | 'inCommitTimestamp'>>()
      .toEqualTypeOf<{ version: number; timestamp: number; operationTimestamp?: number; inCommitTimestamp?: number }>()
  })

  it('writes', () => {
    expectTypeOf<DeltaTable['append']>().toEqualTypeOf<(data: WriteData, options?: AppendOptions & WarningOptions) => Done<WriteResult>>()
    expectTypeOf<DeltaTable['overwrite']>().toEqualTypeOf<(data: WriteData, options?: OverwriteOptions & WarningOptions) => Done<WriteResult>>()
    expectTypeOf<WriteResult>().toEqualTypeOf<{ version: number; metrics: Record<string, number> }>()
    expectTypeOf<WriteFilesOptions>().toEqualTypeOf<{ targetFileSize?: number; rowGroupSize?: number; now?: Clock }>()
    expectTypeOf<TxnOption>().toEqualTypeOf<Txn>()
    expectTypeOf<AppendOptions>().toEqualTypeOf<{ targetFileSize?: number; rowGroupSize?: number; now?: Clock; mergeSchema?: boolean; txn?: TxnOption }>()
    expectTypeOf<OverwriteOptions>().toEqualTypeOf<{
      targetFileSize?: number; rowGroupSize?: number; now?: Clock; replaceWhere?: ExprLike; overwriteSchema?: boolean; partitionBy?: string[]; mergeSchema?: boolean; txn?: TxnOption
    }>()
  })

  it('merges, updates and deletes', () => {
    const t = {} as DeltaTable
    expectTypeOf(t.merge([], { on: 'id' })).toEqualTypeOf<MergeBuilder>()
    expectTypeOf(t.merge([], { keys: 'id' })).toEqualTypeOf<Done<CdcMergeResult>>()
    expectTypeOf(t.merge([])).toEqualTypeOf<Done<CdcMergeResult>>()
    expectTypeOf<MergeOptions>().toEqualTypeOf<{
      on: string | string[] | Expr; mergeSchema?: boolean; sourceAlias?: string; targetAlias?: string; isolationLevel?: IsolationLevel
      txn?: Txn; write?: WriteFilesOptions; flushRows?: number
    }>()
    expectTypeOf<CdcMergeOptions>().toEqualTypeOf<{
      keys?: string | string[]; format?: FeedFormat | 'auto'; opColumn?: string; sequence?: string; ignoreOlderThanTarget?: boolean
      softDelete?: { column: string }; mergeSchema?: boolean; ignoreColumns?: string[]; isolationLevel?: IsolationLevel; txn?: Txn
      write?: WriteFilesOptions; flushRows?: number
    }>()
    expectTypeOf<FeedFormat>().toEqualTypeOf<'plain' | 'debezium' | 'debezium-envelope' | 'dms' | 'delta-cdf'>()
    expectTypeOf<CdcMergeResult>().toEqualTypeOf<{ version: number; metrics: Record<string, number>; warnings?: WriteWarning[]; cdc: CdcInfo }>()
    expectTypeOf<MergeResult>().toEqualTypeOf<{ version: number; metrics: Record<string, number>; warnings?: WriteWarning[] }>()
    expectTypeOf<DeltaTable['update']>().toEqualTypeOf<(where: ExprLike, set: Assignments, options?: DmlOptions & WarningOptions) => Done<WriteResult>>()
    expectTypeOf<DeltaTable['delete']>().toEqualTypeOf<(where: ExprLike, options?: DmlOptions & WarningOptions) => Done<WriteResult>>()
    expectTypeOf<DmlOptions>().toEqualTypeOf<{ isolationLevel?: IsolationLevel; txn?: TxnOption; write?: WriteFilesOptions; flushRows?: number }>()
  })

  it('maintains and alters', () => {
    expectTypeOf<DeltaTable['optimize']>().toEqualTypeOf<(options?: OptimizeOptions & WarningOptions) => Done<OptimizeResult>>()
    expectTypeOf<DeltaTable['vacuum']>().toEqualTypeOf<(options?: VacuumOptions & WarningOptions) => Done<VacuumResult>>()
    expectTypeOf<DeltaTable['restore']>().toEqualTypeOf<(options: RestoreOptions & WarningOptions) => Done<RestoreResult>>()
    expectTypeOf<OptimizeOptions>().toEqualTypeOf<{
      where?: ExprLike; targetFileSize?: number; zOrderBy?: string[]; minCommitSize?: number; maxDeletedRowsRatio?: number
      maxRowsPerFile?: number; rowGroupSize?: number; now?: Clock
    }>()
    expectTypeOf<OptimizeResult>().toEqualTypeOf<{ version: number; versions: number[]; metrics: Record<string, number> }>()
    expectTypeOf<VacuumOptions>().toEqualTypeOf<{ retentionHours?: number; dryRun?: boolean; enforceRetentionDuration?: boolean; logToHistory?: boolean; now?: Clock }>()
    expectTypeOf<VacuumResult>().toEqualTypeOf<{ filesDeleted: string[]; dryRun: boolean; bytesDeleted: number; version?: number }>()
    expectTypeOf<RestoreOptions>().toEqualTypeOf<{ version?: number; timestamp?: string | Date | number; now?: Clock }>()
    expectTypeOf<RestoreResult>().toEqualTypeOf<{ version: number; restoredVersion: number; metrics: Record<string, number> }>()
    expectTypeOf<Clock>().toEqualTypeOf<() => number>()

    expectTypeOf<DeltaTable['setProperties']>().toEqualTypeOf<(properties: Record<string, string>, options?: { allowArbitraryProperties?: boolean } & WarningOptions) => Done<AlterResult>>()
    expectTypeOf<DeltaTable['unsetProperties']>().toEqualTypeOf<(keys: string[], options?: { ifExists?: boolean } & WarningOptions) => Done<AlterResult>>()
    expectTypeOf<DeltaTable['addColumns']>().toEqualTypeOf<(columns: NewColumn[]) => Done<AlterResult>>()
    expectTypeOf<DeltaTable['renameColumn']>().toEqualTypeOf<(from: string, to: string) => Done<AlterResult>>()
    expectTypeOf<DeltaTable['dropColumns']>().toEqualTypeOf<(names: string[], options?: WarningOptions) => Done<AlterResult>>()
    expectTypeOf<DeltaTable['addConstraint']>().toEqualTypeOf<(name: string, expression: string) => Done<AlterResult>>()
    expectTypeOf<DeltaTable['dropConstraint']>().toEqualTypeOf<(name: string, options?: { ifExists?: boolean } & WarningOptions) => Done<AlterResult>>()
    expectTypeOf<AlterResult>().toEqualTypeOf<WriteResult>()
  })
})

describe('MergeBuilder', () => {
  it('chains clauses and executes', () => {
    type Cond = ConditionOption | ExprLike
    expectTypeOf<MergeBuilder['whenMatchedUpdate']>().toEqualTypeOf<(o: UpdateClauseOptions) => MergeBuilder>()
    expectTypeOf<MergeBuilder['whenMatchedUpdateAll']>().toEqualTypeOf<(o?: Cond) => MergeBuilder>()
    expectTypeOf<MergeBuilder['whenMatchedDelete']>().toEqualTypeOf<(o?: Cond) => MergeBuilder>()
    expectTypeOf<MergeBuilder['whenNotMatchedInsert']>().toEqualTypeOf<(o: InsertClauseOptions) => MergeBuilder>()
    expectTypeOf<MergeBuilder['whenNotMatchedInsertAll']>().toEqualTypeOf<(o?: Cond) => MergeBuilder>()
    expectTypeOf<MergeBuilder['whenNotMatchedBySourceUpdate']>().toEqualTypeOf<(o: UpdateClauseOptions) => MergeBuilder>()
    expectTypeOf<MergeBuilder['whenNotMatchedBySourceDelete']>().toEqualTypeOf<(o?: Cond) => MergeBuilder>()
    expectTypeOf<MergeBuilder['execute']>().toEqualTypeOf<() => Promise<MergeResult>>()
    // awaitable: `await builder` runs it (docs/api.md, decision 1)
    expectTypeOf<MergeBuilder>().toExtend<PromiseLike<MergeResult>>()
    expectTypeOf<Awaited<MergeBuilder>>().toEqualTypeOf<MergeResult>()
    expectTypeOf<UpdateClauseOptions>().toEqualTypeOf<{ set: Assignments; condition?: ExprLike }>()
    expectTypeOf<InsertClauseOptions>().toEqualTypeOf<{ values: Assignments; condition?: ExprLike }>()
  })
})

describe('errors', () => {
  it('are DeltaErrors with a code and the context fields', () => {
    expectTypeOf<DeltaError>().toExtend<Error>()
    expectTypeOf<Pick<DeltaError, 'code' | 'table' | 'version' | 'file' | 'column'>>()
      .toEqualTypeOf<{ readonly code: string; readonly table?: string; readonly version?: number; readonly file?: string; readonly column?: string }>()
    expectTypeOf<TableNotFoundError['code']>().toEqualTypeOf<'TABLE_NOT_FOUND'>()
    expectTypeOf<UnknownOptionError>().toExtend<InvalidArgumentError>()
    expectTypeOf<UnknownOptionError['option']>().toEqualTypeOf<string>()
    expectTypeOf<ChangeFeedError>().toExtend<InvalidArgumentError>()
    expectTypeOf<Pick<ChangeFeedError, 'row' | 'value'>>().toEqualTypeOf<{ readonly row?: number; readonly value?: unknown }>()
    expectTypeOf<CommitOutcomeUnknownError['txnId']>().toEqualTypeOf<string>()
    expectTypeOf<CommitConflictError>().toExtend<DeltaError>()
    expectTypeOf<Pick<StorageError, 'status' | 'uncertain'>>().toEqualTypeOf<{ status?: number; uncertain?: boolean }>()
  })
})

describe('stores', () => {
  it('ObjectStore and MemoryStore', () => {
    expectTypeOf<MemoryStore>().toExtend<ObjectStore>()
    expectTypeOf<keyof ObjectStore>().toEqualTypeOf<'url' | 'get' | 'getRange' | 'putIfAbsent' | 'put' | 'list' | 'head' | 'delete' | 'listStaging'>()
  })

  it('lagomago/cloud', () => {
    expectTypeOf<S3Store>().toExtend<ObjectStore>()
    expectTypeOf<AzureStore>().toExtend<ObjectStore>()
    expectTypeOf<HttpStore>().toExtend<ObjectStore>()
    expectTypeOf(S3Store.fromUri).toEqualTypeOf<(uri: string, options?: Partial<S3StoreOptions>) => S3Store>()
    expectTypeOf(AzureStore.fromUri).toEqualTypeOf<(uri: string, options?: Partial<AzureStoreOptions>) => AzureStore>()
    expectTypeOf(HttpStore).constructorParameters.toEqualTypeOf<[url: string, options?: HttpStoreOptions]>()
    expectTypeOf(registerCloudStores).toEqualTypeOf<(defaults?: CloudStoreDefaults) => void>()
    expectTypeOf<S3StoreOptions>().toEqualTypeOf<{
      bucket: string; prefix?: string; region?: string; endpoint?: string; forcePathStyle?: boolean
      credentials?: AwsCredentials | (() => Promise<AwsCredentials>); multipartThreshold?: number; partSize?: number
      partConcurrency?: number; listPageSize?: number; retry?: RetryOptions; fetch?: FetchLike
    }>()
    expectTypeOf<AzureStoreOptions>().toEqualTypeOf<{
      container: string; prefix?: string; account?: string; accountKey?: string; sasToken?: string; endpoint?: string
      useEmulator?: boolean; blockThreshold?: number; blockSize?: number; blockConcurrency?: number; listPageSize?: number
      retry?: RetryOptions; fetch?: FetchLike
    }>()
    expectTypeOf<HttpStoreOptions>().toEqualTypeOf<{ headers?: Record<string, string>; retry?: RetryOptions; fetch?: FetchLike }>()
    expectTypeOf<CloudStoreDefaults>().toEqualTypeOf<{ s3?: Partial<S3StoreOptions>; azure?: Partial<AzureStoreOptions>; http?: HttpStoreOptions }>()
  })
})

describe('lagomago/medallion', () => {
  it('Lake, CDC, jobs and streams', () => {
    expectTypeOf(Lake).constructorParameters.toEqualTypeOf<[root: string, options?: LakeOptions]>()
    expectTypeOf<Lake['table']>().toEqualTypeOf<(name: string, definition?: TableDefinition) => Promise<DeltaTable>>()
    expectTypeOf<Lake['tables']>().toEqualTypeOf<() => Promise<string[]>>()
    expectTypeOf<Lake['exists']>().toEqualTypeOf<(name: string) => Promise<boolean>>()
    expectTypeOf<TableDefinition>().toEqualTypeOf<Omit<CreateTableOptions, 'ifExists'>>()
    expectTypeOf(applyCdc).toEqualTypeOf<(table: DeltaTable, rows: readonly Row[], options?: CdcOptions) => Promise<CdcResult>>()
    expectTypeOf<CdcResult>().toEqualTypeOf<{ skipped: boolean; cdc?: CdcInfo; version: number; metrics: Record<string, number> }>()
    expectTypeOf<keyof CdcOptions>().toEqualTypeOf<'keys' | 'format' | 'opColumn' | 'sequence' | 'softDelete' | 'ignoreOlderThanTarget'
      | 'txn' | 'ignoreColumns' | 'mergeSchema'>()
    expectTypeOf<Job['run']>().toEqualTypeOf<(lake: Lake, options?: JobOptions) => Promise<JobResult>>()
    expectTypeOf<JobOptions>().toEqualTypeOf<{ maxParallel?: number; maxRetries?: number; retryDelayMs?: number; record?: boolean; onEvent?: (e: JobEvent) => void }>()
    expectTypeOf<keyof TaskSpec>().toEqualTypeOf<'name' | 'dependsOn' | 'writes' | 'run' | 'maxRetries'>()
    expectTypeOf(runStream<unknown, unknown>).toEqualTypeOf<(options: StreamOptions<unknown, unknown>) => Promise<StreamSummary>>()
  })
})
