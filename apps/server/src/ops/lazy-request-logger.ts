import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

type Bindings = Record<string, unknown>;
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];
type LogArguments = Parameters<FastifyBaseLogger['info']>;

/**
 * A request's logger that makes its pino child (bindings serialized, redaction set up) only
 * when something logs through it. At `LOG_LEVEL=warn` most requests never log, and the child
 * was a measurable share of a point read's garbage (docs/performance.md).
 */
class LazyRequestLogger implements FastifyBaseLogger {
  #child: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  #real(): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings, this.options);
    return this.#child;
  }

  get level(): string {
    return this.#child?.level ?? this.options?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }

  fatal(...args: LogArguments): void {
    this.#real().fatal(...args);
  }
  error(...args: LogArguments): void {
    this.#real().error(...args);
  }
  warn(...args: LogArguments): void {
    this.#real().warn(...args);
  }
  info(...args: LogArguments): void {
    this.#real().info(...args);
  }
  debug(...args: LogArguments): void {
    this.#real().debug(...args);
  }
  trace(...args: LogArguments): void {
    this.#real().trace(...args);
  }
  silent(...args: LogArguments): void {
    this.#real().silent(...args);
  }
}

/** Fastify's `childLoggerFactory`: request loggers made on first use. */
export const lazyRequestLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (
  logger,
  bindings,
  options,
) => new LazyRequestLogger(logger, bindings, options);
