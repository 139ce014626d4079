// The MERGE builder: `table.merge(source, { on })` then when-clauses in order (several of one kind
// allowed; the first whose condition holds wins, as Delta), then `await` it (or `execute()`: the same
// run). Execution lives in merge-exec.ts; this file only collects and validates the clauses.
import { InvalidArgumentError } from '../errors.js'
import type { ExprLike } from '../expr/bind.js'
import type { Snapshot } from '../log/snapshot.js'
import type { WriteData } from '../write/input.js'
import type { Assignments, ClauseSpec } from './clauses.js'
import { executeMerge, type MergeClauses } from './merge-exec.js'
import type { MergeOptions, MergeResult } from './merge-types.js'
import type { WriteWarning } from '../errors.js'

/** A WHEN … UPDATE clause: the SET assignments and an optional condition. */
export interface UpdateClauseOptions { set: Assignments; condition?: ExprLike }
/** A WHEN NOT MATCHED INSERT clause: the inserted values and an optional condition. */
export interface InsertClauseOptions { values: Assignments; condition?: ExprLike }
/** The optional condition of a clause that takes no assignments. */
export interface ConditionOption { condition?: ExprLike }

function conditionOf(c: ConditionOption | ExprLike | undefined): ExprLike | undefined {
  if (c === undefined || c === null) return undefined
  if (typeof c === 'string') return c
  if (typeof c === 'object' && 'kind' in c) return c as ExprLike
  return (c as ConditionOption).condition
}

/**
 * Collects the when-clauses of a MERGE. Awaitable (docs/api.md): `await builder` and `execute()` run
 * the merge once and share one promise, so a built merge is never dropped and never runs twice.
 * @example
 * const r = await t.merge(updates, { on: 'id' })
 *   .whenMatchedUpdate({ set: { price: 'source.price' }, condition: 'source.price <> target.price' })
 *   .whenNotMatchedInsertAll()
 */
export class MergeBuilder implements PromiseLike<MergeResult> {
  private readonly clauses: MergeClauses = { matched: [], notMatched: [], notMatchedBySource: [] }
  private run: Promise<MergeResult> | undefined

  constructor(
    private readonly snapshot: () => Snapshot,
    private readonly source: WriteData,
    private readonly options: MergeOptions,
    /** Called with the committed version (the table handle moves to it); returns post-commit warnings. */
    private readonly onCommit?: (version: number) => Promise<WriteWarning[] | void>,
  ) {
    if (!options || options.on === undefined || options.on === null) {
      throw new InvalidArgumentError('merge needs options.on: key column names or a condition such as "t.id = s.id"')
    }
  }

  private add(kind: keyof MergeClauses, clause: ClauseSpec): this {
    if (this.run) throw new InvalidArgumentError('this merge already ran; start a new one to add clauses')
    this.clauses[kind].push(clause)
    return this
  }

  /** Update matched target rows: `set` maps columns to SQL expressions (or plain values). */
  whenMatchedUpdate(o: UpdateClauseOptions): this {
    if (!o?.set || Object.keys(o.set).length === 0) throw new InvalidArgumentError('whenMatchedUpdate needs a non-empty set')
    return this.add('matched', { kind: 'update', condition: o.condition, assign: o.set })
  }

  /** Update matched target rows with every source column of the same name. */
  whenMatchedUpdateAll(o?: ConditionOption | ExprLike): this {
    return this.add('matched', { kind: 'update', condition: conditionOf(o), assign: 'all' })
  }

  whenMatchedDelete(o?: ConditionOption | ExprLike): this {
    return this.add('matched', { kind: 'delete', condition: conditionOf(o) })
  }

  /** Insert source rows with no match: `values` maps columns to expressions over the source. */
  whenNotMatchedInsert(o: InsertClauseOptions): this {
    if (!o?.values || Object.keys(o.values).length === 0) throw new InvalidArgumentError('whenNotMatchedInsert needs non-empty values')
    return this.add('notMatched', { kind: 'insert', condition: o.condition, assign: o.values })
  }

  whenNotMatchedInsertAll(o?: ConditionOption | ExprLike): this {
    return this.add('notMatched', { kind: 'insert', condition: conditionOf(o), assign: 'all' })
  }

  /** Update target rows no source row matches (expressions over the target only). */
  whenNotMatchedBySourceUpdate(o: UpdateClauseOptions): this {
    if (!o?.set || Object.keys(o.set).length === 0) throw new InvalidArgumentError('whenNotMatchedBySourceUpdate needs a non-empty set')
    return this.add('notMatchedBySource', { kind: 'update', condition: o.condition, assign: o.set })
  }

  whenNotMatchedBySourceDelete(o?: ConditionOption | ExprLike): this {
    return this.add('notMatchedBySource', { kind: 'delete', condition: conditionOf(o) })
  }

  /**
   * Run the merge: one commit (none when nothing changes); resolves with `{ version, metrics }`.
   * Called again (or the builder awaited) it returns the same promise: the merge runs once.
   */
  execute(): Promise<MergeResult> {
    this.run ??= this.runOnce()
    return this.run
  }

  /** `await builder` runs `execute()`. */
  then<R1 = MergeResult, R2 = never>(
    onFulfilled?: ((value: MergeResult) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.execute().then(onFulfilled, onRejected)
  }

  private async runOnce(): Promise<MergeResult> {
    const c = this.clauses
    if (c.matched.length + c.notMatched.length + c.notMatchedBySource.length === 0) {
      throw new InvalidArgumentError('merge needs at least one when… clause (whenMatchedUpdateAll(), whenNotMatchedInsertAll()…) before it runs')
    }
    // Delta: only the last clause of a kind may be unconditional (later ones could never apply)
    for (const [kind, list] of Object.entries(c) as [string, ClauseSpec[]][]) {
      list.forEach((cl, i) => {
        if (!cl.condition && i < list.length - 1) throw new InvalidArgumentError(`in ${kind} clauses, only the last may lack a condition (clause ${i + 1} of ${list.length} has none)`)
      })
    }
    const r = await executeMerge(this.snapshot(), this.source, c, this.options)
    const warnings = this.onCommit ? await this.onCommit(r.version) : undefined
    return warnings ? { ...r, warnings } : r
  }
}
