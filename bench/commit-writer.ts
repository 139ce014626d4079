// One writer process of the commit-concurrency bench: `count` small appends (one row each) through
// DeltaTable.append on a local table, started at a shared instant so writers really collide.
// Prints one JSON line: how many put-if-absent races each of its commits lost.
import { LocalStore } from '../src/storage/local-store.js'
import type { ObjectStore } from '../src/storage/object-store.js'
import { DeltaTable } from '../src/table/delta-table.js'

/** Counts lost commit races (putIfAbsent → false on a commit file) without changing behaviour. */
class RaceCountingStore extends LocalStore {
  lost = 0
  override async putIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    const won = await super.putIfAbsent(key, data)
    if (!won && key.startsWith('_delta_log/') && key.endsWith('.json')) this.lost++
    return won
  }
}

const [dir, writer, count, startAt] = process.argv.slice(2)
const store = new RaceCountingStore(dir!)
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())))
const t = await DeltaTable.open(store as ObjectStore)
const lostPerCommit: number[] = []
for (let i = 0; i < Number(count); i++) {
  const before = store.lost
  await t.append([{ id: BigInt(Number(writer) * 1_000_000 + i), qty: i, price: 1.5, category: 'alpha', ts: new Date(), note: `w${writer}` }])
  lostPerCommit.push(store.lost - before)
}
process.stdout.write(JSON.stringify({ writer: Number(writer), lostPerCommit }) + '\n')
