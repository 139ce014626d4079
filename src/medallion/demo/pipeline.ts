// The seed's lakehouse as a lagomago job: bronze (clientes full loads, transacao CDC streamed from the
// landing folder), silver (cleaned, conformed, deduplicated; transactions consumed from bronze's
// change feed) and gold (balances per client, daily summary), wired as a DAG.
import { readdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { DeltaTable, StructField, StructType } from '../../index.js'
import { checkOptions } from '../../options.js'
import { bronzeSchema, fullLoad, ingestFiles, RESCUED_DATA } from '../bronze.js'
import { runStream } from '../stream.js'
import type { Lake } from '../catalog.js'
import { applyCdc } from '../cdc.js'
import type { Row } from '../rows.js'
import { DeltaSource } from '../delta-source.js'
import { groupBy, joinRows, orderBy, rebuild, sumValues } from '../gold.js'
import { Job, type JobOptions, type TaskContext } from '../job.js'
import { changesToEvents, cleanText, dedupe, pipe, rename, requireColumns, select, withColumns } from '../silver.js'

const f = (name: string, type: StructField['type'], nullable = true): StructField => ({ name, type, nullable, metadata: {} })
const struct = (...fields: StructField[]): StructType => ({ type: 'struct', fields })

/** What the clientes extract declares (cast on read: no inference). */
export const CLIENTES_RAW = struct(
  f('id_cliente', 'long', false), f('nome', 'string'), f('cpf', 'string'), f('uf', 'string'), f('segmento', 'string'),
  f('data_cadastro', 'date'), f('renda_mensal', 'decimal(12,2)'),
)
/** What the transacao CDC files declare. */
export const TRANSACAO_RAW = struct(
  f('op', 'string', false), f('seq', 'long', false), f('id_transacao', 'long', false), f('id_cliente', 'long'), f('tipo', 'string'),
  f('natureza', 'string'), f('valor', 'decimal(14,2)'), f('data_transacao', 'timestamp'), f('status', 'string'), f('canal', 'string'),
)
/** Bronze transacao: the raw columns but `op` (an input of the merge), a soft-delete flag, ingestion metadata. */
export const TRANSACAO_BRONZE = bronzeSchema(struct(...TRANSACAO_RAW.fields.filter((x) => x.name !== 'op'), f('_deleted', 'boolean')))

export const SILVER_CLIENTES = struct(
  f('cliente_id', 'long', false), f('nome', 'string'), f('cpf', 'string'), f('uf', 'string'), f('segmento', 'string'),
  f('data_cadastro', 'date'), f('renda_mensal', 'decimal(12,2)'),
)
export const SILVER_TRANSACOES = struct(
  f('transacao_id', 'long', false), f('cliente_id', 'long'), f('tipo', 'string'), f('natureza', 'string'), f('valor', 'decimal(14,2)'),
  f('data_hora', 'timestamp'), f('data', 'date'), f('status', 'string'), f('canal', 'string'), f('sequencia', 'long'),
)
export const GOLD_SALDO = struct(
  f('cliente_id', 'long', false), f('nome', 'string'), f('uf', 'string'), f('segmento', 'string'), f('qtd_transacoes', 'long'),
  f('total_entradas', 'decimal(18,2)'), f('total_saidas', 'decimal(18,2)'), f('saldo', 'decimal(18,2)'),
)
export const GOLD_RESUMO = struct(
  f('data', 'date', false), f('tipo', 'string', false), f('qtd', 'long'), f('valor_total', 'decimal(18,2)'), f('qtd_canceladas', 'long'),
)

const CDF = { 'delta.enableChangeDataFeed': 'true' }

export interface PipelineOptions {
  /** Files per bronze CDC batch (default 2). */
  maxFilesPerTrigger?: number
  /** Fixed ingestion time (tests compare runs); default: now. */
  ingestedAt?: Date
}

/** yyyymmdd of `clientes_<yyyymmdd>.<ext>`. */
function extractNumber(file: string): number {
  const m = /(\d{8})/.exec(basename(file))
  return m ? Number(m[1]) : 0
}

/** A lake built before bronze kept rescued data gets the column (ALTER TABLE ADD COLUMNS), once. */
async function withRescuedData(table: DeltaTable): Promise<DeltaTable> {
  if (!table.schema.fields.some((x) => x.name === RESCUED_DATA)) await table.addColumns([{ name: RESCUED_DATA, type: 'string' }])
  return table
}

async function bronzeClientes(ctx: TaskContext, opts: PipelineOptions): Promise<void> {
  const dir = join(ctx.lake.root, 'raw', 'full', 'clientes')
  const table = await withRescuedData(await ctx.lake.table('lake.bronze.clientes', { schema: bronzeSchema(CLIENTES_RAW), properties: CDF }))
  const files = (await readdir(dir).catch(() => [] as string[])).filter((x) => /^clientes_\d{8}\.(jsonl|json|parquet)$/.test(x)).sort()
  for (const file of files) {
    // each extract is loaded once, in date order: its date is the txn version
    // Brazilian text: dd/MM/yyyy dates, '4.512,30' amounts; what the schema cannot hold goes to _rescued_data
    const r = await fullLoad(table, join(dir, file), { schema: CLIENTES_RAW, locale: 'pt-BR', txn: { appId: 'bronze.clientes.full_load', version: extractNumber(file) }, ingestedAt: opts.ingestedAt })
    if (!r.skipped) { ctx.wrote('lake.bronze.clientes', r.version); ctx.log(`${file}: ${r.rows} rows (${r.rescued} with rescued data) → v${r.version}`) }
  }
}

async function bronzeTransacao(ctx: TaskContext, opts: PipelineOptions): Promise<void> {
  const table = await withRescuedData(await ctx.lake.table('lake.bronze.transacao', { schema: TRANSACAO_BRONZE, primaryKey: 'id_transacao', properties: CDF }))
  await ingestFiles(table, {
    landing: join(ctx.lake.root, 'raw', 'cdc', 'transacao'),
    schema: TRANSACAO_RAW,
    locale: 'pt-BR',
    checkpointLocation: join(ctx.lake.root, '_checkpoints', 'bronze_transacao'),
    maxFilesPerTrigger: opts.maxFilesPerTrigger ?? 2,
    trigger: { availableNow: true },
    // A delete can arrive before its key's insert (a late file). The CDC merge ignores a delete of a
    // key the table lacks, so bronze keeps every delete as a tombstone (the delete's image, `_deleted`
    // true, its sequence): the late insert is then older than the row and skipped.
    transform: (rows) => rows.map((r) => (r.op === 'D' ? { ...r, op: 'U', _deleted: true } : { ...r, _deleted: false })),
    cdc: { keys: 'id_transacao', opColumn: 'op', sequence: 'seq', ignoreOlderThanTarget: true },
    ingestedAt: opts.ingestedAt && (() => opts.ingestedAt!),
    onProgress: (p) => {
      if (p.version !== undefined) ctx.wrote('lake.bronze.transacao', p.version)
      ctx.log(`batch ${p.batchId}${p.replayed ? ' (replayed)' : ''}: ${p.files.map((x) => x.name).join(', ')} (${p.numInputRows} events) → v${p.version ?? '-'}`)
    },
  })
}

/** Silver clientes: conformed names, clean text, digits-only CPF, one row per client. */
export const cleanClientes = pipe(
  rename({ id_cliente: 'cliente_id' }),
  cleanText({ upper: ['uf', 'segmento'], digitsOnly: ['cpf'] }),
  requireColumns(['cliente_id']),
  dedupe(['cliente_id']),
  select(SILVER_CLIENTES.fields.map((x) => x.name)),
)

async function silverClientes(ctx: TaskContext): Promise<void> {
  const bronze = await ctx.lake.table('lake.bronze.clientes')
  const silver = await ctx.lake.table('lake.silver.clientes', { schema: SILVER_CLIENTES, primaryKey: 'cliente_id' })
  const r = await rebuild(silver, { 'bronze.clientes': bronze.version }, async () => cleanClientes(await bronze.toRows()))
  if (!r.skipped) { ctx.wrote('lake.silver.clientes', r.version); ctx.log(`rebuilt from bronze.clientes v${bronze.version} → v${r.version}`) }
}

/** Silver transacoes: conformed names, a date column, from bronze change events. */
export const conformTransacoes = pipe(
  rename({ id_transacao: 'transacao_id', id_cliente: 'cliente_id', data_transacao: 'data_hora', seq: 'sequencia' }),
  cleanText({ upper: ['tipo', 'natureza', 'status', 'canal'] }),
  withColumns({ data: (r) => (r.data_hora instanceof Date ? r.data_hora.toISOString().slice(0, 10) : null) }),
  select([...SILVER_TRANSACOES.fields.map((x) => x.name), '_change_type', '_commit_version', '_commit_timestamp']),
)

async function silverTransacoes(ctx: TaskContext): Promise<void> {
  const bronzePath = ctx.lake.path('lake.bronze.transacao')
  const silver = await ctx.lake.table('lake.silver.transacoes', { schema: SILVER_TRANSACOES, primaryKey: 'transacao_id', properties: CDF })
  await runStream({
    source: new DeltaSource({ table: bronzePath, startingVersion: 0, readChangeFeed: true, maxFilesPerTrigger: 1 }),
    checkpointLocation: join(ctx.lake.root, '_checkpoints', 'silver_transacoes'),
    trigger: { availableNow: true },
    foreachBatch: async (batch) => {
      await silver.refresh()
      const events = conformTransacoes(changesToEvents(batch.rows, { softDeleteColumn: '_deleted' }))
      const r = await applyCdc(silver, events, { keys: 'transacao_id', format: 'delta-cdf', txn: batch.txn })
      if (!r.skipped) ctx.wrote('lake.silver.transacoes', r.version)
      ctx.log(`bronze v${batch.offset.startVersion}–v${batch.offset.endVersion}: ${batch.rows.length} changes → ${events.length} events${r.skipped ? ' (already applied)' : ` → v${r.version}`}`)
      return r
    },
  })
}

function negate(d: unknown): unknown {
  return typeof d === 'string' ? (d.startsWith('-') ? d.slice(1) : `-${d}`) : d
}

/** Gold saldo por cliente: settled (CONCLUIDA) transactions per client, with the client's profile. */
export function computeSaldo(clientes: Row[], transacoes: Row[]): Row[] {
  const settled = transacoes.filter((t) => t.status === 'CONCLUIDA')
  const agg = groupBy(settled, ['cliente_id'], {
    qtd_transacoes: { fn: 'count' },
    total_entradas: { fn: 'sum', column: 'valor', where: (t) => t.natureza === 'C' },
    total_saidas: { fn: 'sum', column: 'valor', where: (t) => t.natureza === 'D' },
  })
  const rows = joinRows(agg, clientes.map((c) => ({ cliente_id: c.cliente_id, nome: c.nome, uf: c.uf, segmento: c.segmento })), ['cliente_id'], 'left')
  return orderBy(rows.map((r) => {
    const entradas = r.total_entradas ?? '0.00'
    const saidas = r.total_saidas ?? '0.00'
    return { ...r, total_entradas: entradas, total_saidas: saidas, saldo: sumValues([entradas, negate(saidas)]) }
  }), ['cliente_id'])
}

/** Gold resumo diário: per day and type, settled count and amount, and cancellations. */
export function computeResumo(transacoes: Row[]): Row[] {
  const rows = groupBy(transacoes, ['data', 'tipo'], {
    qtd: { fn: 'count', where: (t) => t.status === 'CONCLUIDA' },
    valor_total: { fn: 'sum', column: 'valor', where: (t) => t.status === 'CONCLUIDA' },
    qtd_canceladas: { fn: 'count', where: (t) => t.status === 'CANCELADA' },
  })
  return orderBy(rows.map((r) => ({ ...r, valor_total: r.valor_total ?? '0.00' })), ['data', 'tipo'])
}

async function goldSaldo(ctx: TaskContext): Promise<void> {
  const clientes = await ctx.lake.table('lake.silver.clientes')
  const transacoes = await ctx.lake.table('lake.silver.transacoes')
  const gold = await ctx.lake.table('lake.gold.saldo_clientes', { schema: GOLD_SALDO, primaryKey: 'cliente_id' })
  const r = await rebuild(gold, { 'silver.clientes': clientes.version, 'silver.transacoes': transacoes.version },
    async () => computeSaldo(await clientes.toRows(), await transacoes.toRows()))
  if (!r.skipped) { ctx.wrote('lake.gold.saldo_clientes', r.version); ctx.log(`rebuilt → v${r.version} (${r.metrics.numOutputRows} rows)`) }
}

async function goldResumo(ctx: TaskContext): Promise<void> {
  const transacoes = await ctx.lake.table('lake.silver.transacoes')
  const gold = await ctx.lake.table('lake.gold.resumo_diario', { schema: GOLD_RESUMO })
  const r = await rebuild(gold, { 'silver.transacoes': transacoes.version }, async () => computeResumo(await transacoes.toRows()))
  if (!r.skipped) { ctx.wrote('lake.gold.resumo_diario', r.version); ctx.log(`rebuilt → v${r.version} (${r.metrics.numOutputRows} rows)`) }
}

/** The job: bronze → silver → gold. */
export function seedPipeline(options: PipelineOptions = {}, jobOptions: JobOptions = {}): Job {
  checkOptions('seedPipeline', options, ['maxFilesPerTrigger', 'ingestedAt'])
  return new Job('lakehouse_bancario', [
    { name: 'bronze_clientes', writes: ['lake.bronze.clientes'], run: (ctx) => bronzeClientes(ctx, options) },
    { name: 'bronze_transacao', writes: ['lake.bronze.transacao'], run: (ctx) => bronzeTransacao(ctx, options) },
    { name: 'silver_clientes', dependsOn: ['bronze_clientes'], writes: ['lake.silver.clientes'], run: silverClientes },
    { name: 'silver_transacoes', dependsOn: ['bronze_transacao'], writes: ['lake.silver.transacoes'], run: silverTransacoes },
    { name: 'gold_saldo_clientes', dependsOn: ['silver_clientes', 'silver_transacoes'], writes: ['lake.gold.saldo_clientes'], run: goldSaldo },
    { name: 'gold_resumo_diario', dependsOn: ['silver_transacoes'], writes: ['lake.gold.resumo_diario'], run: goldResumo },
  ], jobOptions)
}

/** The demo pipeline's tables. */
export const PIPELINE_TABLES = [
  'lake.bronze.clientes', 'lake.bronze.transacao', 'lake.silver.clientes', 'lake.silver.transacoes',
  'lake.gold.saldo_clientes', 'lake.gold.resumo_diario',
]

/** The lake of the pipeline (re-exported for the CLI and tests). */
export type { Lake }
