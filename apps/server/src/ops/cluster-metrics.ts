import type { Cluster, Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

// With WORKERS=N the port is shared and a scrape reaches whichever worker takes the
// connection. So that every scrape shows the whole server, that worker asks the primary,
// which collects every worker's registry (prom-client's AggregatorRegistry, over the
// cluster's IPC channel), adds them up and sends back the text.

const REQUEST = 'trellis:metrics-request';
const ANSWER = 'trellis:metrics';
/** Longer than prom-client's own 5 s wait for the workers. */
const ANSWER_TIMEOUT_MS = 6000;

interface MetricsRequest {
  type: typeof REQUEST;
  id: number;
}

interface MetricsAnswer {
  type: typeof ANSWER;
  id: number;
  text?: string;
  error?: string;
}

function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as T).type === type;
}

/** In the primary: answers the workers' requests for the whole cluster's metrics. */
export function serveClusterMetrics(cluster: Cluster): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isMessage<MetricsRequest>(message, REQUEST)) return;
    const reply = (answer: Omit<MetricsAnswer, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: ANSWER, id: message.id, ...answer });
    };
    aggregator.clusterMetrics().then(
      (text) => reply({ text }),
      (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
    );
  });
}

/** A worker's way to the whole cluster's metrics. */
export interface ClusterMetrics {
  /** Makes `registry` the one this worker reports to the primary. */
  report(registry: Registry): void;
  /** The metrics of every worker, added up (Prometheus text). */
  collect(): Promise<string>;
}

/** In a worker: reports its registry to the primary, and asks it for everyone's. */
export function clusterMetricsClient(): ClusterMetrics {
  let next = 0;
  const waiting = new Map<number, (answer: MetricsAnswer) => void>();
  process.on('message', (message: unknown) => {
    if (isMessage<MetricsAnswer>(message, ANSWER)) waiting.get(message.id)?.(message);
  });
  return {
    report(registry) {
      // Constructing one installs prom-client's worker-side listener.
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries([registry]);
    },
    collect() {
      const id = next++;
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error('the primary did not send the cluster metrics in time'));
        }, ANSWER_TIMEOUT_MS);
        waiting.set(id, (answer) => {
          clearTimeout(timer);
          waiting.delete(id);
          if (answer.text !== undefined) resolve(answer.text);
          else reject(new Error(answer.error ?? 'no metrics'));
        });
        process.send?.({ type: REQUEST, id } satisfies MetricsRequest);
      });
    },
  };
}
