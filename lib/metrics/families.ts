/**
 * Metric families in the JSON shape prom-client's `Registry.getMetricsAsJSON()` gives and
 * `AggregatorRegistry.aggregate()` takes: a worker builds them from counters it already keeps,
 * at scrape time, and the gateway's primary sums the workers' families and writes the text
 * exposition format with prom-client. Building them needs no registry, so `lib/` stays free of it.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram'

export type Labels = Record<string, string | number>

export interface MetricSample {
  value: number
  labels: Labels
  /** Set for a histogram's `_bucket`, `_sum` and `_count` series. */
  metricName?: string
}

export interface MetricFamily {
  name: string
  help: string
  type: MetricType
  /** How the primary combines the workers' values: every family here is a sum over workers. */
  aggregator: 'sum'
  values: MetricSample[]
}

export function family (name: string, help: string, type: MetricType, values: MetricSample[]): MetricFamily {
  return { name, help, type, aggregator: 'sum', values }
}

/**
 * The families whose values stay meaningful after their worker exits (counters and histograms:
 * they only grow), for the totals the primary keeps across reloads; gauges describe a live worker.
 */
export function lasting (families: readonly MetricFamily[]): MetricFamily[] {
  return families.filter(f => f.type !== 'gauge')
}
