// `npm start -- [lake dir]`: the project's main job. Generates the seeded raw landing zone under
// `<lake>/raw`, runs the bronze → silver → gold job DAG with progress on screen, then prints the gold
// tables, the job's run record, each table's history and a time-travel comparison. Rerunning finds
// no new raw files and writes nothing; a run killed midway and restarted converges to the same lake.
import { resolve } from 'node:path'
import { DeltaTable } from '../../index.js'
import { Lake } from '../catalog.js'
import { formatTable } from '../format.js'
import { JOB_RUNS_TABLE, type JobEvent, type JobResult } from '../job.js'
import { checkOptions } from '../../options.js'
import { GENERATOR_OPTIONS, generateRaw, type GeneratorOptions } from './generator.js'
import { PIPELINE_TABLES, seedPipeline } from './pipeline.js'
import { isMainModule } from '../is-main.js'

/** Options of `runDemo`. */
export interface DemoOptions extends GeneratorOptions {
  /** Print only the progress lines and the summary (tests, CI). */
  quiet?: boolean
  out?: (line: string) => void
  /** Fixed ingestion time, so two lakes built at different times compare equal. */
  ingestedAt?: Date
  maxFilesPerTrigger?: number
}

/** The demo pipeline (`npm start`): generate raw data, run the medallion job, print the gold tables. */
export async function runDemo(lakeDir: string, options: DemoOptions = {}): Promise<JobResult> {
  checkOptions('runDemo', options, [...GENERATOR_OPTIONS, 'quiet', 'out', 'ingestedAt', 'maxFilesPerTrigger'])
  const out = options.out ?? ((l: string) => process.stdout.write(`${l}\n`))
  const lake = new Lake(lakeDir)
  const t0 = Date.now()
  out(`lagomago demo lake at ${lake.root}`)
  const { seed, clients, extracts, cdcFiles, insertsPerFile } = options
  const raw = await generateRaw(lake.root, { seed, clients, extracts, cdcFiles, insertsPerFile })
  out(`raw landing zone: ${raw.clientes.length} clientes extracts, ${raw.transacao.length} transacao CDC files (${raw.written.length} new)`)

  const started = new Map<string, number>()
  const onEvent = (e: JobEvent): void => {
    if (e.type === 'start') { started.set(e.task, Date.now()); out(`▶ ${e.task}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`) }
    else if (e.type === 'log') out(`  ${e.task}: ${e.message}`)
    else if (e.type === 'retry') out(`↻ ${e.task}: ${e.error.name} (${e.error.message.slice(0, 80)}), retrying`)
    else {
      const ms = e.run.end.getTime() - e.run.start.getTime()
      const mark = e.run.status === 'SUCCESS' ? '✔' : '✖'
      const wrote = Object.entries(e.run.versions).map(([t, v]) => `${t} v${v.join(',v')}`).join('; ')
      out(`${mark} ${e.run.task} ${e.run.status} in ${ms} ms${wrote ? ` (wrote ${wrote})` : ' (nothing new)'}${e.run.error ? `: ${e.run.error}` : ''}`)
    }
  }
  const job = seedPipeline({ maxFilesPerTrigger: options.maxFilesPerTrigger, ingestedAt: options.ingestedAt }, { onEvent })
  const result = await job.run(lake)
  out(`job ${result.job} ${result.status} in ${Date.now() - t0} ms (run ${result.runId})`)
  if (options.quiet || result.status !== 'SUCCESS') return result

  out('\n== gold.saldo_clientes (top 10 by saldo) ==')
  const saldo = await (await lake.table('lake.gold.saldo_clientes')).toRows()
  saldo.sort((a, b) => Number(b.saldo) - Number(a.saldo))
  out(formatTable(saldo, { limit: 10 }))
  const orphans = saldo.filter((r) => r.nome === null).map((r) => r.cliente_id)
  if (orphans.length > 0) {
    // the gold join keeps every client with transactions (a left join from the transactions side)
    out(`(${orphans.length} client${orphans.length === 1 ? '' : 's'} with null name, uf and segmento: ${orphans.join(', ')} — accounts closed in a later extract, so absent from silver.clientes while their transactions remain)`)
  }
  out('\n== gold.resumo_diario ==')
  out(formatTable(await (await lake.table('lake.gold.resumo_diario')).toRows()))

  out('\n== bronze.clientes: values its declared schema cannot hold, kept in _rescued_data ==')
  const rescued = await (await lake.table('lake.bronze.clientes')).toRows({ filter: '_rescued_data IS NOT NULL', columns: ['id_cliente', 'nome', 'renda_mensal', '_rescued_data'] })
  out(formatTable(rescued, { maxWidth: 70 }))

  out('\n== job run record (lake._system.job_runs, this run) ==')
  const runs = await (await lake.table(JOB_RUNS_TABLE)).toRows({ filter: `run_id = '${result.runId}'` })
  runs.sort((a, b) => (a.start_time as Date).getTime() - (b.start_time as Date).getTime())
  out(formatTable(runs, { columns: ['task', 'attempt', 'start_time', 'end_time', 'status', 'versions_written', 'error'], maxWidth: 60 }))

  for (const name of PIPELINE_TABLES) {
    const t = await lake.table(name)
    const versions = t.version + 1
    out(`\n== history of ${name} (${versions <= 5 ? `all ${versions} versions` : `latest 5 of ${versions} versions`}) ==`)
    const h = await t.history({ limit: 5 })
    out(formatTable(h.map((e) => {
      const m = e.operationMetrics ?? {}
      const pick = (...keys: string[]): unknown => keys.map((k) => m[k]).find((v) => v !== undefined) ?? null
      return {
        version: e.version, timestamp: new Date(e.timestamp), operation: e.operation,
        rows_out: pick('numOutputRows'), inserted: pick('numTargetRowsInserted'), updated: pick('numTargetRowsUpdated'), deleted: pick('numTargetRowsDeleted'),
        files_added: pick('numFiles', 'numTargetFilesAdded'), files_removed: pick('numRemovedFiles', 'numTargetFilesRemoved'),
        dvs: pick('numTargetDeletionVectorsAdded'),
      }
    })))
  }

  out('\n== time travel ==')
  const silver = await lake.table('lake.silver.transacoes')
  const first = await DeltaTable.open(silver.store, { version: Math.min(1, silver.version) })
  const summary = async (t: DeltaTable): Promise<Record<string, unknown>> => {
    const rows = await t.toRows({ columns: ['status', 'valor'] })
    const settled = rows.filter((r) => r.status === 'CONCLUIDA')
    const cents = settled.reduce((n, r) => n + BigInt(String(r.valor).replace('.', '')), 0n)
    return { version: t.version, transacoes: rows.length, concluidas: settled.length, pendentes: rows.filter((r) => r.status === 'PENDENTE').length, valor_concluido: `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}` }
  }
  out('silver.transacoes after its first batch vs now:')
  out(formatTable([await summary(first), await summary(silver)]))
  const clientes = await lake.table('lake.bronze.clientes')
  const c1 = await DeltaTable.open(clientes.store, { version: Math.min(1, clientes.version) })
  const before = new Map((await c1.toRows()).map((r) => [String(r.id_cliente), r]))
  const now = await clientes.toRows()
  const changed = now.filter((r) => before.has(String(r.id_cliente)) && before.get(String(r.id_cliente))!.segmento !== r.segmento)
  const fileOf = async (t: DeltaTable): Promise<unknown> => (await t.toRows({ columns: ['_source_file'] }))[0]?._source_file
  out(`bronze.clientes v${c1.version} (${before.size} clients from ${await fileOf(c1)}) vs v${clientes.version} (${now.length} clients from ${await fileOf(clientes)}): ` +
    `${now.filter((r) => !before.has(String(r.id_cliente))).length} new, ${[...before.keys()].filter((k) => !now.some((r) => String(r.id_cliente) === k)).length} closed, ${changed.length} changed segment`)
  if (changed.length) out(formatTable(changed.slice(0, 5).map((r) => ({ id_cliente: r.id_cliente, nome: r.nome, [`segmento v${c1.version}`]: before.get(String(r.id_cliente))!.segmento, [`segmento v${clientes.version}`]: r.segmento }))))
  return result
}

function parseArgs(argv: string[]): { dir: string; options: DemoOptions } {
  const options: DemoOptions = {}
  let dir = './lake'
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--quiet') options.quiet = true
    else if (a === '--clients') options.clients = Number(argv[++i])
    else if (a === '--cdc-files') options.cdcFiles = Number(argv[++i])
    else if (a === '--inserts') options.insertsPerFile = Number(argv[++i])
    else if (a === '--seed') options.seed = Number(argv[++i])
    else if (a === '--ingested-at') options.ingestedAt = new Date(argv[++i])
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm start -- [lake dir (default ./lake)] [--quiet] [--seed N] [--clients N] [--cdc-files N] [--inserts N]\n')
      process.exit(0)
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}`)
    else dir = a
  }
  return { dir: resolve(dir), options }
}

if (isMainModule(import.meta.url)) {
  const { dir, options } = parseArgs(process.argv.slice(2))
  runDemo(dir, options).then((r) => { process.exitCode = r.status === 'SUCCESS' ? 0 : 1 }, (e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`)
    process.exitCode = 1
  })
}
