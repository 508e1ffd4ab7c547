import { describe, it, expect } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { renderPlanGraph, planGraph, escapeXml } from '../../compiler/graph/index.js';
import { bundle, fiberSteps, plan, step } from '../diff/plans.js';

const tricky = () =>
  plan('Fiber', [
    ...fiberSteps(),
    step('router', {
      dependsOn: ['internet'],
      condition: { mode: 'skip', expr: { op: 'eq', left: { op: 'characteristic', name: 'installation' }, right: { op: 'literal', value: '<self> & "co"' } } },
    }),
  ]);

describe('plan graph', () => {
  it('shows each step with its kind, owner, timeout and compensation', () => {
    const graph = planGraph(plan('Fiber', fiberSteps()));
    expect(graph.nodes.find((n) => n.id === 'network')).toEqual({
      id: 'network',
      title: 'network',
      lines: ['activation · network', 'target OLT', 'timeout 5m → unknown then reconcile', 'compensate release'],
      conditional: false,
    });
    expect(graph.edges).toContainEqual({ from: 'install', to: 'network' });
  });

  it('renders well-formed SVG with every step id, escaped text and dashed conditional steps', () => {
    const svg = renderPlanGraph(tricky(), 'svg');
    expect(XMLValidator.validate(svg)).toBe(true);
    for (const id of ['internet', 'ont', 'install', 'network', 'router']) expect(svg).toContain(`data-id="${id}"`);
    expect(svg).toContain('skip when item.installation ==');
    expect(svg).toContain('&quot;&lt;self&gt; &amp; \\&quot;co\\&quot;&quot;');
    const parsed = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'g' }).parse(svg) as { svg: { g: { g: { '@_data-id': string; rect: Record<string, string> }[] }[] } };
    const steps = parsed.svg.g.flatMap((g) => g.g ?? []);
    const router = steps.find((s) => s['@_data-id'] === 'router')!;
    expect(router.rect['@_stroke-dasharray']).toBe('6 4');
    expect(steps.find((s) => s['@_data-id'] === 'ont')!.rect['@_stroke-dasharray']).toBeUndefined();
  });

  it('lays steps out left to right in dependency order', () => {
    const svg = renderPlanGraph(plan('Fiber', fiberSteps()), 'svg');
    const xs = [...svg.matchAll(/data-id="(\w+)">\n<rect x="([\d.]+)"/g)].map((m) => [m[1], Number(m[2])] as const);
    const x = new Map(xs);
    expect(x.get('internet')!).toBeLessThan(x.get('ont')!);
    expect(x.get('ont')!).toBeLessThan(x.get('install')!);
    expect(x.get('install')!).toBeLessThan(x.get('network')!);
  });

  it('is deterministic', () => {
    expect(renderPlanGraph(tricky(), 'svg')).toBe(renderPlanGraph(tricky(), 'svg'));
  });

  it('colours steps by saga state and adds a legend', () => {
    const svg = renderPlanGraph(plan('Fiber', fiberSteps()), 'svg', new Map([['internet', 'SUCCEEDED'], ['ont', 'FAILED'], ['install', 'COMPENSATED']]));
    expect(svg).toMatch(/data-id="internet" data-state="SUCCEEDED">\n<rect [^>]*fill="#dcfce7" stroke="#16a34a"/);
    expect(svg).toMatch(/data-id="ont" data-state="FAILED">\n<rect [^>]*fill="#fee2e2" stroke="#dc2626"/);
    expect(svg).toMatch(/data-id="install" data-state="COMPENSATED">\n<rect [^>]*stroke="#9333ea"/);
    expect(svg).toContain('<g class="legend">');
    const mermaid = renderPlanGraph(plan('Fiber', fiberSteps()), 'mermaid', new Map([['ont', 'FAILED']]));
    expect(mermaid).toContain('style n_ont fill:#fee2e2,stroke:#dc2626');
    const dot = renderPlanGraph(plan('Fiber', fiberSteps()), 'dot', new Map([['ont', 'UNKNOWN']]));
    expect(dot).toContain('"ont" [label="ont\\nresource_reservation · inventory\\nresource ONT\\ntimeout 10m → fail\\ncompensate release", style="rounded,filled", fillcolor="#ffedd5", color="#ea580c"];');
  });

  it('escapes labels in mermaid and dot', () => {
    const mermaid = renderPlanGraph(tricky(), 'mermaid');
    expect(mermaid).toContain('skip when item.installation == #quot;&lt;self&gt; &amp; \\#quot;co\\#quot;#quot;');
    expect(mermaid).toContain('class n_router conditional');
    const dot = renderPlanGraph(tricky(), 'dot');
    expect(dot).toContain('skip when item.installation == \\"<self> & \\\\\\"co\\\\\\"\\"", style="rounded,dashed"');
  });

  it('draws a bundle as its items, optional items dashed', () => {
    const b = bundle('Pack', [
      { name: 'fiber', planId: 'HomeFiber1G', planHash: 'a'.repeat(64), optional: false },
      { name: 'tv', planId: 'OttStreaming', planHash: 'b'.repeat(64), optional: true },
    ]);
    const svg = renderPlanGraph(b, 'svg');
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).toContain('data-id="item:fiber"');
    expect(svg).toMatch(/data-id="item:tv">\n<rect [^>]*stroke-dasharray/);
    expect(renderPlanGraph(b, 'mermaid')).toContain('n_Pack --> n_item_tv');
  });

  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});
