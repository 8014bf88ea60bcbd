import { asText } from '../text/escape.js'
import { jsonInner, jsonString, jsonTextInner } from '../text/json-text.js'
import { epochMsJson, msJson, numberJson, roundMs } from './json-numbers.js'
import { flat } from './flat.js'

/**
 * A JSON record defined once, as a table of fields, and compiled at load into its two forms: the
 * object (what filters, listeners and `condition` see) and its JSON line written straight from
 * the source (the hot path), as format.ts compiles an nginx log_format into ops. Both walk the
 * same table, so field names, order, types and omissions cannot drift apart; the only values
 * with two renderings are the `custom` ones, whose pair a property test holds together.
 */

/**
 * How a value is held and written:
 * - `string`: a string, JSON-escaped;
 * - `text`: a byte string (latin1, as Node's parser gives request parts), held as its text (`asText`);
 * - `number`: as is (JSON `null` when not finite);
 * - `epoch-ms`: an epoch-ms time, a number;
 * - `ms`: a duration in ms, rounded to µs;
 * - `boolean`.
 */
export type ValueKind = 'string' | 'text' | 'number' | 'epoch-ms' | 'ms' | 'boolean'

export interface ValueField<S> {
  readonly name: string
  readonly kind: ValueKind
  readonly get: (src: S) => unknown
  /** Left out of the record (object and line) when the value is `undefined`. */
  readonly optional?: true
  /**
   * Usually the same as in the previous record (a method, a mode, a status). The repeating
   * fields that follow one another in one group form a run: the line keeps the run's text (its
   * keys and values' JSON, one piece) and reuses it while every value of the run stays the same.
   * Not for a `boolean` (its two texts are already one piece each).
   */
  readonly repeats?: true
}

/** A value that is the same in every record the compiled table makes (`worker`, `node`). */
export interface ConstantField {
  readonly name: string
  readonly constant: string | number | boolean
}

/** A value with its own two renderings, which must agree: `json(src) === JSON.stringify(object(src))`. */
export interface CustomField<S> {
  readonly name: string
  readonly object: (src: S) => unknown
  readonly json: (src: S) => string
  /** As a value field's `repeats`: the JSON is compared with the previous record's. */
  readonly repeats?: true
}

/** A nested object; `nullWhen` makes it `null`. */
export interface GroupField<S> {
  readonly name: string
  readonly fields: ReadonlyArray<Field<S>>
  readonly nullWhen?: (src: S) => boolean
}

export type Field<S> = ValueField<S> | ConstantField | CustomField<S> | GroupField<S>

/** Op kinds of the JSON program. Small integers, so that the render loop switches on a Smi. */
const TEXT = 0
const STRING = 1
const BYTE_TEXT = 2
const NUMBER = 3
const EPOCH_MS = 4
const MS = 5
const BOOLEAN = 6
const CUSTOM = 7
const OPTIONAL = 8
const NULLABLE = 9
const RUN = 10

/**
 * One step of the JSON program: the constant text before it, then its value. Every op has the
 * same shape, so the loop's loads stay monomorphic. What costs is the number of pieces joined
 * (each is a node of a rope, walked again when the line is flattened), so ops carry more than
 * one piece where that saves one:
 * - BOOLEAN: `ifTrue`/`ifFalse` are `true`/`false` with the text after them (the next op's is empty);
 * - OPTIONAL: `ifTrue` is the text before a present value (`,"error":`);
 * - NULLABLE: `skip` is the count of the group's ops, passed over when the group is `null`;
 * - RUN: the fields that `repeat`, one after another in one group (`members`, each an op of its
 *   own with its text and kind); `lastIn` holds their values in the last record written, and
 *   `lastOut` that record's text of the run, made flat on its first reuse (`flatOut`).
 */
interface Op<S> {
  text: string
  readonly kind: number
  readonly get: (src: S) => unknown
  ifTrue: string
  ifFalse: string
  skip: number
  readonly members: Array<Op<S>>
  readonly lastIn: unknown[]
  /** Whether `lastIn` and `lastOut` hold a record's run (none before the first). */
  filled: boolean
  lastOut: string
  flatOut: boolean
}

function newOp<S> (text: string, kind: number, get: (src: S) => unknown): Op<S> {
  return { text, kind, get, ifTrue: '', ifFalse: '', skip: 0, members: [], lastIn: [], filled: false, lastOut: '', flatOut: false }
}

const NONE = (): undefined => undefined

const KIND_OPS: Readonly<Record<ValueKind, number>> = {
  string: STRING, text: BYTE_TEXT, number: NUMBER, 'epoch-ms': EPOCH_MS, ms: MS, boolean: BOOLEAN
}

/** Kinds whose JSON value is a string: their quotes go into the constant text around them. */
function quoted (kind: ValueKind): boolean {
  return kind === 'string' || kind === 'text'
}

function isGroup<S> (f: Field<S>): f is GroupField<S> {
  return 'fields' in f
}

function isConstant<S> (f: Field<S>): f is ConstantField {
  return 'constant' in f
}

function isCustom<S> (f: Field<S>): f is CustomField<S> {
  return 'json' in f
}

/** The JSON text of a field's name and colon. Names are the table's own ASCII identifiers. */
function keyJson (name: string): string {
  return jsonString(name) + ':'
}

function constantJson (v: string | number | boolean): string {
  return typeof v === 'string' ? jsonString(v) : typeof v === 'number' ? numberJson(v) : v ? 'true' : 'false'
}

/** Compiles the fields into ops; constant text between values is merged into one piece. */
class Compiler<S> {
  readonly ops: Array<Op<S>> = []
  private pending = ''
  /** The last op is a RUN that the next repeating field of the same group joins. */
  private runOpen = false

  group (fields: ReadonlyArray<Field<S>>): void {
    this.runOpen = false
    this.pending += '{'
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]
      const key = (i === 0 ? '' : ',') + keyJson(f.name)
      if (isConstant(f)) {
        this.pending += key + constantJson(f.constant)
      } else if (isCustom(f)) {
        this.pending += key
        this.push(CUSTOM, f.json, f.repeats === true)
      } else if (isGroup(f)) {
        this.pending += key
        if (f.nullWhen === undefined) {
          this.group(f.fields)
        } else {
          const nullable = this.push(NULLABLE, f.nullWhen, false)
          const at = this.ops.length
          this.group(f.fields)
          // The group's closing brace belongs to the group: a null group writes none.
          this.push(TEXT, NONE, false)
          nullable.skip = this.ops.length - at
        }
      } else if (f.optional === true) {
        // Whether its key is written depends on the value, so it cannot join the constant text.
        if (i === 0 || f.kind !== 'string') throw new TypeError(`record table: optional field "${f.name}" must be a string after another field`)
        this.push(OPTIONAL, f.get, false).ifTrue = key
      } else {
        if (f.kind === 'boolean' && f.repeats === true) throw new TypeError(`record table: boolean field "${f.name}" cannot repeat`)
        this.pending += key + (quoted(f.kind) ? '"' : '')
        this.push(KIND_OPS[f.kind], f.get, f.repeats === true)
        if (quoted(f.kind)) this.pending = '"'
      }
    }
    this.pending += '}'
    this.runOpen = false
  }

  private push (kind: number, get: (src: S) => unknown, repeats: boolean): Op<S> {
    this.joinToBoolean()
    const op = newOp(this.pending, kind, get)
    this.pending = ''
    if (!repeats) {
      this.ops.push(op)
      this.runOpen = false
      return op
    }
    if (!this.runOpen) {
      this.ops.push(newOp<S>('', RUN, NONE))
      this.runOpen = true
    }
    this.ops[this.ops.length - 1].members.push(op)
    return op
  }

  /** The text after a boolean joins its `true` and `false`. */
  private joinToBoolean (): void {
    const prev = this.ops[this.ops.length - 1]
    if (prev === undefined || prev.kind !== BOOLEAN || prev.ifTrue !== '') return
    prev.ifTrue = 'true' + this.pending
    prev.ifFalse = 'false' + this.pending
    this.pending = ''
  }

  /** The text after the last value. */
  finish (): string {
    this.joinToBoolean()
    const tail = this.pending
    this.pending = ''
    return tail
  }
}

/** The JSON of a value of one of the kinds the table derives both forms of. */
function valueJson (kind: number, v: unknown): string {
  switch (kind) {
    case STRING: return jsonInner(v as string)
    case BYTE_TEXT: return jsonTextInner(v as string)
    case NUMBER: return numberJson(v as number)
    case EPOCH_MS: return epochMsJson(v as number)
    case MS: return msJson(v as number)
    default: return v as string
  }
}

/**
 * A RUN's text in this record: the last record's when every value is the same (`Object.is`;
 * each value's JSON is a function of the value alone, so the same values give the same text),
 * else made again from the values, which are kept for the next record.
 */
function runJson<S> (run: Op<S>, src: S): string {
  const members = run.members
  const last = run.lastIn
  let same = run.filled
  for (let k = 0; k < members.length; k++) {
    const v = members[k].get(src)
    if (!Object.is(v, last[k])) {
      last[k] = v
      same = false
    }
  }
  if (same) {
    if (!run.flatOut) {
      flat(run.lastOut)
      run.flatOut = true
    }
    return run.lastOut
  }
  let out = ''
  for (let k = 0; k < members.length; k++) out += members[k].text + valueJson(members[k].kind, last[k])
  run.lastOut = out
  run.flatOut = false
  run.filled = true
  return out
}

/** A step of the object builder, of one shape as the JSON ops are; its kind is an op kind (how the value is held). */
interface Setter<S> {
  readonly name: string
  readonly kind: number
  readonly get: (src: S) => unknown
  /** For a group (NULLABLE, whether or not it may be null): its own setters and template. */
  readonly group: ObjectProgram<S> | null
  readonly nullWhen: ((src: S) => boolean) | null
}

/**
 * The object form of a group: a copy of a template that holds every field (so every record has
 * one shape from the start, in table order), then each value set in place.
 */
interface ObjectProgram<S> {
  readonly template: Readonly<Record<string, unknown>>
  readonly setters: ReadonlyArray<Setter<S>>
}

function compileObject<S> (fields: ReadonlyArray<Field<S>>): ObjectProgram<S> {
  const template: Record<string, unknown> = {}
  const setters: Array<Setter<S>> = []
  const setter = (name: string, kind: number, get: (src: S) => unknown, group: ObjectProgram<S> | null = null, nullWhen: ((src: S) => boolean) | null = null): void => {
    setters.push({ name, kind, get, group, nullWhen })
  }
  for (const f of fields) {
    if (isConstant(f)) {
      template[f.name] = f.constant
      continue
    }
    // An optional field is added when present, after the others: the table puts it last.
    if (!isGroup(f) && !isCustom(f) && f.optional === true) {
      setter(f.name, OPTIONAL, f.get)
      continue
    }
    template[f.name] = null
    if (isCustom(f)) setter(f.name, CUSTOM, f.object)
    else if (isGroup(f)) setter(f.name, NULLABLE, NONE, compileObject(f.fields), f.nullWhen ?? null)
    else setter(f.name, KIND_OPS[f.kind], f.get)
  }
  return { template, setters }
}

function buildObject<S> (p: ObjectProgram<S>, src: S): Record<string, unknown> {
  const out: Record<string, unknown> = { ...p.template }
  const setters = p.setters
  for (let i = 0; i < setters.length; i++) {
    const f = setters[i]
    switch (f.kind) {
      case BYTE_TEXT: out[f.name] = asText(f.get(src) as string); break
      case MS: out[f.name] = roundMs(f.get(src) as number); break
      case OPTIONAL: {
        const v = f.get(src)
        if (v !== undefined) out[f.name] = v
        break
      }
      case NULLABLE:
        out[f.name] = f.nullWhen !== null && f.nullWhen(src) ? null : buildObject(f.group as ObjectProgram<S>, src)
        break
      default: out[f.name] = f.get(src)
    }
  }
  return out
}

export interface CompiledRecord<S, R> {
  /** The record as an object. */
  build(src: S): R
  /** Its JSON line: exactly the json writer's line of `build(src)`. */
  json(src: S): string
}

class RecordProgram<S, R> implements CompiledRecord<S, R> {
  constructor (private readonly object: ObjectProgram<S>, private readonly ops: ReadonlyArray<Op<S>>, private readonly tail: string) {}

  build (src: S): R {
    return buildObject(this.object, src) as R
  }

  /** An own property, so that a producer can hand it on without a wrapper call. */
  readonly json = (src: S): string => {
    const ops = this.ops
    let out = ''
    // The last byte string written and its JSON: a path without a query is its uri again.
    let lastText: unknown
    let lastTextJson = ''
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]
      out += op.text
      switch (op.kind) {
        case TEXT: break
        case RUN: out += runJson(op, src); break
        case STRING: out += jsonInner(op.get(src) as string); break
        case BYTE_TEXT: {
          const v = op.get(src) as string
          if (v !== lastText) {
            lastText = v
            lastTextJson = jsonTextInner(v)
          }
          out += lastTextJson
          break
        }
        case NUMBER: out += numberJson(op.get(src) as number); break
        case EPOCH_MS: out += epochMsJson(op.get(src) as number); break
        case MS: out += msJson(op.get(src) as number); break
        case BOOLEAN: out += op.get(src) === true ? op.ifTrue : op.ifFalse; break
        case CUSTOM: out += op.get(src) as string; break
        case OPTIONAL: {
          const v = op.get(src)
          if (v !== undefined) out += op.ifTrue + jsonString(v as string)
          break
        }
        case NULLABLE:
          if (op.get(src) === true) {
            out += 'null'
            i += op.skip
          }
          break
      }
    }
    return out + this.tail
  }
}

/** Compiles a record table into its object builder and its JSON writer. */
export function compileRecord<S, R> (fields: ReadonlyArray<Field<S>>): CompiledRecord<S, R> {
  const c = new Compiler<S>()
  c.group(fields)
  return new RecordProgram<S, R>(compileObject(fields), c.ops, c.finish())
}
