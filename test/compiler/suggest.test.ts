// "Did you mean ...?" for unknown names: by edits, by case, then by shared words.
import { describe, it, expect } from 'vitest';
import { closestMatch, fewCandidates } from '../../compiler/diagnostics/suggest.js';

const kinds = ['service_order_item', 'resource_reservation', 'appointment', 'work_order', 'activation', 'verification', 'inventory_commit', 'billing_trigger', 'notification', 'number_porting'];
const workTypes = ['FTTH_INSTALLATION', 'ENTERPRISE_INSTALLATION', 'SITE_SURVEY'];

describe('closestMatch', () => {
  it('finds typos by edit distance and case', () => {
    expect(closestMatch('resource_reservaton', kinds)).toBe('resource_reservation');
    expect(closestMatch('Activation', kinds)).toBe('activation');
    expect(closestMatch('verifcation', kinds)).toBe('verification');
  });

  it('finds a name that shares all the words of the shorter one', () => {
    expect(closestMatch('network_activation', kinds)).toBe('activation');
    expect(closestMatch('service_order', kinds)).toBe('service_order_item');
    expect(closestMatch('FTTH_INSTALL', workTypes)).toBe('FTTH_INSTALLATION');
    expect(closestMatch('BillingTrigger', kinds)).toBe('billing_trigger');
  });

  it('guesses nothing when words only overlap, or two candidates match as well', () => {
    expect(closestMatch('field_work', kinds)).toBeUndefined();
    expect(closestMatch('INSTALLATION', workTypes)).toBeUndefined();
    expect(closestMatch('zzz', kinds)).toBeUndefined();
    expect(closestMatch('', kinds)).toBeUndefined();
  });

  it('never suggests the name itself', () => {
    expect(closestMatch('activation', ['activation'])).toBeUndefined();
  });
});

describe('fewCandidates', () => {
  it('lists a short catalogue section sorted, and nothing for a long or empty one', () => {
    expect(fewCandidates(workTypes)).toEqual(['ENTERPRISE_INSTALLATION', 'FTTH_INSTALLATION', 'SITE_SURVEY']);
    expect(fewCandidates(Array.from({ length: 13 }, (_, i) => `X${i}`))).toBeUndefined();
    expect(fewCandidates([])).toBeUndefined();
  });
});
