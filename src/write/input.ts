// User data for a write (an Arrow Table or RecordBatch, or an array of plain objects) → columns of
// Delta values validated against the table schema: values coerced by Delta type (a bad value is a
// SchemaMismatchError naming column and row), NOT NULL enforced, unknown columns refused unless
// mergeSchema adds them.
import * as arrow from 'apache-arrow'
import { InvalidArgumentError } from '../errors.js'
import type { StructType } from '../schema/types.js'
import { fromArrow } from './input-arrow.js'
import type { InputBatch, InputOptions, WriteData } from './input-common.js'
import { fromObjects } from './input-objects.js'

export type { InputBatch, InputOptions, WriteData } from './input-common.js'
export { fromObjectColumns, inferFromValues, objectColumns, type ObjectColumns, type ObjectKey } from './input-objects.js'
export { vectorToDelta } from './input-arrow.js'

function isArrowTable(d: unknown): d is arrow.Table {
  return d instanceof arrow.Table || (typeof d === 'object' && d !== null && 'batches' in d && 'schema' in d && typeof (d as arrow.Table).getChild === 'function')
}
function isRecordBatch(d: unknown): d is arrow.RecordBatch {
  return d instanceof arrow.RecordBatch || (typeof d === 'object' && d !== null && 'schema' in d && 'data' in d && typeof (d as arrow.RecordBatch).getChild === 'function')
}

/** Convert and validate `data` for a write to a table with `schema`. */
export function normalizeInput(data: WriteData, schema: StructType, opts: InputOptions = {}): InputBatch {
  if (isArrowTable(data) || isRecordBatch(data)) return fromArrow(data, schema, opts)
  if (!Array.isArray(data)) {
    throw new InvalidArgumentError('write data must be an Arrow Table, an Arrow RecordBatch or an array of objects', { table: opts.table })
  }
  return fromObjects(data as ReadonlyArray<Record<string, unknown>>, schema, opts)
}
