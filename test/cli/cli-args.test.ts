// CLI argument parsing (node:util parseArgs, strict): every command and flag in the `--flag=value`
// and `--flag value` forms gives the same result, a value may hold `=` and spaces
// (`--filter="uf = 'SP'"`), and an unknown or misplaced flag is a usage error (exit 2).
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/main.js'
import { DeltaTable } from '../../src/index.js'

let root: string
let tablePath: string
/** The rows of the table, as the test wrote them (the model). */
const MODEL = Array.from({ length: 12 }, (_, i) => ({ id: i, uf: ['SP', 'RJ', 'MG'][i % 3]!, note: i % 4 === 0 ? 'a=b' : 'x' }))
let v1Time: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lagomago-cli-args-'))
  tablePath = join(root, 't')
  const t = await DeltaTable.create(tablePath, {
    schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }, { name: 'uf', type: 'string', nullable: true, metadata: {} }, { name: 'note', type: 'string', nullable: true, metadata: {} }] },
    properties: { 'delta.enableChangeDataFeed': 'true' },
  })
  await t.append(MODEL.slice(0, 6).map((r) => ({ ...r, id: BigInt(r.id) })))
  v1Time = new Date(t.timestamp + 1).toISOString()
  await new Promise((r) => setTimeout(r, 5))
  await t.append(MODEL.slice(6).map((r) => ({ ...r, id: BigInt(r.id) })))
}, 30_000)
afterAll(async () => { await rm(root, { recursive: true, force: true }) })

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

/** The same call with every `--flag value` pair also written `--flag=value`: both must agree. */
async function both(command: string[], pairs: [string, string][], extra: string[] = []): Promise<unknown> {
  const spaced = await cli(...command, ...pairs.flatMap(([k, v]) => [k, v]), ...extra, '--json')
  const joined = await cli(...command, ...pairs.map(([k, v]) => `${k}=${v}`), ...extra, '--json')
  expect(spaced.err, command.join(' ')).toBe('')
  expect(spaced.code).toBe(0)
  expect(joined.code).toBe(0)
  const a = JSON.parse(spaced.out)
  expect(JSON.parse(joined.out)).toEqual(a)
  return a
}

const ids = (rows: { id: number | string }[]) => rows.map((r) => Number(r.id)).sort((x, y) => x - y)

describe('CLI flags in both forms', () => {
  it('scan: a filter holding = and spaces, columns, limit, version and timestamp', async () => {
    const sp = await both(['scan', tablePath], [['--filter', "uf = 'SP'"], ['--columns', 'id,uf']]) as { id: number; uf: string }[]
    expect(ids(sp)).toEqual(MODEL.filter((r) => r.uf === 'SP').map((r) => r.id))
    expect(Object.keys(sp[0]!)).toEqual(['id', 'uf'])
    const eq = await both(['scan', tablePath], [['--filter', "note = 'a=b' AND id >= 4"]]) as { id: number }[]
    expect(ids(eq)).toEqual(MODEL.filter((r) => r.note === 'a=b' && r.id >= 4).map((r) => r.id))
    expect(await both(['scan', tablePath], [['--limit', '5']])).toHaveLength(5)
    expect(ids(await both(['scan', tablePath], [['--version', '1']]) as never)).toEqual(MODEL.slice(0, 6).map((r) => r.id))
    expect(ids(await both(['scan', tablePath], [['--timestamp', v1Time]]) as never)).toEqual(MODEL.slice(0, 6).map((r) => r.id))
  })

  it('describe, history, changes', async () => {
    expect(await both(['describe', tablePath], [['--version', '1']])).toMatchObject({ version: 1, numRecords: 6 })
    const h = await both(['history', tablePath], [['--limit', '2']]) as { version: number }[]
    expect(h.map((e) => e.version)).toEqual([2, 1])
    const ch = await both(['changes', tablePath], [['--from', '2'], ['--to', '2']]) as { id: number; _change_type: string }[]
    expect(ids(ch)).toEqual(MODEL.slice(6).map((r) => r.id))
    expect(new Set(ch.map((r) => r._change_type))).toEqual(new Set(['insert']))
  })

  it('optimize and vacuum', async () => {
    const spaced = await cli('optimize', tablePath, '--zorder', 'id', '--target-size', '1000000', '--json')
    expect(spaced.code, spaced.err).toBe(0)
    expect(JSON.parse(spaced.out).version).toBe(3)
    const joined = await cli('optimize', tablePath, '--zorder=id', '--target-size=1000000', '--json')
    expect(joined.code, joined.err).toBe(0)
    const v = await both(['vacuum', tablePath], [['--retention-hours', '0']], ['--dry-run', '--no-enforce-retention']) as { dryRun: boolean; filesDeleted: string[] }
    expect(v.dryRun).toBe(true)
    expect(v.filesDeleted.length).toBeGreaterThan(0) // the files the first optimize replaced
    expect(ids(JSON.parse((await cli('scan', tablePath, '--json')).out))).toEqual(MODEL.map((r) => r.id))
  })

  it('tables and --lake', async () => {
    const a = await cli('tables', '--lake', root, '--json')
    const b = await cli('tables', `--lake=${root}`, '--json')
    expect(a.code).toBe(0)
    expect(JSON.parse(b.out)).toEqual(JSON.parse(a.out))
  })

  it('unknown, misplaced or incomplete flags are usage errors (exit 2) naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [['scan', tablePath, '--filtr', 'x'], /--filtr/],
      [['scan', tablePath, '--filter'], /--filter/],
      [['describe', tablePath, '--zorder', 'id'], /describe does not take --zorder/],
      [['vacuum', tablePath, '--dry-run=yes'], /--dry-run/],
      [['history', tablePath, '--limit='], /--limit must be a number/],
      [['history', tablePath, '--limit', 'ten'], /--limit must be a number/],
      [['pipeline', root, '--clients', '3'], /--clients/],
      [['describe', tablePath, 'extra'], /describe takes one table/],
    ]
    for (const [argv, msg] of cases) {
      const r = await cli(...argv)
      expect(r.code, argv.join(' ')).toBe(2)
      expect(r.err, argv.join(' ')).toMatch(msg)
      expect(r.err).toContain('usage: lagomago')
    }
  })

  it('as a child process, --filter=… keeps the whole value', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join('src', 'cli', 'main.ts'), 'scan', tablePath, "--filter=uf = 'RJ'", '--json'], { cwd: join(import.meta.dirname, '..', '..') })
    expect(ids(JSON.parse(stdout))).toEqual(MODEL.filter((r) => r.uf === 'RJ').map((r) => r.id))
  })
})
