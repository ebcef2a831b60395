import { describe, expect, it } from 'vitest';
import { refusal } from '../test/trellisErrors';
import { formErrors } from './formErrors';

const FIELDS = ['title', 'description'];

describe('formErrors', () => {
  it('shows nothing before a failure', () => {
    const errors = formErrors(null, FIELDS);

    expect(errors.field('title')).toBeUndefined();
    expect(errors.form).toBeNull();
  });

  it('puts each message on its field, and none on the form when every field is shown', () => {
    const error = refusal('BAD_REQUEST', 400, { fieldErrors: { title: ['Too long'] } });

    const errors = formErrors(error, FIELDS);

    expect(errors.field('title')).toEqual(['Too long']);
    expect(errors.field('description')).toBeUndefined();
    expect(errors.form).toBeNull();
  });

  it('names on the form what no field of it shows, the whole input as "Input"', () => {
    const error = refusal('BAD_REQUEST', 400, {
      fieldErrors: { title: ['Too long'], color: ['Unrecognized key'], '': ['Expected object'] },
    });

    const errors = formErrors(error, FIELDS);

    expect(errors.field('title')).toEqual(['Too long']);
    expect(errors.form).toBe('color: Unrecognized key; Input: Expected object');
  });

  it('reads fields under a prefix (tasks.update’s patch.title is the form’s title)', () => {
    const error = refusal('BAD_REQUEST', 400, { fieldErrors: { 'patch.title': ['Required'] } });

    const errors = formErrors(error, FIELDS, 'patch.');

    expect(errors.field('title')).toEqual(['Required']);
    expect(errors.form).toBeNull();
    expect(formErrors(error, FIELDS).form).toBe('patch.title: Required');
  });

  it('shows a refusal without field errors as the form’s message', () => {
    const error = refusal('CONFLICT', 409, { message: 'Someone else edited it' });

    const errors = formErrors(error, FIELDS);

    expect(errors.field('title')).toBeUndefined();
    expect(errors.form).toBe('Someone else edited it');
  });
});
