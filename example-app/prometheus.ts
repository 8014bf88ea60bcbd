import { AggregatorRegistry, Registry } from 'prom-client'
import type { MetricFamily } from '../lib/metrics/families.js'

/** The content type of the text exposition format (0.0.4), as prom-client writes it. */
export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE

type PromJson = Parameters<typeof AggregatorRegistry.aggregate>[0][number]

/**
 * The text exposition of several workers' families, summed series by series by prom-client's
 * AggregatorRegistry (counters, gauges and histogram buckets alike).
 */
export async function exposition (perWorker: ReadonlyArray<readonly MetricFamily[]>): Promise<string> {
  // Our families are the JSON prom-client's own getMetricsAsJSON() gives (`type` as its string).
  const json = perWorker.map(families => families as unknown as PromJson)
  return await AggregatorRegistry.aggregate(json).metrics()
}

/** Sums families into one list (the totals of workers that exited), through the same aggregation. */
export async function sumFamilies (lists: ReadonlyArray<readonly MetricFamily[]>): Promise<MetricFamily[]> {
  const json = lists.map(families => families as unknown as PromJson)
  return await AggregatorRegistry.aggregate(json).getMetricsAsJSON() as unknown as MetricFamily[]
}
