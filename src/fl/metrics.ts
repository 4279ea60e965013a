/**
 * Counters, gauges and durations for the network service, rendered as Prometheus text
 * (exposition format 0.0.4) and served on an HTTP path.
 * @module
 */

/**
 * Label values of one series (few, low-cardinality values: reasons, not client ids).
 * @since 0.1.0
 * @public
 */
export type MetricLabels = Readonly<Record<string, string>>;

/**
 * A metrics registry the transports update and an HTTP handler serves.
 * @since 0.1.0
 * @public
 */
export interface Metrics {
  /**
   * Add to a counter.
   * @param name - the metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`)
   * @param labels - label values of the series
   * @param by - how much to add (default 1; finite and non-negative)
   */
  increment(name: string, labels?: MetricLabels, by?: number): void;
  /**
   * Set a gauge.
   * @param name - the metric name
   * @param value - the value
   * @param labels - label values of the series
   */
  set(name: string, value: number, labels?: MetricLabels): void;
  /**
   * Record one duration (a summary with `_count`, `_sum` and `_max`).
   * @param name - the metric name (by convention ending in `_seconds`)
   * @param seconds - the duration
   * @param labels - label values of the series
   */
  observe(name: string, seconds: number, labels?: MetricLabels): void;
  /**
   * The current value of a counter or gauge series (0 when absent).
   * @param name - the metric name
   * @param labels - label values of the series
   * @returns the value
   */
  value(name: string, labels?: MetricLabels): number;
  /**
   * Everything in Prometheus text exposition format.
   * @returns the text
   */
  render(): string;
  /**
   * A Node `http` request listener: answers `GET <path>` with {@link Metrics.render} and returns
   * true, or returns false (and answers nothing) for other paths.
   * @param request - the incoming request (`url`, `method`)
   * @param response - the response to write
   * @returns whether the request was answered
   */
  handle(
    request: { url?: string | undefined; method?: string | undefined },
    response: MetricsResponse,
  ): boolean;
}

/**
 * The part of Node's `ServerResponse` that {@link Metrics.handle} writes.
 * @since 0.1.0
 * @public
 */
export interface MetricsResponse {
  /**
   * @param status - HTTP status
   * @param headers - response headers
   * @returns the response
   */
  writeHead(status: number, headers: Record<string, string>): unknown;
  /**
   * @param body - the body
   * @returns the response
   */
  end(body: string): unknown;
}

/**
 * Options of {@link createMetrics}.
 * @since 0.1.0
 * @public
 */
export interface MetricsOptions {
  /**
   * The HTTP path {@link Metrics.handle} answers.
   * @defaultValue `'/metrics'`
   */
  readonly path?: string;
}

type Kind = 'counter' | 'gauge' | 'summary';
interface Series {
  labels: string;
  value: number;
  count: number;
  max: number;
}

const HELP: Record<string, string> = {
  privagg_fl_connections_total: 'WebSocket connections accepted',
  privagg_fl_connections_open: 'WebSocket connections open now',
  privagg_fl_sessions_open: 'authenticated client sessions now',
  privagg_fl_authenticated_total: 'successful client authentications',
  privagg_fl_resumed_total: 'sessions resumed after a reconnection',
  privagg_fl_rejections_total: 'connections or packets rejected, by reason',
  privagg_fl_bytes_received_total: 'bytes received in WebSocket messages',
  privagg_fl_bytes_sent_total: 'bytes sent in WebSocket messages',
  privagg_fl_frames_received_total: 'whole frames delivered to the application',
  privagg_fl_frames_sent_total: 'frames queued by the application',
  privagg_fl_handshake_seconds: 'time from connection to authenticated session',
  privagg_fl_rounds_started_total: 'rounds started',
  privagg_fl_rounds_total: 'rounds ended, by outcome',
  privagg_fl_round_seconds: 'round durations',
  privagg_fl_stage_seconds: 'stage durations, by stage',
  privagg_fl_dropouts_total: 'cohort members dropped, by stage',
  privagg_fl_round_frames_rejected_total: 'round frames refused by the round server, by code',
};

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function labelText(labels: MetricLabels | undefined): string {
  if (labels === undefined) return '';
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  const parts = keys.map((k) => {
    if (!NAME.test(k))
      throw new RangeError(`"labels" key ${JSON.stringify(k)} is not a label name`);
    const v = String(labels[k]).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
    return `${k}="${v}"`;
  });
  return `{${parts.join(',')}}`;
}

/**
 * Make a metrics registry. Pass it to {@link createWebSocketServerTransport} (`metrics`) and
 * serve it with {@link Metrics.handle} from any Node HTTP server, or let the transport serve
 * it on its own HTTP server (`metricsPath`).
 * @param options - `path` (default `/metrics`)
 * @returns the registry
 * @throws {@link !TypeError} for unknown options
 * @example
 * ```ts
 * import { createMetrics } from 'privagg/fl';
 * const metrics = createMetrics();
 * metrics.increment('privagg_fl_rejections_total', { reason: 'bad-signature' });
 * console.log(metrics.value('privagg_fl_rejections_total', { reason: 'bad-signature' })); // 1
 * ```
 * @since 0.1.0
 * @public
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('"options" expected an options object');
  for (const k of Object.keys(options))
    if (k !== 'path') throw new TypeError(`"options" has unknown option "${k}"; allowed: path`);
  const path = options.path ?? '/metrics';
  if (typeof path !== 'string' || !path.startsWith('/'))
    throw new RangeError('"path" expected a string starting with /');
  const families = new Map<string, { kind: Kind; series: Map<string, Series> }>();

  function series(name: string, kind: Kind, labels: MetricLabels | undefined): Series {
    if (typeof name !== 'string' || !NAME.test(name))
      throw new RangeError(`"name" ${JSON.stringify(name)} is not a metric name`);
    let f = families.get(name);
    if (f === undefined) {
      f = { kind, series: new Map() };
      families.set(name, f);
    } else if (f.kind !== kind) throw new RangeError(`"${name}" is a ${f.kind}, not a ${kind}`);
    const key = labelText(labels);
    let s = f.series.get(key);
    if (s === undefined) {
      s = { labels: key, value: 0, count: 0, max: 0 };
      f.series.set(key, s);
    }
    return s;
  }
  function finite(name: string, x: number): void {
    if (typeof x !== 'number' || !Number.isFinite(x))
      throw new RangeError(`"${name}" expected a finite number`);
  }

  const metrics: Metrics = {
    increment(name, labels, by = 1) {
      finite('by', by);
      if (by < 0) throw new RangeError('"by" expected >= 0');
      series(name, 'counter', labels).value += by;
    },
    set(name, value, labels) {
      finite('value', value);
      series(name, 'gauge', labels).value = value;
    },
    observe(name, seconds, labels) {
      finite('seconds', seconds);
      if (seconds < 0) throw new RangeError('"seconds" expected >= 0');
      const s = series(name, 'summary', labels);
      s.value += seconds;
      s.count++;
      if (seconds > s.max) s.max = seconds;
    },
    value(name, labels) {
      const f = families.get(name);
      return f?.series.get(labelText(labels))?.value ?? 0;
    },
    render() {
      const lines: string[] = [];
      for (const [name, f] of [...families].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        lines.push(`# HELP ${name} ${HELP[name] ?? name}`);
        lines.push(`# TYPE ${name} ${f.kind}`);
        for (const s of f.series.values()) {
          if (f.kind === 'summary') {
            lines.push(`${name}_count${s.labels} ${s.count}`);
            lines.push(`${name}_sum${s.labels} ${s.value}`);
            lines.push(`${name}_max${s.labels} ${s.max}`);
          } else lines.push(`${name}${s.labels} ${s.value}`);
        }
      }
      return `${lines.join('\n')}\n`;
    },
    handle(request, response) {
      const url = (request.url ?? '/').split('?')[0];
      if (url !== path) return false;
      if (request.method !== undefined && request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { Allow: 'GET, HEAD' });
        response.end('');
        return true;
      }
      response.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      response.end(metrics.render());
      return true;
    },
  };
  return Object.freeze(metrics);
}
