// Child process of the crash harness: runs ops [start, start+count) of a seeded workload on the
// table at `dir` and prints `ack <op> <version> <kind>` after each op returned, with a synchronous
// write, so every printed line is an acknowledgement the parent may hold us to after a SIGKILL.
// Usage: node crash-child.mjs <dir> <seed> <start> <count>
import { writeSync } from 'node:fs'
import { LocalStore } from '../../src/storage/local-store.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import { generateOp, runOp } from './crash-workload.js'

async function main(): Promise<void> {
  const [dir, seedArg, startArg, countArg] = process.argv.slice(2)
  const seed = Number(seedArg)
  const start = Number(startArg)
  const count = Number(countArg)
  // A store object, not a path: openStore loads LocalStore by a computed import a bundle cannot follow.
  const t = await DeltaTable.open(new LocalStore(dir))
  writeSync(1, `ready ${t.version}\n`)
  for (let i = start; i < start + count; i++) {
    const op = generateOp(seed, i)
    writeSync(1, `start ${i} ${op.kind}\n`)
    const version = await runOp(t, op)
    writeSync(1, `ack ${i} ${version ?? -1} ${op.kind}\n`)
  }
  writeSync(1, 'done\n')
}

main().catch((e) => {
  // An error is a finding of its own: the parent reports it (the child never fails on purpose).
  writeSync(2, `child error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`)
  process.exit(3)
})
