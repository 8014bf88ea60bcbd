#!/usr/bin/env node
import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'
import { IncompleteRequestChecker, LineSplitter } from '../lib/forensic/checker.js'

/**
 * check-forensic [--json] [FILE…]
 *
 * Prints the "+" line of every request in a forensic log that has no "-" line, as httpd's
 * support/check_forensic does: requests that were in flight when the server died. Files are read
 * in the order given, as one log (so `forensic.log.1 forensic.log` spans a rotation); with no
 * file, or with `-`, it reads stdin. It streams, holding only the requests still open.
 */

const USAGE = `usage: check-forensic [--json] [FILE...]
  Prints the "+" line of every request that has no "-" line (like Apache's check_forensic).
  With no FILE, or when FILE is -, reads standard input.
  --json   print a summary instead: totals and the incomplete ids
`

interface Args { json: boolean, files: string[] }

function parseArgs (argv: string[]): Args {
  const args: Args = { json: false, files: [] }
  let rest = false
  for (const a of argv) {
    if (!rest && a === '--') rest = true
    else if (!rest && a === '--json') args.json = true
    else if (!rest && (a === '-h' || a === '--help')) {
      process.stdout.write(USAGE)
      process.exit(0)
    } else if (!rest && a.startsWith('-') && a !== '-') {
      process.stderr.write(`check-forensic: unknown option ${a}\n${USAGE}`)
      process.exit(2)
    } else args.files.push(a)
  }
  if (args.files.length === 0) args.files.push('-')
  return args
}

async function feed (input: Readable, splitter: LineSplitter): Promise<void> {
  for await (const chunk of input) splitter.push(chunk as Buffer)
  splitter.end()
}

async function main (): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const checker = new IncompleteRequestChecker()
  for (const file of args.files) {
    const input: Readable = file === '-' ? process.stdin : createReadStream(file)
    const splitter = new LineSplitter(line => checker.add(line), () => checker.skipOverlong())
    try {
      await feed(input, splitter)
    } catch (err) {
      process.stderr.write(`check-forensic: ${file}: ${(err as Error).message}\n`)
      process.exit(2)
    }
  }
  if (args.json) {
    process.stdout.write(JSON.stringify({ files: args.files, ...checker.summary() }) + '\n')
    return
  }
  await writeIncomplete(checker)
}

/** Writes the open "+" lines as the bytes they were read as, honouring back-pressure. */
async function writeIncomplete (checker: IncompleteRequestChecker): Promise<void> {
  const out = process.stdout
  for (const req of checker.incomplete()) {
    for (const line of req.lines) {
      if (!out.write(Buffer.from(line + '\n', 'latin1'))) {
        await new Promise<void>(resolve => out.once('drain', resolve))
      }
    }
  }
}

main().catch(err => {
  process.stderr.write(`check-forensic: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(2)
})
