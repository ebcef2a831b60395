import type { FastifyInstance } from 'fastify';

/** How a graceful shutdown ended. */
export interface ShutdownOutcome {
  /** The deadline passed and open connections were cut. */
  forced: boolean;
}

/** How often connections that went idle during the shutdown are closed. */
const IDLE_SWEEP_MS = 100;

/**
 * Stops the server: `/readyz` answers 503, the listener closes (new connections are
 * refused), live streams end with a retry hint, in-flight requests finish — or are cut
 * once `timeoutMs` has passed — and then the database closes (the server's onClose hooks).
 */
export async function shutDownGracefully(
  app: FastifyInstance,
  timeoutMs: number,
): Promise<ShutdownOutcome> {
  let forced = false;
  // Node closes the connections that are idle when the listener closes, not those whose
  // response finishes later: they would linger for the keep-alive timeout.
  const sweep = setInterval(() => app.server.closeIdleConnections(), IDLE_SWEEP_MS);
  const deadline = setTimeout(() => {
    forced = true;
    app.log.warn(
      `shutdown: requests still running after ${timeoutMs} ms; closing their connections`,
    );
    app.server.closeAllConnections();
  }, timeoutMs);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
    clearTimeout(deadline);
  }
  return { forced };
}
