import { type ReactNode, useState } from 'react';
import { messageOf } from '../app/errors';
import { ErrorMessage } from './Alert';

/** A destructive action behind a second click: its button, then the question with
 * "Yes, delete" and Cancel (no browser dialog), and the API's refusal if it comes. */
export function ConfirmAction({
  label,
  question,
  pending,
  error,
  onConfirm,
}: {
  label: string;
  question: ReactNode;
  pending: boolean;
  error: unknown;
  onConfirm: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  if (!confirming) {
    return (
      <div className="danger-zone">
        <button type="button" className="danger" onClick={() => setConfirming(true)}>
          {label}
        </button>
      </div>
    );
  }
  return (
    <div className="danger-zone">
      <p>{question}</p>
      <div className="actions">
        <button type="button" className="danger" disabled={pending} onClick={onConfirm}>
          Yes, delete
        </button>
        <button type="button" className="secondary" onClick={() => setConfirming(false)}>
          Cancel
        </button>
      </div>
      <ErrorMessage>{error ? messageOf(error) : null}</ErrorMessage>
    </div>
  );
}
