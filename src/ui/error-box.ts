// The page's error message: what failed, the error's class and message, and a hint by error code,
// so a bad URL, an unsupported table or a damaged log never leaves a blank page.
import type { DeltaError } from '../index.js'
import { h } from './dom.js'

/** A clear message for what went wrong, never a blank page. */
export function errorBox(e: unknown, what: string): HTMLElement {
  const err = e as Partial<DeltaError> & Error
  const hint = {
    TABLE_NOT_FOUND: 'There is no Delta table here: the URL should name the table\'s root folder, the one holding _delta_log/.',
    UNSUPPORTED_FEATURE: 'The table uses a Delta feature this reader does not support (see the protocol\'s reader features).',
    CORRUPT_LOG: 'A commit or checkpoint of the table\'s log cannot be read: the log is damaged or was written by a faulty writer.',
    CORRUPT_DATA: 'A data file of the table cannot be decoded.',
    MISSING_FILE: 'A file the log names is missing (removed by VACUUM, or never uploaded).',
    VERSION_NOT_FOUND: 'That version is not in the log (it was cleaned up, or is newer than the table).',
    INVALID_EXPRESSION: 'The filter is not in the supported SQL subset, or names an unknown column.',
    STORAGE: 'The server did not answer as expected.',
  }[err?.code ?? ''] ?? ''
  return h('div', { class: 'error', role: 'alert', 'data-error': err?.name ?? 'Error', 'data-code': err?.code ?? '' },
    h('strong', {}, `${what}: ${err?.name ?? 'Error'}`),
    h('p', { class: 'message' }, err?.message ?? String(e)),
    hint ? h('p', { class: 'hint' }, hint) : null)
}

