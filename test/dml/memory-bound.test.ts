// The memory bound of MERGE and scan as a regression guard (issue 17): a table whose rows decoded
// take several times the child's heap limit (wide string rows, every file touched by the merge) is
// merged into and then scanned in a child process under `--max-old-space-size`. A merge that held
// the table (or a scan that held more than a batch) would die of heap exhaustion there. The figures
// at 10M–100M rows are the bench's (`npm run bench -- scale`, docs/benchmarks.md).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import { runJsonLinesChild } from '../json-lines-child.js'

const FILES = 16
const PER_FILE = 3_000
/** Each note is this long and distinct: the table's notes alone, decoded, are FILES × PER_FILE × 2 KB ≈ 94 MiB. */
const NOTE = 2_048
/** The child's old-space limit (young generation 1 MiB semi-spaces): under half the decoded table, a few times one file's 6 MiB of notes. */
const HEAP_MIB = 40

const note = (id: number, v: number) => `${id}:${v}:`.padEnd(NOTE, 'abcdefgh')
const dir = mkdtempSync(join(tmpdir(), 'lagomago-memory-bound-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('memory bound', () => {
  it(`a CDC merge touching every file of a ${FILES * PER_FILE}-row table of 2 KB rows, then a full scan, fit a ${HEAP_MIB} MiB heap`, async () => {
    const table = join(dir, 't')
    const t = await DeltaTable.create(table, {
      schema: { type: 'struct', fields: [
        { name: 'id', type: 'long', nullable: false, metadata: {} },
        { name: 'qty', type: 'integer', nullable: true, metadata: {} },
        { name: 'note', type: 'string', nullable: true, metadata: {} },
      ] },
    })
    // the model: id → [qty, note length], ids ascending across files as an ingest writes them
    const model = new Map<number, number>()
    for (let f = 0; f < FILES; f++) {
      const rows = Array.from({ length: PER_FILE }, (_, i) => f * PER_FILE + i).map((id) => ({ id: BigInt(id), qty: id % 97, note: note(id, 0) }))
      await t.append(rows)
      for (const r of rows) model.set(Number(r.id), r.note.length)
    }
    // 10 updates and 2 deletes in every file, 30 inserts after the last id
    const batch: Array<Record<string, unknown>> = []
    for (let f = 0; f < FILES; f++) {
      for (let k = 0; k < 12; k++) {
        const id = f * PER_FILE + ((k * 331 + f * 17) % PER_FILE)
        if (k < 10) { batch.push({ op: 'U', id: String(id), qty: -1, note: `u${id}` }); model.set(id, `u${id}`.length) } else { batch.push({ op: 'D', id: String(id) }); model.delete(id) }
      }
    }
    for (let i = 0; i < 30; i++) { const id = FILES * PER_FILE + i; batch.push({ op: 'I', id: String(id), qty: 1, note: note(id, 1) }); model.set(id, NOTE) }
    const batchFile = join(dir, 'batch.json')
    writeFileSync(batchFile, JSON.stringify(batch))

    const [out] = await runJsonLinesChild<{ metrics: Record<string, number>; rows: number; noteChars: number; idSum: string; heapLimitMiB: number }>(
      join(import.meta.dirname, 'memory-bound-child.ts'), [table, batchFile], 'merge under a small heap', [`--max-old-space-size=${HEAP_MIB}`, '--max-semi-space-size=1'])
    // the limit was in force: the whole heap (old space plus the young generation) is under half the table's notes
    expect(out.heapLimitMiB * 2 ** 20 * 2).toBeLessThan(FILES * PER_FILE * NOTE)
    expect(out.metrics).toMatchObject({ numTargetFilesScanned: FILES, numTargetRowsUpdated: FILES * 10, numTargetRowsDeleted: FILES * 2, numTargetRowsInserted: 30 })
    let chars = 0
    let idSum = 0n
    for (const [id, len] of model) { chars += len; idSum += BigInt(id) }
    expect({ rows: out.rows, noteChars: out.noteChars, idSum: out.idSum }).toEqual({ rows: model.size, noteChars: chars, idSum: String(idSum) })
  }, 120_000)
})
