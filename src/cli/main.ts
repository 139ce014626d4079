#!/usr/bin/env node
// `lagomago <command> <table>`: inspect and operate Delta tables from a shell. Tables are paths,
// URIs, or catalog names (`lake.bronze.transacao`) resolved under `--lake` (default ./lake).
// Readable tables on screen; `--json` prints JSON for scripts.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs as parseArgvWith } from 'node:util'
import { DeltaError } from '../errors.js'
import { DeltaTable } from '../table/delta-table.js'
import { Lake } from '../medallion/catalog.js'
import { formatTable, toJson } from '../medallion/format.js'
import { isMainModule } from '../medallion/is-main.js'

/** Every flag, by type; `node:util` parseArgs keeps all of `--filter="uf = 'SP'"` after the first `=`. */
const FLAGS = {
  json: { type: 'boolean' }, lake: { type: 'string' }, help: { type: 'boolean' },
  limit: { type: 'string' }, columns: { type: 'string' }, filter: { type: 'string' },
  version: { type: 'string' }, timestamp: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
  zorder: { type: 'string' }, 'target-size': { type: 'string' },
  'retention-hours': { type: 'string' }, 'dry-run': { type: 'boolean' }, 'no-enforce-retention': { type: 'boolean' },
  quiet: { type: 'boolean' }, port: { type: 'string' }, host: { type: 'boolean' },
} as const satisfies Record<string, { type: 'string' | 'boolean' }>
type Flag = keyof typeof FLAGS

/** How each flag is written and what it does: the help text is made from these and COMMANDS. */
const FLAG_HELP: Record<Flag, [syntax: string, does: string]> = {
  json: ['--json', 'print JSON (for scripts) instead of text tables (ui: no effect)'],
  lake: ['--lake <dir>', 'the lake that catalog names resolve under (default ./lake)'],
  help: ['--help', 'this help; after a command, the help of that command'],
  limit: ['--limit N', 'at most N entries (scan and changes: rows; on screen 50 by default)'],
  columns: ['--columns a,b', 'only these columns, in this order'],
  filter: ['--filter "<sql>"', "rows where the predicate holds (SQL subset), e.g. --filter=\"uf = 'SP' AND amount > 5\""],
  version: ['--version V', 'the table as of version V (time travel)'],
  timestamp: ['--timestamp T', 'the table as of time T: an ISO date or date-time, UTC unless it names a zone'],
  from: ['--from V', 'first version of the change data feed (required)'],
  to: ['--to V', 'last version of the feed (default: the version opened)'],
  zorder: ['--zorder a,b', 'Z-order the rewritten files by these columns'],
  'target-size': ['--target-size BYTES', 'bytes per output file (default delta.targetFileSize, else 128 MiB)'],
  'retention-hours': ['--retention-hours H', "keep what versions of the last H hours need (default the table's delta.deletedFileRetentionDuration, 7 days)"],
  'dry-run': ['--dry-run', 'list the files it would delete, delete nothing'],
  'no-enforce-retention': ['--no-enforce-retention', "allow a retention shorter than the table's setting"],
  quiet: ['--quiet', 'no progress lines'],
  port: ['--port N', 'port to listen on (default: a free one)'],
  host: ['--host', 'listen on every interface, not only 127.0.0.1'],
}

/** Each command: its argument, the flags it takes beside the global ones, what it does. */
const COMMANDS: Record<string, { arg: string; flags: readonly Flag[]; does: string }> = {
  describe: { arg: '<table>', flags: ['version', 'timestamp'], does: 'version, schema, partitioning, properties, protocol, files and live records' },
  history: { arg: '<table>', flags: ['limit', 'version', 'timestamp'], does: 'commits, newest first' },
  scan: { arg: '<table>', flags: ['columns', 'filter', 'limit', 'version', 'timestamp'], does: 'rows' },
  changes: { arg: '<table>', flags: ['from', 'to', 'limit', 'version', 'timestamp'], does: 'change data feed rows (the table property delta.enableChangeDataFeed must be true)' },
  optimize: { arg: '<table>', flags: ['zorder', 'target-size'], does: 'compact small files into larger ones (a new version)' },
  vacuum: { arg: '<table>', flags: ['retention-hours', 'dry-run', 'no-enforce-retention'], does: 'delete files no version inside the retention needs' },
  tables: { arg: '[lake dir]', flags: [], does: 'tables of a lake (catalog names)' },
  pipeline: { arg: '[lake dir]', flags: ['quiet'], does: 'run the demo lakehouse job (bronze → silver → gold)' },
  ui: { arg: '[lake dir]', flags: ['port', 'host'], does: 'explore the lake in a browser (read-only; 127.0.0.1 unless --host)' },
}
const GLOBAL_FLAGS: readonly Flag[] = ['json', 'lake', 'help']
/** Flags a command that takes them cannot do without. */
const REQUIRED: readonly Flag[] = ['from']

const TABLE_ARG = `<table>: a folder, a file:// or memory:// URI, or a catalog name lake.<schema>.<table> under --lake.
Flags: --flag value or --flag=value (the value may hold = and spaces: --filter="uf = 'SP'").`

/** `cmd <arg> --from V [--a A] [--version V | --timestamp T]`: the two time-travel flags exclude each other. */
function synopsis(name: string): string {
  const { arg, flags } = COMMANDS[name]!
  const parts = flags.filter((f) => f !== 'timestamp').map((f) => f === 'version' && flags.includes('timestamp')
    ? `[${FLAG_HELP.version[0]} | ${FLAG_HELP.timestamp[0]}]` : REQUIRED.includes(f) ? FLAG_HELP[f][0] : `[${FLAG_HELP[f][0]}]`)
  return [name, arg, ...parts].join(' ')
}

const flagLines = (flags: readonly Flag[]) => flags.map((f) => `  ${FLAG_HELP[f][0].padEnd(24)}${FLAG_HELP[f][1]}`)

export const USAGE = [
  'usage: lagomago <command> [args] [--json] [--lake <dir>]    (lagomago <command> --help: that command)',
  '', 'commands:',
  ...Object.keys(COMMANDS).flatMap((name) => [`  ${synopsis(name)}`, `      ${COMMANDS[name]!.does}`]),
  '', 'every command:', ...flagLines(GLOBAL_FLAGS),
  '', TABLE_ARG,
].join('\n')

/** `lagomago <command> --help`. */
export function commandUsage(name: string): string {
  const c = COMMANDS[name]!
  return [`usage: lagomago ${synopsis(name)} [--json] [--lake <dir>]`, '', c.does, '', 'flags:', ...flagLines([...c.flags, ...GLOBAL_FLAGS]),
    ...(c.arg === '<table>' ? ['', TABLE_ARG] : [])].join('\n')
}

const TABLE_COMMANDS = new Set(Object.keys(COMMANDS).filter((c) => COMMANDS[c]!.arg === '<table>'))

interface Args { command?: string; positional: string[]; flags: Map<string, string | true> }

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
  let parsed: ReturnType<typeof parseArgvWith<{ args: string[]; options: typeof FLAGS; allowPositionals: true; strict: true }>>
  try {
    parsed = parseArgvWith({ args: argv, options: FLAGS, allowPositionals: true, strict: true })
  } catch (e) {
    // parseArgs' own errors (unknown flag, missing or ambiguous value) are usage errors
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError((e as Error).message)
    throw e
  }
  const flags = new Map<string, string | true>()
  for (const [k, v] of Object.entries(parsed.values)) if (v !== undefined && v !== false) flags.set(k, v as string | true)
  const positional = [...parsed.positionals]
  const command = positional.shift()
  const allowed = command === undefined ? undefined : COMMANDS[command]?.flags
  if (allowed) {
    for (const k of flags.keys()) {
      if (!GLOBAL_FLAGS.includes(k as Flag) && !allowed.includes(k as Flag)) throw new UsageError(`${command} does not take --${k}`)
    }
    if (positional.length > 1) throw new UsageError(`${command} takes one ${TABLE_COMMANDS.has(command!) ? 'table' : 'lake dir'}, got ${positional.map((p) => JSON.stringify(p)).join(' ')}`)
  }
  return { command, positional, flags }
}

function num(flags: Args['flags'], name: string): number | undefined {
  const v = flags.get(name)
  if (v === undefined) return undefined
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(v)}`)
  return n
}

/** A table argument: a catalog name when it looks like one and no such path exists, else a location. */
export function tableLocation(arg: string, lakeDir: string): string {
  if (/^[A-Za-z_]\w*(\.[A-Za-z_]\w*){1,2}$/.test(arg) && !existsSync(arg)) return new Lake(lakeDir).path(arg)
  return arg
}

export interface CliIo { out: (s: string) => void; err: (s: string) => void }

/** Run one CLI command; resolves to the exit code. */
/** Top-level date and timestamp columns of the table, so a timestamp at midnight prints as one. */
function dateKinds(table: DeltaTable): Record<string, 'date' | 'timestamp'> {
  const out: Record<string, 'date' | 'timestamp'> = {}
  for (const f of table.schema.fields) {
    if (f.type === 'date') out[f.name] = 'date'
    else if (f.type === 'timestamp' || f.type === 'timestamp_ntz') out[f.name] = 'timestamp'
  }
  return out
}

export async function runCli(argv: string[], io: CliIo = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') }): Promise<number> {
  let args: Args
  try {
    args = parseArgs(argv)
  } catch (e) {
    io.err(`${(e as Error).message}\n${USAGE}`)
    return 2
  }
  const { command, positional, flags } = args
  const json = flags.has('json')
  const lakeDir = resolve(String(flags.get('lake') ?? './lake'))
  const emit = (value: unknown, human: () => string): void => io.out(json ? toJson(value) : human())
  try {
    if (command && COMMANDS[command] && flags.has('help')) { io.out(commandUsage(command)); return 0 }
    if (command === 'help' && positional[0] && COMMANDS[positional[0]]) { io.out(commandUsage(positional[0])); return 0 }
    if (!command || command === 'help' || flags.has('help')) { io.out(USAGE); return command || flags.has('help') ? 0 : 2 }
    if (command === 'pipeline') {
      const dir = resolve(positional[0] ?? lakeDir)
      const lines: string[] = []
      const { runDemo } = await import('../medallion/demo/main.js') // the generator loads hyparquet-writer: not for every command
      const r = await runDemo(dir, { quiet: flags.has('quiet') || json, out: json ? (l) => lines.push(l) : io.out })
      if (json) io.out(toJson(r))
      return r.status === 'SUCCESS' ? 0 : 1
    }
    if (command === 'ui') return await serveUi(resolve(positional[0] ?? lakeDir), flags, io)
    if (command === 'tables') {
      const lake = new Lake(positional[0] ?? lakeDir)
      const names = await lake.tables()
      const rows: Record<string, unknown>[] = []
      for (const name of names) {
        const t = await lake.table(name)
        rows.push({ table: name, version: t.version, files: (await t.files()).length, location: lake.path(name) })
      }
      emit(rows, () => formatTable(rows))
      return 0
    }
    if (!TABLE_COMMANDS.has(command)) throw new UsageError(`unknown command ${command}`)
    const target = positional[0]
    if (!target) throw new UsageError(`${command} needs a table`)
    const uri = tableLocation(target, lakeDir)
    const version = num(flags, 'version')
    const timestamp = flags.get('timestamp')
    const table = await DeltaTable.open(uri, { version, timestamp: typeof timestamp === 'string' ? timestamp : undefined })
    switch (command) {
      case 'describe': {
        const files = await table.files()
        const info = {
          table: table.url, version: table.version, timestamp: new Date(table.timestamp), id: table.metadata.id,
          name: table.metadata.name ?? null, partitionColumns: table.partitionColumns, properties: table.properties,
          protocol: table.protocol, numFiles: files.length, sizeInBytes: files.reduce((n, f) => n + f.size, 0),
          // live rows: the files' numRecords less the rows their deletion vectors mark deleted
          numRecords: files.reduce((n, f) => n + (f.stats ? Number((JSON.parse(f.stats) as { numRecords?: number }).numRecords ?? 0) : 0), 0)
            - files.reduce((n, f) => n + (f.deletionVector?.cardinality ?? 0), 0),
          numDeletedByDeletionVectors: files.reduce((n, f) => n + (f.deletionVector?.cardinality ?? 0), 0),
          schema: table.schema.fields.map((f) => ({ name: f.name, type: typeof f.type === 'string' ? f.type : f.type.type, nullable: f.nullable })),
        }
        emit(info, () => [
          `table       ${info.table}${info.name ? ` (${info.name})` : ''}`,
          `version     ${info.version} at ${info.timestamp.toISOString()}`,
          `files       ${info.numFiles} (${info.sizeInBytes} bytes, ${info.numRecords} records${info.numDeletedByDeletionVectors ? `; ${info.numDeletedByDeletionVectors} more deleted by deletion vectors` : ''})`,
          `partitions  ${info.partitionColumns.length ? info.partitionColumns.join(', ') : '(none)'}`,
          `protocol    reader ${info.protocol.minReaderVersion}, writer ${info.protocol.minWriterVersion}${info.protocol.writerFeatures?.length ? ` [${info.protocol.writerFeatures.join(', ')}]` : ''}`,
          'properties',
          ...Object.entries(info.properties).map(([k, v]) => `  ${k} = ${v}`),
          formatTable(info.schema),
        ].join('\n'))
        return 0
      }
      case 'history': {
        const h = await table.history({ limit: num(flags, 'limit') })
        emit(h, () => formatTable(h.map((e) => ({
          version: e.version, timestamp: new Date(e.timestamp), operation: e.operation,
          parameters: e.operationParameters ? JSON.stringify(e.operationParameters) : null,
          metrics: e.operationMetrics ? Object.entries(e.operationMetrics).slice(0, 4).map(([k, v]) => `${k}=${v}`).join(' ') : null,
        })), { maxWidth: 60, dateKinds: { timestamp: 'timestamp' } }))
        return 0
      }
      case 'scan': {
        const columns = typeof flags.get('columns') === 'string' ? String(flags.get('columns')).split(',').map((s) => s.trim()) : undefined
        const filter = flags.get('filter')
        const rows = await table.toRows({ columns, filter: typeof filter === 'string' ? filter : undefined })
        const limit = num(flags, 'limit')
        emit(limit === undefined ? rows : rows.slice(0, limit), () => formatTable(rows, { limit: limit ?? 50, columns, dateKinds: dateKinds(table) }))
        return 0
      }
      case 'changes': {
        const from = num(flags, 'from')
        if (from === undefined) throw new UsageError('changes needs --from <version>')
        const rows = await table.changes({ startVersion: from, endVersion: num(flags, 'to') })
        const limit = num(flags, 'limit')
        emit(limit === undefined ? rows : rows.slice(0, limit), () => formatTable(rows, { limit: limit ?? 50, dateKinds: { ...dateKinds(table), _commit_timestamp: 'timestamp' } }))
        return 0
      }
      case 'optimize': {
        const zorder = flags.get('zorder')
        const r = await table.optimize({ zOrderBy: typeof zorder === 'string' ? zorder.split(',') : undefined, targetFileSize: num(flags, 'target-size') })
        emit(r, () => `optimize: version ${r.version}\n${formatTable(Object.entries(r.metrics).map(([metric, value]) => ({ metric, value })))}`)
        return 0
      }
      case 'vacuum': {
        const r = await table.vacuum({ retentionHours: num(flags, 'retention-hours'), dryRun: flags.has('dry-run'), enforceRetentionDuration: !flags.has('no-enforce-retention') })
        emit(r, () => `vacuum${r.dryRun ? ' (dry run)' : ''}: ${r.filesDeleted.length} files, ${r.bytesDeleted} bytes${r.filesDeleted.length ? '\n' + r.filesDeleted.map((f) => `  ${f}`).join('\n') : ''}`)
        return 0
      }
      default:
        throw new UsageError(`unknown command ${command}`)
    }
  } catch (e) {
    if (e instanceof UsageError) { io.err(`${e.message}\n${USAGE}`); return 2 }
    if (e instanceof DeltaError) { io.err(json ? toJson({ error: e.name, code: e.code, message: e.message }) : `${e.name}: ${e.message}`); return 1 }
    throw e
  }
}

/** `ui`: serve the explorer until SIGINT/SIGTERM. `LAGOMAGO_UI_DIR` points at another build of the page. */
async function serveUi(lakeDir: string, flags: Args['flags'], io: CliIo): Promise<number> {
  const { startUiServer } = await import('./ui-server.js')
  const server = await startUiServer({ lakeDir, port: num(flags, 'port'), host: flags.has('host') ? '0.0.0.0' : undefined, pageDir: process.env.LAGOMAGO_UI_DIR || undefined })
  io.out(`lagomago explorer: ${server.url}  (lake ${lakeDir}; read-only${flags.has('host') ? ', listening on every interface' : ''}; Ctrl-C stops)`)
  await new Promise<void>((done) => { process.once('SIGINT', done); process.once('SIGTERM', done) })
  await server.close()
  return 0
}

if (isMainModule(import.meta.url)) {
  runCli(process.argv.slice(2)).then((code) => { process.exitCode = code }, (e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`)
    process.exitCode = 1
  })
}
