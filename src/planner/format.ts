/** A plan as users and tools read it: text (`stack plan`), JSON (`--json`) and Graphviz (`--dot`). */
import type { Plan } from './plan.js';

/** One node a line: `[2,5] -> #6 container:shop-api-1  start-container`, detail in parentheses. */
export function formatPlan(plan: Plan): string {
  const lines = new Array<string>(plan.nodes.length);
  plan.nodes.forEach((n, i) => {
    const detail = n.detail ? ` (${n.detail})` : '';
    lines[i] = `[${n.dependsOn.join(',')}] -> #${n.id} ${n.resource}  ${n.operation}${detail}`;
  });
  if (plan.orphans.length > 0) lines.push(`orphans: ${plan.orphans.join(', ')}`);
  return lines.join('\n');
}

/** The stable JSON shape of a plan (`stack plan --json`); payloads beyond these fields are internal. */
export interface PlanJson {
  project: string;
  action: Plan['action'];
  nodes: Array<{ id: number; operation: string; resource: string; detail?: string; dependsOn: number[] }>;
  orphans: string[];
}

/** The plan as a plain object with a fixed key order, ready for `JSON.stringify`. */
export function formatPlanJson(plan: Plan): PlanJson {
  return {
    project: plan.project,
    action: plan.action,
    nodes: plan.nodes.map((n) => ({
      id: n.id,
      operation: n.operation,
      resource: n.resource,
      ...(n.detail ? { detail: n.detail } : {}),
      dependsOn: [...n.dependsOn],
    })),
    orphans: [...plan.orphans],
  };
}

/** A Graphviz digraph: one box per node (resource, operation), edges from dependency to dependent. */
export function formatPlanDot(plan: Plan): string {
  const lines = [`digraph ${quote(`${plan.project} ${plan.action}`)} {`, '  rankdir=LR;', '  node [shape=box];'];
  for (const n of plan.nodes) {
    const label = `#${n.id} ${n.resource}\\n${n.operation}${n.detail ? ` (${n.detail})` : ''}`;
    lines.push(`  n${n.id} [label=${quote(label, false)}];`);
  }
  for (const n of plan.nodes) for (const d of n.dependsOn) lines.push(`  n${d} -> n${n.id};`);
  lines.push('}');
  return lines.join('\n');
}

/** A DOT string literal; `escapeNewline: false` keeps the `\n` line breaks the label means. */
function quote(text: string, escapeBackslash = true): string {
  const body = escapeBackslash ? text.replace(/\\/g, '\\\\') : text;
  return `"${body.replace(/"/g, '\\"')}"`;
}
