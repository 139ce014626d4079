// Applying a batch of CDC events to a keyed Delta table from a pipeline: a thin client of the core's
// CDC merge (`table.merge(batch, options)`, src/dml/cdc.ts), which parses the op column, keeps the
// latest change per key and applies it in one commit. This layer adds what a stream needs: a batch
// whose txn version the table already records is skipped without reading it (exactly once), and an
// empty batch writes nothing. Options have the core's shape and names, checked at run time.
import type { CdcInfo, CdcMergeOptions, DeltaTable, WriteResult } from '../index.js'
import { checkOptions } from '../options.js'

export type { Row } from './rows.js'
import type { Row } from './rows.js'

/** The core's CDC merge options a pipeline passes through (the same names and shape). */
export type CdcOptions = Pick<CdcMergeOptions, 'keys' | 'format' | 'opColumn' | 'sequence' | 'softDelete' | 'ignoreOlderThanTarget' | 'txn' | 'ignoreColumns' | 'mergeSchema'>

export const CDC_OPTIONS = ['keys', 'format', 'opColumn', 'sequence', 'softDelete', 'ignoreOlderThanTarget', 'txn', 'ignoreColumns', 'mergeSchema'] as const

/** What `applyCdc` did: the version written, or `skipped`, and how the feed was read. */
export interface CdcResult extends WriteResult {
  /** Nothing was written: the txn was already committed, or the batch was empty. */
  skipped: boolean
  /** When written: the format, op column and sequence the core read the batch with. */
  cdc?: CdcInfo
}

/**
 * Apply CDC `rows` to `table` with the core's CDC merge (the handle moves to the version written).
 * @example
 * await applyCdc(await lake.table('silver.clientes'), changeRows, { keys: 'id' })
 */
export async function applyCdc(table: DeltaTable, rows: readonly Row[], options: CdcOptions = {}): Promise<CdcResult> {
  checkOptions('applyCdc', options, CDC_OPTIONS, { table: table.url })
  const { txn } = options
  if (txn && (table.txns.get(txn.appId) ?? -1) >= txn.version) return { version: table.version, metrics: {}, skipped: true }
  if (rows.length === 0) return { version: table.version, metrics: {}, skipped: true }
  // only the options given: the core checks its own keys too
  const pass = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as CdcMergeOptions
  const r = await table.merge(rows as Record<string, unknown>[], pass)
  return { ...r, skipped: false }
}
