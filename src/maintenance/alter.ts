// Table properties and schema changes, each one commit of a new metaData (and a protocol upgrade
// when the change needs a feature). Re-exports of properties.ts, columns.ts, check-constraints.ts.
export { setProperties, unsetProperties } from './properties.js'
export { addColumns, renameColumn, dropColumns, NEW_COLUMN_KEYS, type NewColumn } from './columns.js'
export { addConstraint, dropConstraint } from './check-constraints.js'
export type { AlterOptions, AlterResult } from './metadata-commit.js'
