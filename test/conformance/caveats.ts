// Expectations that cannot pass for a documented upstream reason. Each is still run: a caveat that
// starts passing is reported, so the list cannot go stale silently.

export interface Caveat {
  /** Table name from MANIFEST.json. */
  table: string
  /** Expectation kinds the caveat covers (all when omitted). */
  kinds?: string[]
  reason: string
}

export const CAVEATS: Caveat[] = [
  {
    table: 'kernelrs__crc-full',
    kinds: ['snapshot'],
    reason:
      'crcNumFiles/crcTableSizeBytes are facts of the optional .crc version-checksum file (10 files, 5259 bytes); ' +
      'this log-only fixture has no add actions, so a log replay finds 0 files. lagomago does not read .crc files.',
  },
]

// Data-level caveats (scan/cdf), appended by the scan helper.
CAVEATS.push(
  {
    table: 'golden__data-reader-partition-values',
    kinds: ['scan'],
    reason:
      'delta-kernel-rs documents that this golden table\'s expected/ output has the wrong as_timestamp value ' +
      '(conformance README, "Known upstream caveats").',
  },
)

export function caveatFor(table: string, kind: string): Caveat | undefined {
  return CAVEATS.find((c) => c.table === table && (!c.kinds || c.kinds.includes(kind)))
}

/** Tables without expectations that we deliberately refuse to open, with the reason. */
export const REFUSED_TABLES: Record<string, string> = {
  deltars__simple_table_features: 'protocol 5/7 and the bogus reader feature "blahabl": a reader must refuse unknown reader features',
  'kernelrs__table-with-geo': 'geospatial reader feature: no value model for geometry/geography yet (see src/log/table-features.ts)',
  'golden__data-reader-absolute-paths-escaped-chars': 'log-only fixture without a metaData action',
}

/** Tables whose checkpoint legitimately disagrees with a JSON-only replay of the same version. */
export const JSON_REPLAY_MISMATCH: Record<string, string> = {
  kernelrs__parquet_row_group_skipping:
    'the multi-part checkpoint at v1 holds another metaData (id d896…, no writeStatsAsJson=false) and add stats than ' +
    '00000000000000000000/1.json: the fixture was assembled from two writes. Readers trust the checkpoint.',
}
