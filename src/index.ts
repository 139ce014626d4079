// Public entry point of lagomago: re-exports only.
export * from './errors.js'
export * from './storage/index.js'
export type { Action, AddFile, RemoveFile, AddCDCFile, Protocol, Metadata, Txn, CommitInfo, DomainMetadata, CheckpointMetadata, Sidecar, DeletionVectorDescriptor } from './log/actions.js'
export type { StructType, StructField, DataType, PrimitiveType, ArrayType, MapType, DecimalType } from './schema/types.js'
export { parseSchema, serializeSchema } from './schema/types.js'
