// The actions of the Delta transaction log, typed exactly as PROTOCOL.md "Actions" defines them.
// Each JSON line of a commit holds one action wrapped in an object keyed by its type
// (`{"add": {...}}`), and the TypeScript union mirrors that shape.

export interface Protocol {
  minReaderVersion: number
  minWriterVersion: number
  /** Present iff minReaderVersion is 3 (table features). */
  readerFeatures?: string[]
  /** Present iff minWriterVersion is 7 (table features). */
  writerFeatures?: string[]
}

export interface Format {
  provider: string
  options: Record<string, string>
}

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
