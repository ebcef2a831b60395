import { useState } from 'react';

/** A secret the server shows only once (an API token, an invite token), with a copy
 * button and a reminder that it will not be shown again. */
export function SecretOnce({ label, secret }: { label: string; secret: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <div className="secret card" role="status">
      <p>
        <strong>{label}</strong> — copy it now: it will not be shown again.
      </p>
      <code className="secret-value">{secret}</code>
      <div className="actions">
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
        <span aria-live="polite">
          {copied === 'yes'
            ? 'Copied'
            : copied === 'failed'
              ? 'Copy failed: select it and copy by hand'
              : ''}
        </span>
      </div>
    </div>
  );
}
