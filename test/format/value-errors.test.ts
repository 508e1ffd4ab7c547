// A file whose only errors are in values is laid out, its values kept as written; a file whose
// structure does not parse is left alone.
import { describe, it, expect } from 'vitest';
import { format } from '../../compiler/format/index.js';
import { parse } from '../../compiler/syntax/index.js';

const withValueErrors = `catalog telco-core 2026.11.

plan P version 2.5 for offering HOME_FIBER_1G {
  step a: resource_reservation {
      resource ONT_GPON
  }
  step b: activation after a { timeout 10  retry 2.5 every 1M   target OLT_BNG_RADIUS }
  step c: verification after b { only when item.downloadSpeed >= 1.2.3 }
}
`;

describe('formatting a file with errors', () => {
  it('lays out a file whose errors are all in values, keeping each value as written', () => {
    const result = format(withValueErrors, 'v.o2a');
    expect(result.diagnostics.map((d) => d.code).sort()).toEqual(['O2A0005', 'O2A0005', 'O2A0006', 'O2A0008', 'O2A0009', 'O2A0010']);
    expect(result.laidOut).toBe(true);
    expect(result.text).toBe(`catalog telco-core 2026.11.

plan P version 2.5 for offering HOME_FIBER_1G {
  step a: resource_reservation { resource ONT_GPON }
  step b: activation after a {
    timeout 10
    retry 2.5 every 1M
    target OLT_BNG_RADIUS
  }
  step c: verification after b { only when item.downloadSpeed >= 1.2.3 }
}
`);
    // The same findings at the same words: formatting moved them, it did not change them.
    const again = parse(result.text, 'v.o2a').diagnostics.map((d) => `${d.code} ${d.message}`);
    expect(again).toEqual(parse(withValueErrors, 'v.o2a').diagnostics.map((d) => `${d.code} ${d.message}`));
    expect(format(result.text, 'v.o2a').text).toBe(result.text);
  });

  it('writes whole numbers in their canonical form', () => {
    const result = format('catalog telco-core 2026.11\nplan P version 02 for offering X { step a: activation { retry 03 } }\n', 'w.o2a');
    expect(result.text).toContain('plan P version 2 for offering X');
    expect(result.text).toContain('step a: activation { retry 3 }');
  });

  it('leaves a file whose structure does not parse as it is', () => {
    const broken = withValueErrors.replace('step c: verification', 'step c verification');
    const result = format(broken, 'b.o2a');
    expect(result.laidOut).toBe(false);
    expect(result.changed).toBe(false);
    expect(result.text).toBe(broken);
  });
});
