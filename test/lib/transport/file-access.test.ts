import t from 'tap'
import type { Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod } from 'node:fs/promises'
import path from 'node:path'
import { SocketTransport } from '../../../lib/transport/transport.js'
import { fileUnwritable } from '../../../lib/transport/file-access.js'

/**
 * A file channel that cannot write its file is an error when the transport starts, naming the
 * channel and the path, as nginx refuses to start with a log it cannot open: never a start that
 * then drops every line in silence.
 */

const asRoot = process.getuid?.() === 0

function refused (t: Test, channels: Record<string, string>, name: string, url: string, why: RegExp): void {
  let message = ''
  try {
    new SocketTransport({ channels }).close().catch(() => {})
  } catch (err) {
    message = (err as Error).message
  }
  t.ok(message.includes(`channel "${name}" cannot write ${url}: `), `names the channel and the URL: ${message}`)
  t.match(message, why, 'and says why')
}

t.test('a directory that does not exist', async t => {
  const file = path.join(t.testdir(), 'missing', 'forensic.log')
  refused(t, { forensic: `file://${file}` }, 'forensic', `file://${file}`, new RegExp(`the directory ${path.dirname(file)} does not exist`))
})

t.test('a path under a regular file', async t => {
  const dir = t.testdir({ plain: 'not a folder' })
  const file = path.join(dir, 'plain', 'access.log')
  refused(t, { access: `file://${file}` }, 'access', `file://${file}`, /plain is not a directory$/)
  const deeper = path.join(dir, 'plain', 'sub', 'access.log')
  refused(t, { access: `file://${deeper}` }, 'access', `file://${deeper}`, /plain is not a directory$/)
})

t.test('a directory where the file should be', async t => {
  const dir = t.testdir({ 'attack.log': {} })
  const file = path.join(dir, 'attack.log')
  refused(t, { attack: `file://${file}` }, 'attack', `file://${file}`, /attack\.log is a directory/)
})

/**
 * Root passes every permission check, so as root the read-only cases run in a child process as
 * `nobody`, with the built transport (dist/); otherwise here.
 */
const NOBODY = 65534
const BUILT = new URL('../../../dist/lib/transport/transport.js', import.meta.url)

async function refusalOf (channels: Record<string, string>): Promise<string> {
  if (!asRoot) {
    try {
      await new SocketTransport({ channels }).close()
      return ''
    } catch (err) {
      return (err as Error).message
    }
  }
  const script = `import(${JSON.stringify(BUILT.href)}).then(m => { try { new m.SocketTransport({ channels: ${JSON.stringify(channels)} }).close() } catch (e) { process.stdout.write(e.message) } })`
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`the check as nobody failed: ${r.stderr}`)
  return r.stdout
}

t.test('a read-only directory and a read-only file', { skip: asRoot && !existsSync(BUILT) ? 'running as root, and dist/ is not built for the check as nobody: run `npm run build`' : false }, async t => {
  const dir = t.testdir({ ro: {}, 'old.log': 'x\n' })
  // `nobody` must reach the test folder: every folder on the way is searchable by others here.
  await chmod(dir, 0o755)
  await chmod(path.join(dir, 'ro'), 0o555)
  const file = path.join(dir, 'ro', 'heartbeat.log')
  const inRo = await refusalOf({ heart: `file://${file}` })
  t.ok(inRo.includes(`channel "heart" cannot write file://${file}: `), `names the channel and the URL: ${inRo}`)
  t.match(inRo, /the directory .*ro is not writable \(EACCES\)$/)
  const old = path.join(dir, 'old.log')
  await chmod(old, 0o444)
  const readOnly = await refusalOf({ access: `file://${old}` })
  t.match(readOnly, /channel "access" cannot write .*old\.log: .*old\.log is not writable \(EACCES\)$/)
})

t.test('one bad channel refuses the whole transport; channels opened on demand are checked too', async t => {
  const dir = t.testdir()
  const good = path.join(dir, 'good.log')
  t.throws(() => new SocketTransport({ channels: { good: `file://${good}`, bad: `file://${path.join(dir, 'no', 'bad.log')}` } }), /channel "bad"/)
  const tr = new SocketTransport({ channels: { good: `file://${good}` } })
  t.throws(() => tr.open('later', `file://${path.join(dir, 'nope', 'later.log')}`), /channel "later" cannot write .*nope\/later\.log: the directory .*nope does not exist/)
  t.notOk(tr.has('later'), 'and it is not opened')
  await tr.close()
})

t.test('writable places pass, and nothing is created by the check', async t => {
  const dir = t.testdir({ 'exists.log': 'a\n' })
  t.equal(fileUnwritable(path.join(dir, 'exists.log')), undefined, 'an existing writable file')
  t.equal(fileUnwritable(path.join(dir, 'new.log')), undefined, 'a new file in a writable directory')
  t.notOk(existsSync(path.join(dir, 'new.log')), 'the file is created by the first write, not by the check')
})
