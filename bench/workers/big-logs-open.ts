// One sample of open-1m-files (bench/jobs/big-logs.ts) in a fresh process:
// `node --import tsx big-logs-open.ts <table dir> <open|files> [lagomago entry]`. Prints one RESULT
// line: the open's time and CPU, the process's peak RSS, the version and number of active files.
import { peakRssMiB } from './peak-rss.mjs'

const [dir, mode, entry] = process.argv.slice(2)
const lib = await import(entry ?? '../../src/index.js') as typeof import('../../src/index.js')
const c0 = process.cpuUsage()
const t0 = performance.now()
const table = await lib.DeltaTable.open(dir)
const files = mode === 'files' ? (await table.files()).length : -1
const ms = performance.now() - t0
const c = process.cpuUsage(c0)
const heapMiB = process.memoryUsage().heapUsed / 2 ** 20
process.stdout.write(`RESULT ${JSON.stringify({ ms, cpuMs: (c.user + c.system) / 1000, rssMiB: peakRssMiB(), version: table.version, files, heapMiB })}\n`)
