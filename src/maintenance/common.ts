// Steps maintenance operations share: the protocol upgrade a metadata change needs. Durations and
// clocks: durations.ts. The post-commit step (checkpoint, log cleanup) is table/post-commit.ts.
import type { Protocol } from '../log/actions.js'
import { hasWriterFeature } from '../log/table-features.js'
import { mergeProtocols, protocolFor } from '../write/features.js'

export * from './durations.js'

/**
 * The protocol after a change that uses `features`: undefined when the current protocol already
 * supports them all (nothing to commit), else the smallest upgrade (a protocol never goes down).
 */
export function protocolWith(current: Protocol, features: Iterable<string>): Protocol | undefined {
  const missing = [...features].filter((f) => {
    if (!hasWriterFeature(current, f)) return true
    // Legacy column mapping also needs reader version 2 (PROTOCOL.md "Column Mapping").
    return f === 'columnMapping' && current.minReaderVersion < 2
  })
  if (missing.length === 0) return undefined
  return mergeProtocols(current, protocolFor(new Set(missing), current))
}
