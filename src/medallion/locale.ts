// How text values are read when cast to a declared schema: ISO by default (yyyy-MM-dd dates, true/false
// booleans, '.' decimals), or a locale's rules when asked for (`locale: 'pt-BR'`: dd/MM/yyyy dates,
// sim/não booleans, ',' decimals with '.' thousands groups), or an explicit `dateFormat`. Nothing is
// guessed: a value that does not follow the rules in force is not read some other way.
import { InvalidArgumentError } from '../index.js'

/** Text rules for casting raw text: locale, date pattern. */
export interface LocaleOptions {
  /** Text rules of a locale; default none (ISO). 'pt-BR': dd/MM/yyyy dates, sim/não booleans, decimal commas. */
  locale?: 'pt-BR'
  /** Pattern of text dates (and of the date part of timestamps): yyyy, MM or M, dd or d, and one separator. Default yyyy-MM-dd, or the locale's. */
  dateFormat?: string
}

export const LOCALE_OPTIONS = ['locale', 'dateFormat'] as const

export interface TextRules {
  dateFormat: string
  /** Matches a whole date text; groups named y, m, d. */
  date: RegExp
  /** ',' is the decimal separator and '.' groups thousands (otherwise '.' is the decimal point, no grouping). */
  decimalComma: boolean
  trueWords: ReadonlySet<string>
  falseWords: ReadonlySet<string>
}

const LOCALES: Record<string, { dateFormat: string; decimalComma: boolean; trueWords: string[]; falseWords: string[] }> = {
  'pt-BR': { dateFormat: 'dd/MM/yyyy', decimalComma: true, trueWords: ['sim'], falseWords: ['não', 'nao'] },
}

const TOKENS: Record<string, string> = { yyyy: '(?<y>\\d{4})', MM: '(?<m>\\d{2})', M: '(?<m>\\d{1,2})', dd: '(?<d>\\d{2})', d: '(?<d>\\d{1,2})' }

/** A date pattern as a regex, or an error naming what is wrong with it. */
function dateRegex(pattern: string): RegExp {
  const parts = /^(yyyy|MM|M|dd|d)([-/.])(yyyy|MM|M|dd|d)\2(yyyy|MM|M|dd|d)$/.exec(pattern)
  const fields = parts ? [parts[1], parts[3], parts[4]].map((t) => t[0]) : []
  if (!parts || new Set(fields).size !== 3) {
    throw new InvalidArgumentError(`dateFormat ${JSON.stringify(pattern)} is not a date pattern: expected yyyy, MM (or M) and dd (or d) once each, separated by one of - / . (e.g. yyyy-MM-dd, dd/MM/yyyy, MM/dd/yyyy)`)
  }
  const sep = parts[2] === '.' ? '\\.' : parts[2]
  return new RegExp(`^${TOKENS[parts[1]]}${sep}${TOKENS[parts[3]]}${sep}${TOKENS[parts[4]]}`)
}

/** The rules in force for `options` (validated: an unknown locale or a bad pattern is an error). */
export function textRules(options: LocaleOptions = {}): TextRules {
  const loc = options.locale === undefined ? undefined : LOCALES[options.locale]
  if (options.locale !== undefined && !loc) {
    throw new InvalidArgumentError(`unknown locale ${JSON.stringify(options.locale)}: supported ${Object.keys(LOCALES).join(', ')} (or none, for ISO text; pass dateFormat for other date orders)`)
  }
  const dateFormat = options.dateFormat ?? loc?.dateFormat ?? 'yyyy-MM-dd'
  return {
    dateFormat,
    date: dateRegex(dateFormat),
    decimalComma: loc?.decimalComma ?? false,
    trueWords: new Set(['true', ...(loc?.trueWords ?? [])]),
    falseWords: new Set(['false', ...(loc?.falseWords ?? [])]),
  }
}

/**
 * Plain decimal text ('-1234.5', digits with at most one '.') of a number written under the rules,
 * or undefined. With decimal commas: '1.234,56', '1234,56', '1.234' (a thousands group); a '.' that
 * is no thousands group ('12.5') is refused rather than read as a decimal point.
 */
export function numberText(text: string, rules: TextRules): string | undefined {
  const s = text.trim()
  if (rules.decimalComma) {
    const m = /^([+-]?)(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?$/.exec(s)
    if (!m) return undefined
    return `${m[1]}${m[2].replaceAll('.', '')}${m[3] === undefined ? '' : `.${m[3]}`}`
  }
  return /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s) ? s : undefined
}

const pad2 = (n: string): string => n.padStart(2, '0')

function daysIn(y: number, m: number): number {
  return m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31
}

/** The text's date under the rules as yyyy-MM-dd, and what follows it; undefined when it is no valid date. */
export function datePrefix(text: string, rules: TextRules): { iso: string; rest: string } | undefined {
  const m = rules.date.exec(text)
  if (!m?.groups) return undefined
  const y = Number(m.groups.y), mo = Number(m.groups.m), d = Number(m.groups.d)
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo)) return undefined
  return { iso: `${m.groups.y}-${pad2(m.groups.m)}-${pad2(m.groups.d)}`, rest: text.slice(m[0].length) }
}

/** A time part after a date: ' ' or 'T', HH:mm[:ss[.fraction]], optional zone (Z, ±HH, ±HHMM, ±HH:MM). */
const TIME = /^[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i

/** The text's timestamp under the rules as ISO-8601 text, or undefined. */
export function timestampText(text: string, rules: TextRules): string | undefined {
  const s = text.trim()
  const date = datePrefix(s, rules)
  if (!date) return undefined
  if (date.rest === '') return `${date.iso}T00:00:00`
  const t = TIME.exec(date.rest)
  if (!t) return undefined
  const [, hh, mm, ss = '00', frac = '', zone = ''] = t
  if (Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 59) return undefined
  if (zone.length > 1 && (Number(zone.slice(1, 3)) > 18 || Number(zone.replace(':', '').slice(3) || 0) > 59)) return undefined
  return `${date.iso}T${hh}:${mm}:${ss}${frac}${zone.toUpperCase()}`
}
