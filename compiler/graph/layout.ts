// Left-to-right layout of a plan graph with dagre. Node sizes come from the text they hold
// (monospace metrics, so the estimate is exact enough and the same on every machine).
import dagre from '@dagrejs/dagre';
import type { GraphNode, PlanGraph } from './model.js';

export const fontSize = 12;
export const lineHeight = 16;
const charWidth = fontSize * 0.6;
const padding = 10;

export interface PlacedNode {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge {
  from: string;
  to: string;
  points: { x: number; y: number }[];
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: Map<string, PlacedNode>;
  edges: PlacedEdge[];
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Longest line of a node in the SVG; longer ones wrap at spaces (continuations indented). */
export const maxLineLength = 36;

function wrap(line: string): string[] {
  if (line.length <= maxLineLength) return [line];
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    const limit = out.length === 0 ? maxLineLength : maxLineLength - 2;
    if (current !== '' && current.length + 1 + word.length > limit) {
      out.push(current);
      current = word;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  if (current !== '') out.push(current);
  return out.map((l, i) => (i === 0 ? l : `  ${l}`));
}

/** The node's lines as the SVG draws them. */
export function displayLines(node: GraphNode): string[] {
  return node.lines.flatMap(wrap);
}

export function layoutGraph(graph: PlanGraph): GraphLayout {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 48, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) {
    const titleLength = node.title.length + (node.state ? node.state.length + 1 : 0);
    const lines = displayLines(node);
    const longest = Math.max(titleLength, ...lines.map((l) => l.length));
    g.setNode(node.id, { width: Math.ceil(longest * charWidth + 2 * padding), height: (1 + lines.length) * lineHeight + 2 * padding - 4 });
  }
  for (const edge of graph.edges) if (g.hasNode(edge.from) && g.hasNode(edge.to)) g.setEdge(edge.from, edge.to);
  dagre.layout(g);
  const nodes = new Map<string, PlacedNode>();
  for (const node of graph.nodes) {
    const placed = g.node(node.id);
    nodes.set(node.id, { id: node.id, x: round(placed.x ?? 0), y: round(placed.y ?? 0), width: placed.width, height: placed.height });
  }
  const edges = g.edges().map((e: { v: string; w: string }) => ({
    from: e.v,
    to: e.w,
    points: (g.edge(e)?.points ?? []).map((p: { x: number; y: number }) => ({ x: round(p.x), y: round(p.y) })),
  }));
  const label = g.graph();
  return { width: Math.ceil(label.width ?? 0), height: Math.ceil(label.height ?? 0), nodes, edges };
}
