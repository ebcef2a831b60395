import { useState } from 'react';
import { Field } from '../forms/Field';
import type { FormErrors } from '../forms/formErrors';
import { EventTypesField } from './EventTypesField';
import { type EventFilter, eventsInput, filterProblem } from './eventTypes';

/** What the endpoint forms edit, with the problem found before sending (if any). */
export interface WebhookDraft {
  url: string;
  description: string;
  filter: EventFilter;
  problem: string | null;
}

/** A draft's state and the checks before sending it. */
export function useWebhookDraft(initial: Omit<WebhookDraft, 'problem'>) {
  const [draft, setDraft] = useState<WebhookDraft>({ ...initial, problem: null });
  return {
    draft,
    /** Changes fields; a change of the filter clears its problem. */
    change: (patch: Partial<Omit<WebhookDraft, 'problem'>>) =>
      setDraft((d) => ({ ...d, ...patch, problem: patch.filter ? null : d.problem })),
    reset: () => setDraft({ ...initial, problem: null }),
    /** The draft as an API input's fields, or null (and the problem shown) when it is not
     * ready to send. */
    checked: () => {
      const problem = filterProblem(draft.filter);
      setDraft((d) => ({ ...d, problem }));
      if (problem) return null;
      return {
        url: draft.url.trim(),
        description: draft.description.trim(),
        events: eventsInput(draft.filter),
      };
    },
  };
}

/** URL, description and event types of an endpoint, with the API's messages for each. */
export function WebhookFields({
  draft,
  onChange,
  errors,
  hints = false,
}: {
  draft: WebhookDraft;
  onChange: (patch: Partial<Omit<WebhookDraft, 'problem'>>) => void;
  errors: FormErrors;
  /** Show the placeholder and hints a new endpoint needs. */
  hints?: boolean;
}) {
  return (
    <>
      <div className="row two">
        <Field
          label="URL"
          errors={errors.field('url')}
          {...(hints && { hint: 'Where each event is POSTed; https:// in production.' })}
        >
          {(control) => (
            <input
              {...control}
              type="url"
              required
              placeholder={hints ? 'https://hooks.example.com/trellis' : undefined}
              value={draft.url}
              onChange={(e) => onChange({ url: e.target.value })}
            />
          )}
        </Field>
        <Field
          label="Description"
          errors={errors.field('description')}
          {...(hints && { hint: 'Optional.' })}
        >
          {(control) => (
            <input
              {...control}
              maxLength={200}
              value={draft.description}
              onChange={(e) => onChange({ description: e.target.value })}
            />
          )}
        </Field>
      </div>
      <EventTypesField
        value={draft.filter}
        onChange={(filter) => onChange({ filter })}
        errors={draft.problem ? [draft.problem] : errors.field('events')}
      />
    </>
  );
}
