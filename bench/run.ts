// `npm run bench [job…] [--quick] [--runs N] [--md FILE] [--baseline DIR]`: runs each job's contenders, each in a
// child process of its own, and prints a markdown report (appended to FILE with --md).
import { execFileSync, spawn } from 'node:child_process'
import { appendFileSync, mkdirSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { formatJob, runContender, type ContenderResult } from './harness.js'

const here = dirname(fileURLToPath(import.meta.url))
const USAGE = `npm run bench -- [job… | scale] [--quick] [--runs N] [--md FILE] [--data DIR] [--baseline DIR] [--scale 1m|10m|100m]
  job…        the jobs to run (default: every job but the scale-* ones; \`scale\` names those)
  --quick     a small size, one run: a smoke test
  --runs N    samples per contender after one warm-up (default 5)
  --md FILE   append the markdown report to FILE
  --data DIR  where generated data is cached (default bench/.data)
  --baseline DIR  a built checkout of another commit, run beside this one where a job supports it
  --scale S   the table size of the scale-* jobs (default 10m)`
const OPTIONS = {
  quick: { type: 'boolean' }, help: { type: 'boolean' }, runs: { type: 'string' }, md: { type: 'string' }, data: { type: 'string' },
  baseline: { type: 'string' }, scale: { type: 'string' }, child: { type: 'string' }, contender: { type: 'string' },
} as const
function usageError(message: string): never {
  console.error(`bench: ${message}\n${USAGE}`)
  process.exit(2)
}
// strict: a misspelled flag is an error, never silently a different run
const parsed = (() => {
  try {
    return parseArgs({ options: OPTIONS, allowPositionals: true, strict: true })
  } catch (e) {
    return usageError((e as Error).message)
  }
})()
if (parsed.values.help) {
  console.log(USAGE)
  process.exit(0)
}
const args = process.argv.slice(2)
const flag = (name: 'quick') => parsed.values[name] === true
const option = (name: 'runs' | 'md' | 'data' | 'baseline' | 'scale' | 'child' | 'contender') => parsed.values[name]
const quick = flag('quick')
const runs = Number(option('runs') ?? (quick ? 1 : 5))
if (!Number.isInteger(runs) || runs < 1) usageError(`--runs ${option('runs')}: expected a whole number ≥ 1`)
const dataDir = option('data') ?? join(here, '.data')
// --baseline <dir>: a built checkout of another commit; job-mode jobs run it beside this one (jobs/process.ts)
if (option('baseline')) process.env.BENCH_BASELINE = option('baseline')
// --scale 1m|10m|100m: the table size of the scale-* jobs (jobs/scale.ts; default 10m)
if (option('scale')) process.env.BENCH_SCALE = option('scale')
// imported after the line above: the job list depends on it
const { JOBS } = await import('./jobs/index.js')

async function child(): Promise<void> {
  const [jobName, index] = [option('child'), Number(option('contender'))]
  const job = JOBS.find((j) => j.name === jobName)
  if (!job) throw new Error(`no job ${jobName}`)
  const contender = job.contenders[index]
  let result: ContenderResult
  try {
    result = await runContender(job, contender, { quick, runs, dataDir })
  } catch (e) {
    result = { job: job.name, contender: contender.name, runs: 0, peakRssMiB: 0, error: (e as Error).message.split('\n')[0] }
  }
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`)
}

function runChild(job: string, contender: number): Promise<ContenderResult> {
  return new Promise((resolve, reject) => {
    const argv = ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', job, '--contender', String(contender), '--runs', String(runs), '--data', dataDir]
    if (quick) argv.push('--quick')
    const p = spawn(process.execPath, ['--expose-gc', '--max-old-space-size=8192', ...argv], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    p.stdout.on('data', (d) => (out += d))
    p.on('error', reject)
    p.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '))
      if (line) resolve(JSON.parse(line.slice(7)))
      else reject(new Error(`bench child ${job}#${contender} exited with ${code} and no result`))
    })
  })
}

function commit(): string {
  try {
    const id = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '../src', '../bench'], { cwd: here, encoding: 'utf8' }).trim()
    return dirty ? `${id} + uncommitted changes` : id
  } catch { return 'unknown' }
}

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true })
  const wanted = parsed.positionals
  // `scale` names every scale-* job; they are long, so only run when named
  const named = (j: { name: string }) => wanted.includes(j.name) || (wanted.includes('scale') && j.name.startsWith('scale-'))
  const jobs = wanted.length ? JOBS.filter(named) : JOBS.filter((j) => !j.name.startsWith('scale-'))
  const unknown = wanted.filter((w) => w !== 'scale' && !JOBS.some((j) => j.name === w))
  if (unknown.length) throw new Error(`unknown bench job(s): ${unknown.join(', ')}; known: ${JOBS.map((j) => j.name).join(', ')}`)
  const header = [
    `## ${new Date().toISOString().slice(0, 10)} — \`npm run bench -- ${args.join(' ')}\``.replace(/ +`$/, '`'),
    '',
    `Commit ${commit()}. Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}. ` +
      `Median of ${runs} run(s) after one warm-up; each contender in its own process (peak RSS is its own).`,
    '',
  ].join('\n')
  const sections = [header]
  for (const job of jobs) {
    const results: ContenderResult[] = []
    // the machine may be shared: say how busy it was
    const load = loadavg().map((x) => x.toFixed(1)).join(' / ')
    for (let i = 0; i < job.contenders.length; i++) {
      process.stderr.write(`bench ${job.name} / ${job.contenders[i].name}…\n`)
      results.push(await runChild(job.name, i))
    }
    const md = formatJob(job, results) + `\n\nLoad average (1/5/15 min) at the job's start: ${load}; at its end: ${loadavg().map((x) => x.toFixed(1)).join(' / ')}.`
    console.log(md + '\n')
    sections.push(md, '')
  }
  const mdFile = option('md')
  if (mdFile) appendFileSync(mdFile, sections.join('\n') + '\n')
}

if (option('child')) await child()
else await main()
