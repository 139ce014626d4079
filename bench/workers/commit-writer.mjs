// One writer process of the commit-concurrency jobs (bench/jobs/concurrency.ts): `count` small
// appends (one row each) through DeltaTable.append, lagomago imported from dist/ as a user runs it
// (LAGOMAGO_IMPORT: a baseline build's entry instead). Start-up is kept out of the measurement by a
// barrier: the writer imports, warms up on a scratch table of its own (the lazily loaded Parquet
// writer, checkpoint and cleanup code), opens the shared table, prints `READY` and waits for a line
// on stdin; the parent releases every writer at once. Then it prints `RESULT {…}`: the put-if-absent
// races each commit lost and the CPU time of its commit loop (optionally a CPU profile of it).
//
// `node commit-writer.mjs <store spec JSON> <warm-up spec JSON> <schema JSON> <count> <first row id> [profile file]`
import { writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

const [specJson, warmJson, schemaJson, countArg, firstIdArg, profileFile] = process.argv.slice(2)
const entry = process.env.LAGOMAGO_IMPORT
const { DeltaTable } = await import(entry ?? 'lagomago')

/** A table location the worker can open: a local folder, or an S3 prefix (lagomago/cloud's S3Store). */
async function location(spec) {
  if (spec.kind === 'local') return spec.dir
  const { S3Store } = await import(entry ? new URL('cloud.js', pathToFileURL(entry)).href : 'lagomago/cloud')
  return new S3Store({ bucket: spec.bucket, prefix: spec.prefix, endpoint: spec.endpoint, region: spec.region, credentials: { accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey } })
}

const row = (id, i, note) => ({ id, qty: i, price: 1.5, category: 'alpha', ts: new Date(), note })
const onWarning = (w) => process.stderr.write(`writer ${firstIdArg}: ${w.message}\n`)

// Warm-up, untimed: what a long-running writer loaded and compiled long ago (10 commits: one checkpoint).
const warm = await DeltaTable.create(await location(JSON.parse(warmJson)), { schema: JSON.parse(schemaJson), properties: { 'delta.enableDeletionVectors': 'false' } })
for (let i = 0; i < 10; i++) await warm.append([row(BigInt(i), i, 'warm-up')], { onWarning })

const table = await DeltaTable.open(await location(JSON.parse(specJson)))
// Count lost commit races (putIfAbsent → false on a commit file) without changing behaviour.
let lost = 0
const store = table.store
const putIfAbsent = store.putIfAbsent.bind(store)
store.putIfAbsent = async (key, data) => {
  const won = await putIfAbsent(key, data)
  if (!won && key.startsWith('_delta_log/') && key.endsWith('.json')) lost++
  return won
}

let session
if (profileFile) {
  const { Session } = await import('node:inspector/promises')
  session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 200 })
}

process.stdout.write('READY\n')
await new Promise((resolve) => process.stdin.once('data', resolve))
process.stdin.pause()

if (session) await session.post('Profiler.start')
const cpu0 = process.cpuUsage()
const lostPerCommit = []
const firstId = BigInt(firstIdArg)
for (let i = 0; i < Number(countArg); i++) {
  const before = lost
  await table.append([row(firstId + BigInt(i), i, `w${firstIdArg}`)], { onWarning })
  lostPerCommit.push(lost - before)
}
const cpu = process.cpuUsage(cpu0)
process.stdout.write(`RESULT ${JSON.stringify({ lostPerCommit, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`)
if (session) writeFileSync(profileFile, JSON.stringify((await session.post('Profiler.stop')).profile))
