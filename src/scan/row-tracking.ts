// Row tracking on the read side (PROTOCOL.md "Row Tracking"): the hidden materialized row id and
// row commit version columns a table names in its configuration, and a row's stable values: the
// materialized value when the file holds a non-null one, else the file's default (`baseRowId` +
// physical row index; `defaultRowCommitVersion`).
import { UnsupportedFeatureError } from '../errors.js'
import type { AddFile } from '../log/actions.js'
import type { Snapshot } from '../log/snapshot.js'
import type { StructField } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import { readDataFile } from './parquet-read.js'

export const MATERIALIZED_ROW_ID = 'delta.rowTracking.materializedRowIdColumnName'
export const MATERIALIZED_ROW_COMMIT_VERSION = 'delta.rowTracking.materializedRowCommitVersionColumnName'

/** The two hidden long columns, named by the table (their physical name is the name, in every mapping mode). */
export function materializedFields(configuration: Record<string, string>): [StructField, StructField] | undefined {
  const id = configuration[MATERIALIZED_ROW_ID]
  const version = configuration[MATERIALIZED_ROW_COMMIT_VERSION]
  if (!id || !version) return undefined
  const field = (name: string): StructField => ({ name, type: 'long', nullable: true, metadata: { 'delta.columnMapping.physicalName': name } })
  return [field(id), field(version)]
}

/**
 * Row tracking is enabled (`delta.enableRowTracking`): stable ids exist for every row and writers
 * preserve them for the rows they copy or update, in the materialized columns.
 */
export function rowTrackingEnabled(snapshot: { properties: Record<string, string> }): boolean {
  return snapshot.properties['delta.enableRowTracking'] === 'true' && materializedFields(snapshot.properties) !== undefined
}

/** Stable row ids and row commit versions of every physical row of a file (deleted rows included). */
export interface StableRowTracking {
  ids: DeltaValue[]
  versions: DeltaValue[]
}

/** Stable values from the materialized columns read from a file (null where not materialized). */
export function stableValues(add: Pick<AddFile, 'path' | 'baseRowId' | 'defaultRowCommitVersion'>, rowStart: number, n: number, matIds: ArrayLike<DeltaValue> | undefined, matVersions: ArrayLike<DeltaValue> | undefined, table: string): StableRowTracking {
  const base = add.baseRowId
  const ids = new Array<DeltaValue>(n)
  const versions = new Array<DeltaValue>(n)
  const defVersion = add.defaultRowCommitVersion === undefined || add.defaultRowCommitVersion === null ? null : BigInt(add.defaultRowCommitVersion)
  for (let i = 0; i < n; i++) {
    const m = matIds?.[i]
    if (m !== null && m !== undefined) ids[i] = m
    else if (base === undefined || base === null) {
      throw new UnsupportedFeatureError(`file ${add.path} has no baseRowId and row ${rowStart + i} no materialized row id: its row ids are not defined (table ${table})`, { table, file: add.path })
    } else ids[i] = BigInt(base) + BigInt(rowStart + i)
    const v = matVersions?.[i]
    versions[i] = v !== null && v !== undefined ? v : defVersion
  }
  return { ids, versions }
}

/** Read a file's stable row ids and commit versions (the materialized columns, when present, and its defaults). */
export async function readStableRowTracking(snapshot: Snapshot, add: AddFile): Promise<StableRowTracking> {
  const hidden = materializedFields(snapshot.properties)
  const ctx = { table: snapshot.tableUrl, version: snapshot.version, file: add.path }
  const ids: DeltaValue[] = []
  const versions: DeltaValue[] = []
  const fields = hidden ?? []
  for await (const chunk of readDataFile({ store: snapshot.store, key: snapshot.resolvePath(add.path), size: add.size, fields, mode: snapshot.columnMappingMode, ctx })) {
    const s = stableValues(add, chunk.rowStart, chunk.numRows, hidden ? chunk.columns[0] : undefined, hidden ? chunk.columns[1] : undefined, snapshot.tableUrl)
    for (let i = 0; i < chunk.numRows; i++) { ids.push(s.ids[i]); versions.push(s.versions[i]) }
  }
  return { ids, versions }
}
