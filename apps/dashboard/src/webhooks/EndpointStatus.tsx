import { formatTime } from '../tasks/time';
import { attemptsText, endpointState, type Webhook } from './endpointState';

/** What is wrong with an endpoint, if anything: the server's reason for disabling it
 * (with "Enable again"), an admin's disabling, or an event that keeps failing. */
export function EndpointStatus({
  webhook,
  enabling,
  onEnable,
}: {
  webhook: Webhook;
  enabling: boolean;
  onEnable: () => void;
}) {
  const state = endpointState(webhook);
  switch (state.kind) {
    case 'disabled-by-server':
      return (
        <div className="callout danger-callout">
          <p>
            <strong>Disabled by the server:</strong> {state.reason}
          </p>
          <p className="muted">
            Enabling it again retries the event that failed, then sends everything after it.
          </p>
          <div className="actions">
            <button type="button" disabled={enabling} onClick={onEnable}>
              Enable again
            </button>
          </div>
        </div>
      );
    case 'disabled':
      return (
        <div className="callout">
          <p>Disabled by an admin: nothing is sent until it is enabled.</p>
          <div className="actions">
            <button type="button" disabled={enabling} onClick={onEnable}>
              Enable
            </button>
          </div>
        </div>
      );
    case 'failing':
      return (
        <div className="callout warning-callout">
          <p>
            <strong>Failing</strong> since {formatTime(state.since)}: {attemptsText(state.attempts)}
            {state.nextAttemptAt ? `; next try ${formatTime(state.nextAttemptAt)}` : ''}.
          </p>
        </div>
      );
    default:
      return null;
  }
}
