// The actions of the Delta transaction log, typed exactly as PROTOCOL.md "Actions" defines them.
// Each JSON line of a commit holds one action wrapped in an object keyed by its type
// (`{"add": {...}}`), and the TypeScript union mirrors that shape.
import { CorruptLogError } from '../errors.js'

/** The `protocol` action: reader and writer versions and table features (PROTOCOL.md "Protocol Evolution"). */
export interface Protocol {
  minReaderVersion: number
  minWriterVersion: number
  /** Present iff minReaderVersion is 3 (table features). */
  readerFeatures?: string[]
  /** Present iff minWriterVersion is 7 (table features). */
  writerFeatures?: string[]
}

/** The data file format of a metaData action (`parquet`) and its options. */
export interface Format {
  provider: string
  options: Record<string, string>
}

/** The `metaData` action: schema, partition columns, properties (PROTOCOL.md "Change Metadata"). */
export interface Metadata {
  id: string
  name?: string | null
  description?: string | null
  format: Format
  schemaString: string
  partitionColumns: string[]
  createdTime?: number | null
  configuration: Record<string, string>
}

/** PROTOCOL.md "Deletion Vector Descriptor Schema". */
export interface DeletionVectorDescriptor {
  /** `u`: relative path from a UUID; `i`: inline; `p`: absolute path. */
  storageType: 'u' | 'i' | 'p'
  pathOrInlineDv: string
  /** Byte offset of the DV in its file (absent for inline). */
  offset?: number
  sizeInBytes: number
  cardinality: number
  maxRowIndex?: number
}

/** The `add` action: a data file of the table with its partition values and stats (PROTOCOL.md "Add File and Remove File"). */
export interface AddFile {
  path: string
  partitionValues: Record<string, string | null>
  size: number
  modificationTime: number
  dataChange: boolean
  /** JSON-encoded file statistics (numRecords, minValues, maxValues, nullCount, tightBounds). */
  stats?: string | null
  tags?: Record<string, string> | null
  deletionVector?: DeletionVectorDescriptor | null
  baseRowId?: number | null
  defaultRowCommitVersion?: number | null
  clusteringProvider?: string | null
}

/** The `remove` action: a tombstone for a data file removed from the table. */
export interface RemoveFile {
  path: string
  deletionTimestamp?: number | null
  dataChange: boolean
  extendedFileMetadata?: boolean | null
  partitionValues?: Record<string, string | null> | null
  size?: number | null
  stats?: string | null
  tags?: Record<string, string> | null
  deletionVector?: DeletionVectorDescriptor | null
  baseRowId?: number | null
  defaultRowCommitVersion?: number | null
}

/** `cdc` action: a file of `_change_data` rows written by the commit. */
export interface AddCDCFile {
  path: string
  partitionValues: Record<string, string | null>
  size: number
  dataChange: boolean
  tags?: Record<string, string> | null
}

/** `txn` action: the last version an application committed (idempotent writers). */
export interface Txn {
  appId: string
  version: number
  lastUpdated?: number | null
}

/** `commitInfo`: free-form provenance; the fields below are the ones engines agree on. */
export interface CommitInfo {
  timestamp?: number
  inCommitTimestamp?: number
  operation?: string
  operationParameters?: Record<string, unknown>
  operationMetrics?: Record<string, unknown>
  readVersion?: number
  isolationLevel?: string
  isBlindAppend?: boolean
  engineInfo?: string
  txnId?: string
  [key: string]: unknown
}

/** The `domainMetadata` action: configuration of a named domain (clustering, row tracking…). */
export interface DomainMetadata {
  domain: string
  configuration: string
  removed: boolean
}

/** V2 checkpoints: names the version the checkpoint file describes. */
export interface CheckpointMetadata {
  version: number
  tags?: Record<string, string> | null
}

/** V2 checkpoints: a file under `_delta_log/_sidecars/` holding more add/remove actions. */
export interface Sidecar {
  path: string
  sizeInBytes: number
  modificationTime: number
  tags?: Record<string, string> | null
}

/** One line of a commit file: exactly one action. */
export type Action =
  | { protocol: Protocol }
  | { metaData: Metadata }
  | { add: AddFile }
  | { remove: RemoveFile }
  | { cdc: AddCDCFile }
  | { txn: Txn }
  | { commitInfo: CommitInfo }
  | { domainMetadata: DomainMetadata }
  | { checkpointMetadata: CheckpointMetadata }
  | { sidecar: Sidecar }

export type ActionType = keyof UnionToIntersection<Action>
type UnionToIntersection<U> = (U extends unknown ? (k: U) => void : never) extends (k: infer I) => void ? I : never

export const ACTION_TYPES: readonly ActionType[] = [
  'protocol', 'metaData', 'add', 'remove', 'cdc', 'txn', 'commitInfo', 'domainMetadata', 'checkpointMetadata', 'sidecar',
]

/** Unique id of a logical file in the active set: its path plus the DV it carries (PROTOCOL.md "Action Reconciliation"). */
export function fileKey(path: string, dv?: DeletionVectorDescriptor | null): string {
  if (!dv) return path
  return `${path}\u0000${dv.storageType}${dv.pathOrInlineDv}${dv.offset === undefined ? '' : `@${dv.offset}`}`
}

// ---- Parsing and validation at the edge ------------------------------------------------------
// Actions come from JSON lines (numbers) and from Parquet checkpoints (int64 as bigint, maps as
// objects, absent structs as null). `parseAction` validates the fields we rely on in place and
// normalises them to the types above; unknown fields and unknown action types are ignored, as
// PROTOCOL.md ("Actions") requires of readers.

/** Where an action was read from, for error messages. */
export interface ActionContext {
  table?: string
  /** Log file key, e.g. `_delta_log/00000000000000000003.json`. */
  file?: string
  /** 1-based line in a JSON file. */
  line?: number
  version?: number
}

function fail(ctx: ActionContext, what: string, got: unknown): never {
  const where = ctx.file === undefined ? '' : ctx.line === undefined ? ` in ${ctx.file}` : ` at line ${ctx.line} of ${ctx.file}`
  let shown: string
  try { shown = typeof got === 'bigint' ? `${got}n` : JSON.stringify(got)?.slice(0, 80) ?? String(got) } catch { shown = String(got) }
  throw new CorruptLogError(`${what}, got ${shown}${where}`, { table: ctx.table, file: ctx.file, version: ctx.version })
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A number field; Parquet int64 arrives as bigint. */
function num(o: Record<string, unknown>, k: string, type: string, ctx: ActionContext, required: boolean): void {
  const v = o[k]
  if (typeof v === 'number') return
  if (typeof v === 'bigint') { o[k] = Number(v); return }
  if (v === undefined || v === null) {
    if (required) fail(ctx, `${type}.${k} is required and must be a number`, v)
    return
  }
  fail(ctx, `${type}.${k} must be a number`, v)
}

function str(o: Record<string, unknown>, k: string, type: string, ctx: ActionContext, required: boolean): void {
  const v = o[k]
  if (typeof v === 'string') return
  if (v === undefined || v === null) {
    if (required) fail(ctx, `${type}.${k} is required and must be a string`, v)
    return
  }
  fail(ctx, `${type}.${k} must be a string`, v)
}

function bool(o: Record<string, unknown>, k: string, type: string, ctx: ActionContext): void {
  const v = o[k]
  if (v === undefined || v === null || typeof v === 'boolean') return
  fail(ctx, `${type}.${k} must be a boolean`, v)
}

function strMap(o: Record<string, unknown>, k: string, type: string, ctx: ActionContext, required: boolean): void {
  const v = o[k]
  if (v === undefined || v === null) {
    if (required) o[k] = {}
    return
  }
  if (!isObj(v)) fail(ctx, `${type}.${k} must be an object of strings`, v)
  for (const key in v) {
    const x = v[key]
    if (x !== null && typeof x !== 'string') fail(ctx, `${type}.${k}.${key} must be a string or null`, x)
  }
}

function strList(o: Record<string, unknown>, k: string, type: string, ctx: ActionContext, required: boolean): void {
  const v = o[k]
  if (v === undefined || v === null) {
    if (required) o[k] = []
    return
  }
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(ctx, `${type}.${k} must be an array of strings`, v)
}

function dv(o: Record<string, unknown>, type: string, ctx: ActionContext): void {
  const d = o.deletionVector
  if (d === undefined || d === null) return
  if (!isObj(d)) fail(ctx, `${type}.deletionVector must be an object`, d)
  const t = `${type}.deletionVector`
  if (d.storageType !== 'u' && d.storageType !== 'i' && d.storageType !== 'p') fail(ctx, `${t}.storageType must be u, i or p`, d.storageType)
  str(d, 'pathOrInlineDv', t, ctx, true)
  num(d, 'offset', t, ctx, false)
  if (d.offset === null) delete d.offset
  num(d, 'sizeInBytes', t, ctx, true)
  num(d, 'cardinality', t, ctx, true)
  num(d, 'maxRowIndex', t, ctx, false)
}

/** The payload of an `add` action, checked and normalised as `parseAction` does (checkpoint rows skip the wrapper). */
export function parseAdd(o: unknown, ctx: ActionContext): AddFile {
  if (!isObj(o)) fail(ctx, 'add must be an object', o)
  str(o, 'path', 'add', ctx, true)
  strMap(o, 'partitionValues', 'add', ctx, true)
  num(o, 'size', 'add', ctx, true)
  num(o, 'modificationTime', 'add', ctx, false)
  bool(o, 'dataChange', 'add', ctx)
  str(o, 'stats', 'add', ctx, false)
  strMap(o, 'tags', 'add', ctx, false)
  dv(o, 'add', ctx)
  num(o, 'baseRowId', 'add', ctx, false)
  num(o, 'defaultRowCommitVersion', 'add', ctx, false)
  return o as unknown as AddFile
}

function parseRemove(o: unknown, ctx: ActionContext): RemoveFile {
  if (!isObj(o)) fail(ctx, 'remove must be an object', o)
  str(o, 'path', 'remove', ctx, true)
  num(o, 'deletionTimestamp', 'remove', ctx, false)
  bool(o, 'dataChange', 'remove', ctx)
  bool(o, 'extendedFileMetadata', 'remove', ctx)
  strMap(o, 'partitionValues', 'remove', ctx, false)
  num(o, 'size', 'remove', ctx, false)
  str(o, 'stats', 'remove', ctx, false)
  strMap(o, 'tags', 'remove', ctx, false)
  dv(o, 'remove', ctx)
  num(o, 'baseRowId', 'remove', ctx, false)
  num(o, 'defaultRowCommitVersion', 'remove', ctx, false)
  return o as unknown as RemoveFile
}

function parseProtocol(o: unknown, ctx: ActionContext): Protocol {
  if (!isObj(o)) fail(ctx, 'protocol must be an object', o)
  num(o, 'minReaderVersion', 'protocol', ctx, true)
  num(o, 'minWriterVersion', 'protocol', ctx, true)
  strList(o, 'readerFeatures', 'protocol', ctx, false)
  strList(o, 'writerFeatures', 'protocol', ctx, false)
  if (o.readerFeatures === null) delete o.readerFeatures
  if (o.writerFeatures === null) delete o.writerFeatures
  return o as unknown as Protocol
}

function parseMetadata(o: unknown, ctx: ActionContext): Metadata {
  if (!isObj(o)) fail(ctx, 'metaData must be an object', o)
  str(o, 'id', 'metaData', ctx, true)
  str(o, 'name', 'metaData', ctx, false)
  str(o, 'description', 'metaData', ctx, false)
  str(o, 'schemaString', 'metaData', ctx, false)
  // Some engines (early DLT, Spark's test fixtures) wrote metaData without a schema: an empty struct.
  if (o.schemaString == null) o.schemaString = '{"type":"struct","fields":[]}'
  strList(o, 'partitionColumns', 'metaData', ctx, true)
  strMap(o, 'configuration', 'metaData', ctx, true)
  num(o, 'createdTime', 'metaData', ctx, false)
  if (o.format === undefined || o.format === null) o.format = { provider: 'parquet', options: {} }
  if (!isObj(o.format)) fail(ctx, 'metaData.format must be an object', o.format)
  strMap(o.format, 'options', 'metaData.format', ctx, true)
  return o as unknown as Metadata
}

function parseTxn(o: unknown, ctx: ActionContext): Txn {
  if (!isObj(o)) fail(ctx, 'txn must be an object', o)
  str(o, 'appId', 'txn', ctx, true)
  num(o, 'version', 'txn', ctx, true)
  num(o, 'lastUpdated', 'txn', ctx, false)
  return o as unknown as Txn
}

function parseDomainMetadata(o: unknown, ctx: ActionContext): DomainMetadata {
  if (!isObj(o)) fail(ctx, 'domainMetadata must be an object', o)
  str(o, 'domain', 'domainMetadata', ctx, true)
  str(o, 'configuration', 'domainMetadata', ctx, true)
  bool(o, 'removed', 'domainMetadata', ctx)
  if (o.removed == null) o.removed = false
  return o as unknown as DomainMetadata
}

function parseCdc(o: unknown, ctx: ActionContext): AddCDCFile {
  if (!isObj(o)) fail(ctx, 'cdc must be an object', o)
  str(o, 'path', 'cdc', ctx, true)
  strMap(o, 'partitionValues', 'cdc', ctx, true)
  num(o, 'size', 'cdc', ctx, true)
  bool(o, 'dataChange', 'cdc', ctx)
  return o as unknown as AddCDCFile
}

function parseCommitInfo(o: unknown, ctx: ActionContext): CommitInfo {
  if (!isObj(o)) fail(ctx, 'commitInfo must be an object', o)
  // commitInfo is free-form provenance; only the timestamps matter to the reader.
  num(o, 'timestamp', 'commitInfo', ctx, false)
  num(o, 'inCommitTimestamp', 'commitInfo', ctx, false)
  return o as CommitInfo
}

function parseCheckpointMetadata(o: unknown, ctx: ActionContext): CheckpointMetadata {
  if (!isObj(o)) fail(ctx, 'checkpointMetadata must be an object', o)
  num(o, 'version', 'checkpointMetadata', ctx, true)
  return o as unknown as CheckpointMetadata
}

function parseSidecar(o: unknown, ctx: ActionContext): Sidecar {
  if (!isObj(o)) fail(ctx, 'sidecar must be an object', o)
  str(o, 'path', 'sidecar', ctx, true)
  num(o, 'sizeInBytes', 'sidecar', ctx, false)
  num(o, 'modificationTime', 'sidecar', ctx, false)
  return o as unknown as Sidecar
}

/**
 * Validate one action object (a parsed JSON line or a checkpoint row). Returns the action with its
 * payload normalised, or undefined for an action type this reader does not know (ignored per spec).
 * The first known, non-null key wins; checkpoint rows carry nulls for the other action columns.
 */
export function parseAction(json: unknown, ctx: ActionContext = {}): Action | undefined {
  if (!isObj(json)) fail(ctx, 'a log action must be a JSON object', json)
  // Most lines of a log are adds: test for them first.
  if (json.add != null) return { add: parseAdd(json.add, ctx) }
  if (json.remove != null) return { remove: parseRemove(json.remove, ctx) }
  if (json.commitInfo != null) return { commitInfo: parseCommitInfo(json.commitInfo, ctx) }
  if (json.metaData != null) return { metaData: parseMetadata(json.metaData, ctx) }
  if (json.protocol != null) return { protocol: parseProtocol(json.protocol, ctx) }
  if (json.txn != null) return { txn: parseTxn(json.txn, ctx) }
  if (json.domainMetadata != null) return { domainMetadata: parseDomainMetadata(json.domainMetadata, ctx) }
  if (json.cdc != null) return { cdc: parseCdc(json.cdc, ctx) }
  if (json.checkpointMetadata != null) return { checkpointMetadata: parseCheckpointMetadata(json.checkpointMetadata, ctx) }
  if (json.sidecar != null) return { sidecar: parseSidecar(json.sidecar, ctx) }
  return undefined
}

/**
 * Parse a newline-delimited JSON log file (a commit, a compacted range or a V2 JSON checkpoint).
 * Blank lines are skipped; a line that is not JSON raises CorruptLogError naming file and line.
 */
export function parseActionLines(text: string, ctx: ActionContext = {}): Action[] {
  const out: Action[] = []
  const lineCtx: ActionContext = { ...ctx, line: 0 } // one object reused for every line
  let start = 0
  let line = 0
  const n = text.length
  while (start < n) {
    let end = text.indexOf('\n', start)
    if (end < 0) end = n
    line++
    if (end > start) {
      const s = text.slice(start, end)
      if (s.trim() !== '') {
        let json: unknown
        try {
          json = JSON.parse(s)
        } catch (e) {
          const where = ctx.file === undefined ? `line ${line}` : `line ${line} of ${ctx.file}`
          throw new CorruptLogError(`malformed JSON at ${where}: ${(e as Error).message}`, { table: ctx.table, file: ctx.file, version: ctx.version, cause: e })
        }
        lineCtx.line = line
        const a = parseAction(json, lineCtx)
        if (a) out.push(a)
      }
    }
    start = end + 1
  }
  return out
}
