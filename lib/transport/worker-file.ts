import cluster from 'node:cluster'
import path from 'node:path'

/**
 * Where a file channel writes in this process. Several `node:cluster` workers appending to one
 * file is safe (O_APPEND, one write per batch, so lines never interleave on a local file
 * system), but rotating it is not: two workers would each rename the same file and start a new
 * one under each other. So a file channel with `rotate`, in a cluster worker, writes a file of
 * its own: `access.log` → `access.<wid>.log` (the worker id goes before the first extension, as
 * `access.<wid>.log.gz` with gzip), and rotates that file alone. Without `rotate` every worker
 * appends to the one file named, and rotation happens in one place (logrotate, then SIGUSR1).
 */
export function workerFilePath (file: string, rotates: boolean, workerId: number | undefined = cluster.isWorker ? cluster.worker?.id : undefined): string {
  if (!rotates || workerId === undefined) return file
  const dir = path.dirname(file)
  const base = path.basename(file)
  const dot = base.indexOf('.', 1)
  return path.join(dir, dot > 0 ? `${base.slice(0, dot)}.${workerId}${base.slice(dot)}` : `${base}.${workerId}`)
}
