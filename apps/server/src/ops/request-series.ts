import {
  Counter,
  Histogram,
  type MetricObjectWithValues,
  type MetricType,
  type MetricValueWithName,
  type Registry,
} from 'prom-client';

type Label = 'procedure' | 'method' | 'status';
type Labels = Record<Label, string>;

/** One label set's numbers: plain counters, bumped per request without allocating. */
interface Series {
  labels: Labels;
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  buckets: Float64Array;
}

/**
 * Request counts and latencies per (procedure, method, status), kept in plain numbers and
 * turned into prom-client metrics only when scraped. prom-client's own `inc`/`observe`
 * validate and hash the labels and allocate on every call, a measurable share of a point
 * read (docs/performance.md); the text and JSON they expose (and the cluster's aggregation
 * of it) stay prom-client's.
 */
export class RequestSeries {
  readonly #series = new Map<string, Series>();

  constructor(
    private readonly bounds: readonly number[],
    registry: Registry,
    names: { counter: string; counterHelp: string; histogram: string; histogramHelp: string },
  ) {
    const all = () => this.#series.values();
    new Counter<Label>({
      name: names.counter,
      help: names.counterHelp,
      labelNames: ['procedure', 'method', 'status'],
      registers: [registry],
      collect() {
        this.reset();
        for (const series of all()) this.inc(series.labels, series.count);
      },
    });
    registry.registerMetric(new SeriesHistogram(names.histogram, names.histogramHelp, bounds, all));
  }

  record(procedure: string, method: string, status: number, seconds: number): void {
    const key = `${procedure} ${method} ${status}`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = {
        labels: { procedure, method, status: String(status) },
        count: 0,
        sum: 0,
        buckets: new Float64Array(this.bounds.length + 1),
      };
      this.#series.set(key, series);
    }
    let bucket = 0;
    while (bucket < this.bounds.length && seconds > (this.bounds[bucket] as number)) bucket += 1;
    series.buckets[bucket] = (series.buckets[bucket] as number) + 1;
    series.count += 1;
    series.sum += seconds;
  }
}

// prom-client's typings declare a numeric enum its code never uses: the registry writes the
// metric's `type` into the text format, which needs the string.
const HISTOGRAM = 'histogram' as unknown as MetricType;

type HistogramLabel = Label | 'le';
type HistogramSnapshot = MetricObjectWithValues<MetricValueWithName<HistogramLabel>>;

/**
 * A histogram whose samples come from {@link RequestSeries}: prom-client's class, for its
 * registry and aggregation, with the values read from the series at scrape time.
 */
class SeriesHistogram extends Histogram<HistogramLabel> {
  constructor(
    private readonly metricName: string,
    private readonly metricHelp: string,
    private readonly bounds: readonly number[],
    private readonly all: () => Iterable<Series>,
  ) {
    super({
      name: metricName,
      help: metricHelp,
      labelNames: ['procedure', 'method', 'status'],
      buckets: [...bounds],
      registers: [],
    });
  }

  override async get(): Promise<HistogramSnapshot> {
    return this.snapshot();
  }

  /** What the registry reads for the text format (prom-client calls it when present). */
  async getForPromString(): Promise<HistogramSnapshot> {
    return this.snapshot();
  }

  private snapshot(): HistogramSnapshot {
    const values: MetricValueWithName<HistogramLabel>[] = [];
    for (const { labels, count, sum, buckets } of this.all()) {
      let cumulative = 0;
      this.bounds.forEach((bound, index) => {
        cumulative += buckets[index] as number;
        values.push({
          labels: { ...labels, le: bound },
          value: cumulative,
          metricName: `${this.metricName}_bucket`,
        });
      });
      values.push(
        {
          labels: { ...labels, le: '+Inf' },
          value: count,
          metricName: `${this.metricName}_bucket`,
        },
        { labels, value: sum, metricName: `${this.metricName}_sum` },
        { labels, value: count, metricName: `${this.metricName}_count` },
      );
    }
    return {
      name: this.metricName,
      help: this.metricHelp,
      type: HISTOGRAM,
      aggregator: 'sum',
      collect: () => undefined,
      values,
    };
  }
}
