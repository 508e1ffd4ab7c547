// Mermaid and Graphviz dot versions of a plan graph, for docs and for tools that lay out
// themselves. Node ids are sanitized; labels are quoted and escaped.
import { statePalette, type PlanGraph, type StepState } from './model.js';

function mermaidId(id: string): string {
  return `n_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function mermaidText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '#quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderMermaid(graph: PlanGraph): string {
  const out = ['---', `title: ${graph.caption}`, '---', 'flowchart LR'];
  for (const node of graph.nodes) {
    const label = [`<b>${mermaidText(node.title)}</b>`, ...node.lines.map(mermaidText)].join('<br/>');
    out.push(`  ${mermaidId(node.id)}["${label}"]`);
  }
  for (const edge of graph.edges) out.push(`  ${mermaidId(edge.from)} --> ${mermaidId(edge.to)}`);
  const conditional = graph.nodes.filter((n) => n.conditional);
  if (conditional.length > 0) {
    out.push('  classDef conditional stroke-dasharray: 6 4');
    out.push(`  class ${conditional.map((n) => mermaidId(n.id)).join(',')} conditional`);
  }
  for (const state of [...new Set(graph.nodes.map((n) => n.state).filter((s): s is StepState => s !== undefined))].sort()) {
    const palette = statePalette[state];
    if (!palette) continue;
    // Mermaid applies the last class per property: state colours, conditional dashes, both kept.
    out.push(`  style ${graph.nodes.filter((n) => n.state === state).map((n) => mermaidId(n.id)).join(',')} fill:${palette.fill},stroke:${palette.stroke}`);
  }
  return `${out.join('\n')}\n`;
}

function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function renderDot(graph: PlanGraph): string {
  const out = [
    `digraph ${dotString(graph.planId)} {`,
    `  label=${dotString(graph.caption)};`,
    '  labelloc=t;',
    '  rankdir=LR;',
    '  node [shape=box, style="rounded", fontname="monospace", fontsize=10];',
    '  edge [color="#6b7280"];',
  ];
  for (const node of graph.nodes) {
    const label = [node.title, ...node.lines].map((l) => l.replace(/\\/g, '\\\\').replace(/"/g, '\\"')).join('\\n');
    const styles = ['rounded', ...(node.conditional ? ['dashed'] : []), ...(node.state ? ['filled'] : [])];
    const palette = node.state ? statePalette[node.state] : undefined;
    const colours = palette ? `, fillcolor=${dotString(palette.fill)}, color=${dotString(palette.stroke)}` : '';
    out.push(`  ${dotString(node.id)} [label="${label}", style=${dotString(styles.join(','))}${colours}];`);
  }
  for (const edge of graph.edges) out.push(`  ${dotString(edge.from)} -> ${dotString(edge.to)};`);
  out.push('}');
  return `${out.join('\n')}\n`;
}
