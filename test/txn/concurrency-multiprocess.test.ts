// Multi-process stress test of the commit protocol on a local table: W writer processes (not promises)
// commit a mix of blind appends and key upserts at once. Afterwards every acknowledged commit is in
// the log exactly once, no data file is added twice, and the rows equal a serial replay of the
// acknowledged operations in log order. STRESS_WRITERS / STRESS_COMMITS scale it up (issue 5: 8 × 50).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseActionLines, type Metadata } from '../../src/log/actions.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { LocalStore } from '../../src/storage/local-store.js'
import { Transaction } from '../../src/txn/transaction.js'
import { runJsonLinesChild } from '../json-lines-child.js'
import { rowsOf, type StressOp } from './stress-writer.js'

const WRITERS = Number(process.env.STRESS_WRITERS ?? 4)
const COMMITS = Number(process.env.STRESS_COMMITS ?? 15)
const SCRIPT = join(import.meta.dirname, 'stress-writer.ts')

type Ack = StressOp & { version: number; replans: number; attempts: number }

function runWriter(root: string, writer: number, seed: number, startAt: number): Promise<Ack[]> {
  return runJsonLinesChild<Ack>(SCRIPT, [root, String(writer), String(COMMITS), String(seed), String(startAt)], `writer ${writer}`)
}

const tmp = mkdtempSync(join(tmpdir(), 'lagomago-stress-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('multi-process commit stress', () => {
  it(`${WRITERS} writer processes × ${COMMITS} commits lose nothing and duplicate nothing`, async () => {
    const root = mkdtempSync(join(tmp, 't-'))
    const store = new LocalStore(root)
    const metadata: Metadata = {
      id: '5a7e55e5-0000-4000-8000-000000000001', format: { provider: 'parquet', options: {} }, partitionColumns: ['p'], configuration: {},
      schemaString: JSON.stringify({ type: 'struct', fields: [
        { name: 'p', type: 'string', nullable: true, metadata: {} }, { name: 'k', type: 'string', nullable: true, metadata: {} },
        { name: 'v', type: 'string', nullable: true, metadata: {} },
      ] }),
    }
    await Transaction.create(store, root, { operation: 'CREATE TABLE' }).setProtocol({ minReaderVersion: 1, minWriterVersion: 2 }).setMetadata(metadata).commit()

    const seed = Date.now() % 100000
    const startAt = Date.now() + 2500
    const acks = (await Promise.all(Array.from({ length: WRITERS }, (_, w) => runWriter(root, w, seed + w, startAt)))).flat()
    expect(acks, `seed ${seed}`).toHaveLength(WRITERS * COMMITS)

    // Every acknowledged commit is in the log exactly once, at the version it reported.
    const snap = await loadSnapshot(store)
    expect(snap.version).toBe(WRITERS * COMMITS)
    const byVersion = new Map(acks.map((a) => [a.version, a]))
    expect(byVersion.size).toBe(acks.length)
    const addedPaths = new Set<string>()
    for (let v = 1; v <= snap.version; v++) {
      const actions = parseActionLines(new TextDecoder().decode(await store.get(`_delta_log/${String(v).padStart(20, '0')}.json`)))
      const info = actions.find((a) => 'commitInfo' in a)
      const opId = info && 'commitInfo' in info ? (info.commitInfo.operationParameters as Record<string, string>).opId : undefined
      expect(opId, `version ${v}`).toBe(byVersion.get(v)?.opId)
      for (const a of actions) {
        if (!('add' in a)) continue
        expect(addedPaths.has(a.add.path), `file ${a.add.path} added twice`).toBe(false)
        addedPaths.add(a.add.path)
      }
    }

    // The rows equal a serial replay of the acknowledged operations in log order.
    const expected = new Map<string, Map<string, string>>()
    const appended: string[] = []
    for (const a of [...acks].sort((x, y) => x.version - y.version)) {
      if (a.kind === 'append') appended.push(...a.rows.map(([k, v]) => `${a.p}/${k}=${v}`))
      else {
        const m = expected.get(a.p) ?? new Map<string, string>()
        m.set(a.key, a.value)
        expected.set(a.p, m)
      }
    }
    const want = [...appended, ...[...expected].flatMap(([p, m]) => [...m].map(([k, v]) => `${p}/${k}=${v}`))].sort()
    const got = snap.activeFiles().flatMap((f) => rowsOf(f).map(([k, v]) => `${f.partitionValues.p}/${k}=${v}`)).sort()
    expect(got).toEqual(want)
    // Report the retry distribution (re-plans after real conflicts) for the curious.
    const replans = acks.reduce((n, a) => n + a.replans, 0)
    const lost = acks.reduce((n, a) => n + a.attempts - 1, 0)
    for (const a of acks) expect(a.attempts).toBeGreaterThanOrEqual(1)
    console.info(`stress: ${acks.length} commits by ${WRITERS} processes, ${lost} lost races rebased, ${replans} re-plans after conflicts (seed ${seed})`)
  }, 300_000)
})
