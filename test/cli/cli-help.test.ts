// The help text is true: `lagomago --help` lists every command the CLI runs, `lagomago <command>
// --help` lists exactly the flags that command accepts (probed through the parser: a flag given with
// --help is accepted or refused before anything runs), required flags are shown unbracketed, and the
// flag descriptions that promise a behaviour are checked against it.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/main.js'
import { DeltaTable } from '../../src/index.js'

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

/** The commands runCli dispatches (src/cli/main.ts), written here on purpose: a new one must be added to the help and here. */
const COMMANDS = ['describe', 'history', 'scan', 'changes', 'optimize', 'vacuum', 'tables', 'pipeline', 'ui']

/** `--flag ARG` pairs of a help's flag lines (`  --limit N   at most…`): the flag and whether it takes a value. */
function flagLines(help: string): Map<string, boolean> {
  const out = new Map<string, boolean>()
  for (const m of help.matchAll(/^ {2}(--[a-z-]+)( [^ ]+)? {2,}\S/gm)) out.set(m[1]!, m[2] !== undefined)
  return out
}

describe('lagomago --help', () => {
  it('exits 0 with the overview (no command at all is a usage error, exit 2)', async () => {
    expect((await cli('--help')).code).toBe(0)
    expect((await cli('help')).code).toBe(0)
    const none = await cli()
    expect(none.code).toBe(2)
    expect(none.out).toContain('usage: lagomago')
  })

  it('lists every command the CLI runs, and nothing else', async () => {
    const help = (await cli('--help')).out
    const section = help.slice(help.indexOf('commands:'), help.indexOf('every command:'))
    expect([...section.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1])).toEqual(COMMANDS)
    const unknown = await cli('frobnicate', 'x')
    expect(unknown.code).toBe(2)
    expect(unknown.err).toContain('unknown command frobnicate')
  })
})

describe('lagomago <command> --help', () => {
  // Every flag any help mentions: the probe set
  let universe: Map<string, boolean>
  beforeAll(async () => {
    universe = flagLines((await cli('--help')).out)
    for (const c of COMMANDS) for (const [f, v] of flagLines((await cli(c, '--help')).out)) universe.set(f, v)
    expect(universe.size).toBeGreaterThan(15)
  })

  for (const command of COMMANDS) {
    it(`${command}: its synopsis and flag list name exactly the flags it accepts`, async () => {
      const help = await cli(command, '--help')
      expect(help.code).toBe(0)
      expect(help.out.split('\n')[0]).toMatch(new RegExp(`^usage: lagomago ${command} `))
      const listed = flagLines(help.out)
      const synopsis = new Set([...help.out.split('\n')[0]!.matchAll(/--[a-z-]+/g)].map((m) => m[0]))
      expect([...synopsis, '--help'].sort()).toEqual([...listed.keys()].sort()) // --help: in the list, not the synopsis
      for (const [flag, takesValue] of universe) {
        const probe = await cli(command, flag, ...(takesValue ? ['1'] : []), '--help')
        if (listed.has(flag)) expect(probe.code, `${command} ${flag}`).toBe(0)
        else {
          expect(probe.code, `${command} ${flag}`).toBe(2)
          expect(probe.err).toContain(`${command} does not take ${flag}`)
        }
      }
    })
  }

  it('a required flag is unbracketed in the synopsis, and the command refuses to run without it', async () => {
    const first = (await cli('changes', '--help')).out.split('\n')[0]!
    expect(first).toContain('changes <table> --from V ')
    const r = await cli('changes', 'memory://cli-help-none')
    expect(r.code).not.toBe(0)
  })
})

describe('what the flag descriptions promise', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lagomago-cli-help-'))
    const t = await DeltaTable.create(join(dir, 't'), {
      schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }] },
      properties: { 'delta.enableChangeDataFeed': 'true' },
    })
    await t.append([{ id: 1n }, { id: 2n }, { id: 3n }])
    await t.append([{ id: 4n }])
  })
  afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

  it('--limit N: at most N rows of scan and changes, with --json too', async () => {
    for (const argv of [['scan', join(dir, 't')], ['changes', join(dir, 't'), '--from', '0']]) {
      const all = JSON.parse((await cli(...argv, '--json')).out) as unknown[]
      expect(all.length, argv[0]).toBe(4)
      expect((JSON.parse((await cli(...argv, '--json', '--limit', '2')).out) as unknown[]).length, argv[0]).toBe(2)
    }
  })

  it('--to V: the feed ends at the version opened by default', async () => {
    const rows = JSON.parse((await cli('changes', join(dir, 't'), '--from', '1', '--version', '1', '--json')).out) as { id: number }[]
    expect(rows.map((r) => r.id).sort()).toEqual([1, 2, 3])
  })

  it('--lake <dir>: catalog names resolve under it', async () => {
    const r = await cli('describe', 'bronze.none', '--lake', dir, '--json')
    expect(r.code).toBe(1)
    expect(r.err).toContain(join(dir, 'bronze'))
  })
})
