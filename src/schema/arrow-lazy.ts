// apache-arrow loaded on first use: Arrow output (toArrow, scan) awaits `loadArrow()`, so
// `import 'lagomago'` stays cheap for plain-object users (issue 15: importing apache-arrow costs more
// than the rest of the library). After any load, the synchronous `toArrowSchema` works.
import type { Schema } from 'apache-arrow'
import { InvalidArgumentError } from '../errors.js'
import type { StructField, StructType } from './types.js'

type ArrowBuild = typeof import('./arrow.js')

let loaded: ArrowBuild | undefined
let loading: Promise<ArrowBuild> | undefined

/** The Arrow builders module, loaded once (internal: the reads call it). */
export function arrowModule(): Promise<ArrowBuild> {
  loading ??= import('./arrow.js').then((m) => (loaded = m))
  return loading
}

/**
 * Load apache-arrow and lagomago's Arrow builders (once; later calls resolve at once). Resolves to
 * nothing: the builders are internal, what it enables is the synchronous `toArrowSchema`.
 * @example
 * await loadArrow()
 * const arrowSchema = toArrowSchema(t.schema) // synchronous once loaded
 */
export async function loadArrow(): Promise<void> {
  await arrowModule()
}

/**
 * The Arrow schema of a Delta schema. Needs apache-arrow loaded: `await loadArrow()` first (any `toArrow()` or `scan()` also loads it).
 * @example
 * await loadArrow()
 * const arrowSchema = toArrowSchema(t.schema)
 */
export function toArrowSchema(schema: StructType | StructField[]): Schema {
  if (!loaded) throw new InvalidArgumentError('toArrowSchema needs apache-arrow, which lagomago loads on first use: call `await loadArrow()` first')
  return loaded.toArrowSchema(schema)
}
