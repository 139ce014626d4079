// User data for a write (an Arrow Table or RecordBatch, or an array of plain objects) → columns of
// Delta values validated against the table schema: values coerced by Delta type (a bad value is a
// SchemaMismatchError naming column and row), NOT NULL enforced, unknown columns refused unless
// mergeSchema adds them.
import { InvalidArgumentError } from '../errors.js'
import { isArrowTable, isRecordBatch } from '../schema/arrow-input.js'
import type { StructType } from '../schema/types.js'
import { fromArrow } from './input-arrow.js'
import type { InputBatch, InputOptions, WriteData } from './input-common.js'
import { fromObjects } from './input-objects.js'

export type { InputBatch, InputOptions, WriteData } from './input-common.js'
export { fromObjectColumns, inferFromValues, objectColumns, type ObjectColumns, type ObjectKey } from './input-objects.js'
export { vectorToDelta } from './input-arrow.js'

/** Convert and validate `data` for a write to a table with `schema`. */
export function normalizeInput(data: WriteData, schema: StructType, opts: InputOptions = {}): InputBatch {
  if (isArrowTable(data) || isRecordBatch(data)) return fromArrow(data, schema, opts)
  if (!Array.isArray(data)) {
    throw new InvalidArgumentError('write data must be an Arrow Table, an Arrow RecordBatch or an array of objects', { table: opts.table })
  }
  return fromObjects(data as ReadonlyArray<Record<string, unknown>>, schema, opts)
}
