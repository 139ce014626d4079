// lagomago alone on a scale table, where the peers' copies do not fit (100M rows: DuckDB's database
// file and the Lance dataset would each take longer to build than a session). The scale jobs' own
// generator, worker (a fresh process per sample), CDC batches and model; every answer is checked by
// value: the scan's checksum and, after each merge, the whole table read back, against the model; the
// filtered sum against the generator's.
//
//   npx tsx bench/scale-alone.ts [--rows 100000000] [--data bench/.data] [--jobs scan,sum,merge-100k-random,…]
//                                [--samples 2] [--baseline DIR]
//
// jobs: scan | sum | merge-<100k|1m>-<random|clustered>. `sum` runs dist/ and, with --baseline, that
// checkout's dist/ too, alternating sample by sample (the fourth and fifth passes' A/B).
import { cpSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { expectedSum, RANGE, scaleData, ScaleModel, ScaleStream, worker, type ScaleAnswer } from './jobs/scale.js'
import type { WorkerResult } from './jobs/process.js'

const { values } = parseArgs({
  options: { rows: { type: 'string' }, data: { type: 'string' }, jobs: { type: 'string' }, samples: { type: 'string' }, baseline: { type: 'string' } },
  strict: true,
})
const rows = Number(values.rows ?? 100_000_000)
const samples = Number(values.samples ?? 2)
const jobs = (values.jobs ?? 'scan,sum,merge-100k-random,merge-100k-clustered,merge-1m-random,merge-1m-clustered').split(',')
for (const j of jobs) if (!/^(scan|sum|merge-(100k|1m)-(random|clustered))$/.test(j)) throw new Error(`unknown job ${j}`)

const t0 = Date.now()
const data = await scaleData(values.data ?? 'bench/.data', rows)
console.log(`${rows.toLocaleString('en')} rows at ${data.table} (ready in ${Date.now() - t0} ms; generating took ${data.generatedMs} ms)`)

type Result = WorkerResult & ScaleAnswer
const check = (what: string, ok: boolean) => { if (!ok) throw new Error(`${what}: wrong answer`) }
const fig = (r: Result) => `${r.ms.toFixed(0)} ms (CPU ${r.cpuMs.toFixed(0)} ms), peak RSS ${r.rssMiB.toFixed(0)} MiB`

for (const job of jobs) {
  if (job === 'scan') {
    const want = new ScaleModel(data.hashes).checksum()
    for (let i = 0; i < samples; i++) {
      const r = await worker({ who: 'lagomago', mode: 'scan', target: data.table })
      check('scan', r.answer!.rows === want.rows && r.answer!.sum === want.sum)
      console.log(`scan: ${fig(r)}; checked`)
    }
  } else if (job === 'sum') {
    const want = expectedSum(rows)
    const builds: [string, string][] = [['dist', resolve('dist/index.js')]]
    if (values.baseline) builds.push([values.baseline, resolve(values.baseline, 'dist/index.js')])
    for (let i = 0; i < samples; i++) {
      for (const [name, entry] of builds) {
        const r = await worker({ who: 'lagomago', mode: 'sum', target: data.table, ...RANGE(rows) }, entry)
        check('sum', Math.abs(r.answer!.value! - want) <= 1e-6 * want)
        console.log(`filtered sum (${name}): ${fig(r)}; checked`)
      }
    }
  } else {
    const [, size, keys] = job.split('-') as [string, string, 'random' | 'clustered']
    const work = join(data.home, `work-alone-${process.pid}`)
    rmSync(work, { recursive: true, force: true })
    cpSync(data.table, work, { recursive: true })
    const model = new ScaleModel(data.hashes)
    const stream = new ScaleStream(rows, size === '1m' ? 1_000_000 : 100_000, keys)
    const batchFile = join(data.home, `batch-alone-${process.pid}.json`)
    try {
      for (let i = 0; i < samples; i++) {
        const batch = stream.next()
        writeFileSync(batchFile, JSON.stringify(batch))
        const r = await worker({ who: 'lagomago', mode: 'merge', target: work, batch: batchFile })
        model.apply(batch)
        const back = (await worker({ who: 'lagomago', mode: 'scan', target: work, columnsOnly: true })).answer!
        const want = model.checksum()
        check(job, back.rows === want.rows && back.sum === want.sum)
        const m = r.metrics!
        console.log(`${job} #${i + 1}: ${fig(r)}, files read ${m.numTargetFilesScanned} (skipped ${m.numTargetFilesSkipped}); checked`)
      }
    } finally {
      rmSync(work, { recursive: true, force: true })
      rmSync(batchFile, { force: true })
    }
  }
}
