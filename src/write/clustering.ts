// Clustered tables (PROTOCOL.md "Clustered Table"): the `clustering` writer feature (Databricks'
// earlier name `liquid`), the clustering columns in the `delta.clustering` domain (physical column
// paths), stats always written for them, and the `clusteringProvider` OPTIMIZE marks its files with.
import { InvalidArgumentError } from '../errors.js'
import type { DomainMetadata, Protocol } from '../log/actions.js'
import { findField, isPrimitive, physicalName, type ColumnMappingMode, type StructField, type StructType } from '../schema/types.js'

export const CLUSTERING_DOMAIN = 'delta.clustering'
/** The domain Databricks used with the `liquid` feature. */
const LEGACY_DOMAIN = 'delta.liquid'
/** The name OPTIMIZE puts in `clusteringProvider` on the files it clusters. */
export const CLUSTERING_PROVIDER = 'lagomago'

/** The table has the clustering feature (or its older name). */
export function isClustered(protocol: Protocol): boolean {
  const f = protocol.minWriterVersion >= 7 ? (protocol.writerFeatures ?? []) : []
  return f.includes('clustering') || f.includes('liquid')
}

/** One entry of `clusteringColumns`: a path (Spark, kernel), a bare name (PROTOCOL.md's example) or `{ physicalName: path }` (`delta.liquid`). */
function pathOf(entry: unknown): string[] | undefined {
  if (typeof entry === 'string') return [entry]
  if (Array.isArray(entry) && entry.every((p) => typeof p === 'string')) return entry as string[]
  if (entry && typeof entry === 'object' && 'physicalName' in entry) return pathOf((entry as { physicalName: unknown }).physicalName)
  return undefined
}

/**
 * The top-level fields the table is clustered by (from physical names in the domain); empty when
 * the table is not clustered or the domain names none it can resolve (nested paths are skipped).
 */
export function clusteringFields(
  snapshot: { protocol: Protocol; schema: StructType; columnMappingMode: ColumnMappingMode; domainMetadata: ReadonlyMap<string, { configuration: string; removed: boolean }> },
): StructField[] {
  if (!isClustered(snapshot.protocol)) return []
  const d = [CLUSTERING_DOMAIN, LEGACY_DOMAIN].map((k) => snapshot.domainMetadata.get(k)).find((x) => x && !x.removed)
  if (!d) return []
  let entries: unknown
  try {
    entries = JSON.parse(d.configuration).clusteringColumns
  } catch {
    return []
  }
  if (!Array.isArray(entries)) return []
  const out: StructField[] = []
  for (const e of entries) {
    const path = pathOf(e)
    if (path?.length !== 1) continue
    const f = snapshot.schema.fields.find((x) => physicalName(x, snapshot.columnMappingMode) === path[0])
    if (f && !out.includes(f)) out.push(f)
  }
  return out
}

/** Validate `create({ clusterBy })` and return its `delta.clustering` domain (physical paths, Spark's shape). */
export function clusteringDomain(schema: StructType, clusterBy: string[], partitionBy: string[], mode: ColumnMappingMode, table: string): DomainMetadata {
  if (partitionBy.length) throw new InvalidArgumentError(`table ${table} cannot be both clustered and partitioned (PROTOCOL.md "Clustered Table")`, { table })
  if (clusterBy.length === 0) throw new InvalidArgumentError(`clusterBy needs at least one column (table ${table})`, { table })
  const fields = clusterBy.map((c) => {
    const f = findField(schema, c)
    if (!f) throw new InvalidArgumentError(`clusterBy column ${c} is not in the schema of table ${table}`, { table, column: c })
    if (!isPrimitive(f.type) || f.type === 'variant' || f.type === 'void') throw new InvalidArgumentError(`clusterBy column ${c} must have a primitive type (table ${table})`, { table, column: c })
    return f
  })
  if (new Set(fields).size !== fields.length) throw new InvalidArgumentError(`clusterBy names a column twice (table ${table})`, { table })
  return { domain: CLUSTERING_DOMAIN, configuration: JSON.stringify({ clusteringColumns: fields.map((f) => [physicalName(f, mode)]) }), removed: false }
}
