// SVG of a plan graph, drawn by o2a itself from the dagre layout: deterministic (same plan, same
// bytes), every text escaped, no browser and no fonts to load.
import { displayLines, layoutGraph, fontSize, lineHeight } from './layout.js';
import { statePalette, type PlanGraph, type StepState } from './model.js';

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const captionHeight = 28;
const legendHeight = 24;

export function renderSvg(graph: PlanGraph): string {
  const layout = layoutGraph(graph);
  const statesShown = [...new Set(graph.nodes.map((n) => n.state).filter((s): s is StepState => s !== undefined))].sort();
  const top = captionHeight;
  const width = Math.max(layout.width, graph.caption.length * fontSize * 0.6 + 32, 240);
  const height = top + layout.height + (statesShown.length > 0 ? legendHeight : 0);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" font-size="${fontSize}">`);
  out.push(`<title>${escapeXml(graph.caption)}</title>`);
  out.push('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#6b7280"/></marker></defs>');
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="16" y="19" font-weight="bold" fill="#111827">${escapeXml(graph.caption)}</text>`);
  out.push(`<g transform="translate(0 ${top})">`);
  for (const edge of layout.edges) {
    const d = edge.points.map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x} ${p.y}`).join(' ');
    out.push(`<path class="dependency" data-from="${escapeXml(edge.from)}" data-to="${escapeXml(edge.to)}" d="${d}" fill="none" stroke="#6b7280" stroke-width="1.2" marker-end="url(#arrow)"/>`);
  }
  for (const node of graph.nodes) {
    const placed = layout.nodes.get(node.id)!;
    const x = placed.x - placed.width / 2;
    const y = placed.y - placed.height / 2;
    const palette = node.state ? statePalette[node.state] : undefined;
    const fill = palette?.fill ?? '#f9fafb';
    const stroke = palette?.stroke ?? '#374151';
    const dash = node.conditional ? ' stroke-dasharray="6 4"' : '';
    const state = node.state ? ` data-state="${node.state}"` : '';
    out.push(`<g class="step" data-id="${escapeXml(node.id)}"${state}>`);
    out.push(`<rect x="${x}" y="${y}" width="${placed.width}" height="${placed.height}" rx="6" fill="${fill}" stroke="${stroke}" stroke-width="1.5"${dash}/>`);
    const textX = x + 10;
    let textY = y + 10 + fontSize;
    out.push(`<text x="${textX}" y="${textY}" font-weight="bold" fill="#111827">${escapeXml(node.title)}${node.state ? ` <tspan font-weight="normal" fill="${stroke}">${node.state}</tspan>` : ''}</text>`);
    for (const line of displayLines(node)) {
      textY += lineHeight;
      out.push(`<text x="${textX}" y="${textY}" fill="#4b5563">${escapeXml(line)}</text>`);
    }
    out.push('</g>');
  }
  out.push('</g>');
  if (statesShown.length > 0) {
    let x = 16;
    const y = top + layout.height + 6;
    out.push('<g class="legend">');
    for (const state of statesShown) {
      const palette = statePalette[state] ?? { fill: '#f9fafb', stroke: '#374151' };
      out.push(`<rect x="${x}" y="${y}" width="12" height="12" rx="2" fill="${palette.fill}" stroke="${palette.stroke}"/>`);
      out.push(`<text x="${x + 16}" y="${y + 10}" fill="#374151">${state}</text>`);
      x += 16 + state.length * fontSize * 0.6 + 16;
    }
    out.push('</g>');
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
