// MERGE schema evolution (`mergeSchema`): source columns the target lacks are appended to the table
// schema (nullable), with column mapping ids and the protocol raised when the new schema needs it,
// committed in the same version as the data (a metaData action).
import type { Metadata, Protocol } from '../log/actions.js'
import type { Snapshot } from '../log/snapshot.js'
import { findField, type StructType } from '../schema/types.js'
import { schemaChange } from '../write/features.js'

/** Source columns the engine adds for itself (CDC mode); never stored. */
export const HIDDEN_PREFIX = '__lagomago_'

export interface EvolvedSchema {
  schema: StructType
  metadata: Metadata
  protocol?: Protocol
}

/** The target schema plus the source's extra columns; undefined when there are none. */
export function evolveSchema(snapshot: Snapshot, source: StructType): EvolvedSchema | undefined {
  const extra = source.fields.filter((f) => !findField(snapshot.schema, f.name) && !f.name.startsWith(HIDDEN_PREFIX))
  if (extra.length === 0) return undefined
  const schema: StructType = {
    type: 'struct',
    fields: [...snapshot.schema.fields, ...extra.map((f) => ({ name: f.name, type: f.type, nullable: true, metadata: {} }))],
  }
  // MERGE implements identity columns (merge-exec.ts), so they need not be refused here.
  return schemaChange(snapshot, schema, { extraFeatures: ['identityColumns'] })
}
