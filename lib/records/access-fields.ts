import type { RecordSource } from '../access/record-source.js'
import { pathOf } from '../access/request-parts.js'
import type { Field } from './record-table.js'
import { argsPart, headerBlock, requestHeaders, responseHeaders } from './record-parts.js'
import { requestHeadersJson, responseHeadersJson } from './headers-json.js'

/**
 * The access record's fields (DESIGN.md "Wire formats: access", Kong tcp-log style), in the order
 * they are written: each field's JSON name, where its value comes from, its kind (how it is held
 * and escaped, record-table.ts), when it is left out, and whether it usually repeats from one
 * record to the next (a method, a mode, a client's headers, a response's size: the repeating fields
 * that follow one another in a group are one run, whose text the line reuses while all its
 * values stay the same; a field that changes with every request breaks the run). The object
 * form and the JSON line are both compiled from this table (access-record.ts). `worker` and
 * `node` are the producer's.
 */
export function accessFields (worker: number, node: string): ReadonlyArray<Field<RecordSource>> {
  return [
    { name: 'type', constant: 'access' },
    { name: 'id', kind: 'string', get: s => s.ctx.id },
    { name: 'started_at', kind: 'epoch-ms', get: s => s.ctx.startedAt },
    { name: 'host', kind: 'text', get: s => s.ctx.domain, repeats: true },
    { name: 'client_ip', kind: 'string', get: s => s.clientIp, repeats: true },
    { name: 'client_port', kind: 'number', get: s => s.clientPort },
    {
      name: 'request',
      fields: [
        { name: 'method', kind: 'string', get: s => s.req.method ?? '', repeats: true },
        { name: 'uri', kind: 'text', get: s => s.req.url ?? '', repeats: true },
        { name: 'path', kind: 'text', get: s => pathOf(s.req.url ?? ''), repeats: true },
        { name: 'args', kind: 'text', get: s => argsPart(s.req.url ?? ''), repeats: true },
        { name: 'http_version', kind: 'string', get: s => s.req.httpVersion, repeats: true },
        { name: 'headers', object: s => requestHeaders(s.req.headers, s.redact), json: s => requestHeadersJson(s.req.headers, s.redact), repeats: true },
        { name: 'size', kind: 'number', get: s => s.ctx.bytesIn, repeats: true }
      ]
    },
    {
      name: 'response',
      fields: [
        { name: 'status', kind: 'number', get: s => s.status, repeats: true },
        { name: 'headers', object: s => responseHeaders(headerBlock(s), s.redact), json: s => responseHeadersJson(headerBlock(s), s.redact, s.ctx.id), repeats: true },
        { name: 'size', kind: 'number', get: s => s.ctx.bytesOut, repeats: true }
      ]
    },
    {
      name: 'upstream',
      nullWhen: s => s.ctx.upstream === undefined,
      fields: [
        { name: 'addr', kind: 'string', get: s => s.ctx.upstream?.addr, repeats: true },
        { name: 'status', kind: 'number', get: s => s.ctx.upstream?.status, repeats: true },
        { name: 'response_time', kind: 'ms', get: s => s.ctx.upstream?.durationMs }
      ]
    },
    {
      name: 'latencies',
      fields: [
        { name: 'request', kind: 'ms', get: s => s.requestMs },
        { name: 'proxy', kind: 'ms', get: s => s.ctx.upstream?.durationMs ?? 0 },
        { name: 'waf', kind: 'ms', get: s => s.ctx.wafMs }
      ]
    },
    {
      name: 'waf',
      fields: [
        { name: 'mode', kind: 'string', get: s => s.ctx.policy.mode, repeats: true },
        { name: 'action', kind: 'string', get: s => s.ctx.action, repeats: true },
        { name: 'attacks', kind: 'number', get: s => s.ctx.attacks.length, repeats: true },
        { name: 'bot', kind: 'boolean', get: s => s.ctx.bot },
        { name: 'cc', kind: 'boolean', get: s => s.ctx.cc }
      ]
    },
    { name: 'worker', constant: worker },
    { name: 'node', constant: node },
    /** Only for a request the HTTP parser refused: the parser's error code. */
    { name: 'error', kind: 'string', get: s => s.error, optional: true }
  ]
}
