import { useId } from 'react';
import { describeEventType, EVENT_TYPES, type EventFilter, toggleType } from './eventTypes';

/** The event types an endpoint receives: all (the default, also types added later), or
 * the ones ticked; the API's messages for `events` beneath. */
export function EventTypesField({
  value,
  onChange,
  errors,
}: {
  value: EventFilter;
  onChange: (filter: EventFilter) => void;
  errors?: readonly string[] | undefined;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  const invalid = errors !== undefined && errors.length > 0;
  return (
    <fieldset className="event-types" aria-describedby={invalid ? errorId : undefined}>
      <legend>Events</legend>
      <label className="check">
        <input
          type="radio"
          name={`${id}-scope`}
          checked={value.all}
          onChange={() => onChange({ ...value, all: true })}
        />
        All events, also types added later
      </label>
      <label className="check">
        <input
          type="radio"
          name={`${id}-scope`}
          checked={!value.all}
          onChange={() => onChange({ ...value, all: false })}
        />
        Only the types ticked below
      </label>
      {value.all ? null : (
        <ul className="type-list">
          {EVENT_TYPES.map((type) => (
            <li key={type}>
              <label className="check">
                <input
                  type="checkbox"
                  checked={value.types.includes(type)}
                  onChange={(e) => onChange(toggleType(value, type, e.target.checked))}
                />
                <code>{type}</code> <span className="muted">{describeEventType(type)}</span>
              </label>
            </li>
          ))}
        </ul>
      )}
      {invalid ? (
        <small id={errorId} className="field-error">
          {errors.join(' ')}
        </small>
      ) : null}
    </fieldset>
  );
}
