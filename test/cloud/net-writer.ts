// One writer process of the network-fault stress (net-stress.ts): opens the table through the fault
// proxy and runs its ops, repeating an op that failed (after a refresh) up to ATTEMPTS times with the
// same txn, and prints one JSON line per op: the version reported, or that it gave up, and every
// error met on the way (class and message). Args: JSON { spec, writer, commits, seed }.
import { writeSync } from 'node:fs'
import { DeltaError } from '../../src/errors.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import { netOp, runNetOp, storeFor, type StoreSpec } from './net-workload.js'

const ATTEMPTS = 10

export interface OpReport {
  writer: number
  i: number
  kind: string
  /** The version the successful call reported; absent when the writer gave up. */
  version?: number
  /** When the op started and ended (ms since the epoch), to match the proxy's faults to it. */
  start: number
  end: number
  errors: { name: string; typed: boolean; message: string }[]
}

const describe = (e: unknown) => ({
  name: e instanceof Error ? e.name : typeof e,
  typed: e instanceof DeltaError,
  message: (e instanceof Error ? e.message : String(e)).slice(0, 300),
})

async function main(): Promise<void> {
  const { spec, writer, commits, seed } = JSON.parse(process.argv[2]!) as { spec: StoreSpec; writer: number; commits: number; seed: number }
  process.on('unhandledRejection', (e) => { writeSync(2, `unhandled rejection: ${String((e as Error)?.stack ?? e)}\n`); process.exit(4) })
  const store = storeFor({ ...spec, tag: `w${writer}` })
  const openErrors: OpReport['errors'] = []
  let t: DeltaTable | undefined
  for (let a = 0; !t; a++) {
    try { t = await DeltaTable.open(store) } catch (e) {
      openErrors.push(describe(e))
      if (a >= ATTEMPTS) throw e
    }
  }
  if (openErrors.length) writeSync(1, `${JSON.stringify({ writer, i: -1, kind: 'open', version: t.version, start: 0, end: 0, errors: openErrors })}\n`)
  for (let i = 0; i < commits; i++) {
    const op = netOp(seed, writer, i)
    const report: OpReport = { writer, i, kind: op.kind, start: Date.now(), end: 0, errors: [] }
    for (let a = 0; a < ATTEMPTS && report.version === undefined; a++) {
      try {
        if (a > 0) await t.refresh()
        report.version = await runNetOp(t, op, writer, i)
      } catch (e) {
        report.errors.push(describe(e))
        await new Promise((r) => setTimeout(r, 20 * (a + 1)))
      }
    }
    report.end = Date.now()
    writeSync(1, `${JSON.stringify(report)}\n`)
  }
}

main().catch((e: unknown) => { writeSync(2, `writer error: ${(e as Error)?.stack ?? String(e)}\n`); process.exit(3) })
