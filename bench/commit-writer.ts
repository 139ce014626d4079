// One writer process of the commit-concurrency bench: `count` small appends (one row each) through
// DeltaTable.append, started at a shared instant so writers really collide. The table is a local
// folder or an S3 prefix (JSON store spec); lagomago is imported from `root` (this checkout, or a
// baseline checkout given to `--baseline`). Prints one JSON line: the put-if-absent races each
// commit lost, and the process's CPU time over the commit loop.
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

export type StoreSpec = { kind: 'local'; dir: string } | { kind: 's3'; bucket: string; prefix: string; endpoint: string; region: string; accessKeyId: string; secretAccessKey: string }

/** Row `i` of writer `w`: ids are unique per writer and commit, so the final table can be checked by value. */
export const rowId = (w: number, i: number): bigint => BigInt(w * 1_000_000 + i)

async function main(): Promise<void> {
  const [root, specJson, writer, count, startAt] = process.argv.slice(2)
  const spec = JSON.parse(specJson!) as StoreSpec
  const src = (p: string) => import(pathToFileURL(join(root!, 'src', p)).href)
  const { DeltaTable } = await src('table/delta-table.ts')
  const store = spec.kind === 'local'
    ? new (await src('storage/local-store.ts')).LocalStore(spec.dir)
    : new (await src('storage/s3-store.ts')).S3Store({ bucket: spec.bucket, prefix: spec.prefix, endpoint: spec.endpoint, region: spec.region, credentials: { accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey } })
  // Count lost commit races (putIfAbsent → false on a commit file) without changing behaviour.
  let lost = 0
  const putIfAbsent = store.putIfAbsent.bind(store)
  store.putIfAbsent = async (key: string, data: Uint8Array): Promise<boolean> => {
    const won = await putIfAbsent(key, data)
    if (!won && key.startsWith('_delta_log/') && key.endsWith('.json')) lost++
    return won
  }
  // Load before the start what the first append would load lazily (the Parquet writer, Arrow): on
  // 2 cores, 10 processes loading modules inside the timed loop measured start-up, not commits.
  await Promise.all(['write/parquet-write.ts', 'schema/arrow.ts'].map((p) => src(p).catch(() => {})))
  await import('hyparquet-writer')
  const t = await DeltaTable.open(store)
  await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())))
  const cpu0 = process.cpuUsage()
  const lostPerCommit: number[] = []
  const w = Number(writer)
  for (let i = 0; i < Number(count); i++) {
    const before = lost
    await t.append([{ id: rowId(w, i), qty: i, price: 1.5, category: 'alpha', ts: new Date(), note: `w${w}` }], { onWarning: (x: { message: string }) => process.stderr.write(`writer ${w}: ${x.message}\n`) })
    lostPerCommit.push(lost - before)
  }
  const cpu = process.cpuUsage(cpu0)
  process.stdout.write(JSON.stringify({ writer: w, lostPerCommit, cpuMs: (cpu.user + cpu.system) / 1000 }) + '\n')
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
