// Version checksum files: what Spark and delta-kernel wrote in the conformance tables is what we
// compute from the reconciled state, and every commit through DeltaTable leaves a matching `.crc`.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DeltaTable, MemoryStore } from '../../src/index.js'
import { LocalStore } from '../../src/storage/local-store.js'
import { checksumKey, versionChecksum } from '../../src/log/checksum.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { corpusAvailable, loadManifest, tableDir } from '../conformance/manifest.js'

const withoutNulls = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined))

// kernelrs__crc-full: a hand-made log whose .crc describes files the log does not add (docs/conformance.md).
const CRC_DISAGREES_WITH_LOG = new Set(['kernelrs__crc-full'])

describe('version checksum', () => {
  it('equals the .crc files Spark and delta-kernel wrote, for every conformance table that has them', async () => {
    if (!corpusAvailable()) { expect.soft(corpusAvailable(), 'conformance corpus missing').toBe(true); return }
    let compared = 0
    for (const entry of loadManifest()) {
      if (CRC_DISAGREES_WITH_LOG.has(entry.name)) continue
      const dir = tableDir(entry)
      const logDir = join(dir, '_delta_log')
      if (!existsSync(logDir)) continue
      for (const name of readdirSync(logDir).filter((n) => /^\d{20}\.crc$/.test(n))) {
        const version = Number(name.slice(0, 20))
        let snap
        try {
          snap = await loadSnapshot(new LocalStore(dir), { version })
        } catch {
          continue // a version we cannot load (unsupported feature, cleaned-up log): the error tests cover it
        }
        const theirs = JSON.parse(readFileSync(join(logDir, name), 'utf8'))
        const ours = versionChecksum(snap)
        const where = `${entry.name} v${version}`
        expect(ours.numFiles, where).toBe(theirs.numFiles)
        expect(ours.tableSizeBytes, where).toBe(theirs.tableSizeBytes)
        if (theirs.protocol) expect(ours.protocol, where).toEqual(theirs.protocol)
        // Spark compares the whole metaData action (nulls and absent fields are both None)
        if (theirs.metadata) expect(withoutNulls(JSON.parse(JSON.stringify(ours.metadata))), where).toEqual(withoutNulls(theirs.metadata))
        // compared as a set, as Spark does
        const byDomain = (xs: Array<{ domain: string }>) => [...xs].sort((a, b) => a.domain.localeCompare(b.domain))
        if (theirs.domainMetadata) expect(byDomain(ours.domainMetadata ?? []), where).toEqual(byDomain(theirs.domainMetadata))
        if (theirs.numDeletionVectorsOpt !== undefined) expect(ours.numDeletionVectorsOpt, where).toBe(theirs.numDeletionVectorsOpt)
        if (theirs.numDeletedRecordsOpt !== undefined) expect(ours.numDeletedRecordsOpt, where).toBe(theirs.numDeletedRecordsOpt)
        compared++
      }
    }
    expect(compared).toBeGreaterThan(5)
  })

  it('every commit through DeltaTable writes the .crc of its version', async () => {
    const store = new MemoryStore()
    const t = await DeltaTable.create(store, { schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }, { name: 'v', type: 'string', nullable: true, metadata: {} }] }, primaryKey: 'id' })
    await t.append(Array.from({ length: 100 }, (_, i) => ({ id: BigInt(i), v: `v${i}` })))
    await t.merge([{ id: 3n, v: 'x', op: 'U' }, { id: 5n, op: 'D' }, { id: 500n, v: 'new', op: 'I' }])
    await t.append([{ id: 1000n, v: 'late' }], { txn: { appId: 'job', version: 7 } })
    expect(t.version).toBe(3)
    for (let v = 0; v <= 3; v++) {
      const crc = JSON.parse(new TextDecoder().decode(await store.get(`_delta_log/${String(v).padStart(20, '0')}.crc`)))
      expect(checksumKey(v)).toBe(`_delta_log/${String(v).padStart(20, '0')}.crc`)
      const snap = await loadSnapshot(store, { version: v })
      expect(crc.numFiles).toBe(snap.activeFiles().length)
      expect(crc.tableSizeBytes).toBe(snap.activeFiles().reduce((n, a) => n + a.size, 0))
      expect(crc.metadata).toEqual(JSON.parse(JSON.stringify(snap.metadata)))
      expect(crc.protocol).toEqual(snap.protocol)
      expect(crc.numMetadata).toBe(1)
      expect(crc.numProtocol).toBe(1)
      expect(typeof crc.txnId).toBe('string')
    }
    // the merge deleted two target rows (one update, one delete) through deletion vectors
    const merged = JSON.parse(new TextDecoder().decode(await store.get(checksumKey(2))))
    expect(merged.numDeletionVectorsOpt).toBe(1)
    expect(merged.numDeletedRecordsOpt).toBe(2)
    // setTransactions stays out: Spark would compare it with lastUpdated, which the snapshot does not keep
    const last = JSON.parse(new TextDecoder().decode(await store.get(checksumKey(3))))
    expect(last.setTransactions).toBeUndefined()
  })
})
