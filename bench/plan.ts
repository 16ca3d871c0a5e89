/**
 * Benchmark: plan a random 10,000-service DAG (each service depends on up to 3 earlier ones, some
 * with a healthcheck). Times buildGraph + planUp + formatPlan; prints the median of 7 runs, min and
 * max in ms, as one line or, with `--json`, as JSON. Run with `node dist/bench/plan.js`.
 */
import { performance } from 'node:perf_hooks';
import type { DependencyCondition, Stack } from '../src/config/model.js';
import { buildGraph, formatPlan, planUp } from '../src/planner/index.js';
import { healthcheck, makeStack, type ServiceInput } from '../src/planner/test-stack.js';

const SERVICES = 10_000;
const RUNS = 7;
const SEED = 0x5eed;

/** mulberry32: a small seeded PRNG, so every run plans the same stack. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The random stack: service i depends on up to 3 of services 0..i-1; one in five has a healthcheck. */
function randomStack(count = SERVICES, seed = SEED): Stack {
  const random = prng(seed);
  const healthy: boolean[] = [];
  const services: Record<string, ServiceInput> = {};
  for (let i = 0; i < count; i++) {
    const depends_on: Record<string, DependencyCondition> = {};
    const deps = i === 0 ? 0 : Math.floor(random() * 4);
    for (let k = 0; k < deps; k++) {
      const j = Math.floor(random() * i);
      depends_on[`s${j}`] = healthy[j] ? 'service_healthy' : 'service_started';
    }
    healthy[i] = random() < 0.2;
    services[`s${i}`] = {
      image: 'host',
      command: ['node', `s${i}.js`],
      environment: { PORT: String(8000 + (i % 1000)) },
      depends_on,
      ...(healthy[i] ? { healthcheck: healthcheck(['CMD', 'true']) } : {}),
    };
  }
  return makeStack({ name: 'bench', services });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

function main(): void {
  const json = process.argv.includes('--json');
  const stack = randomStack();
  const totals: number[] = [];
  let nodes = 0;
  let edges = 0;
  let chars = 0;
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    const graph = buildGraph(stack);
    const plan = planUp(stack, { graph });
    const text = formatPlan(plan);
    totals.push(performance.now() - start);
    edges = graph.edges.length;
    nodes = plan.nodes.length;
    chars = text.length;
  }
  const result = {
    benchmark: 'plan',
    services: SERVICES,
    dependencies: edges,
    planNodes: nodes,
    textBytes: chars,
    runs: RUNS,
    medianMs: round(median(totals)),
    minMs: round(Math.min(...totals)),
    maxMs: round(Math.max(...totals)),
  };
  if (json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(
      `plan: ${SERVICES} services, ${edges} dependencies -> ${nodes} plan nodes: ` +
        `median ${result.medianMs} ms (min ${result.minMs}, max ${result.maxMs}, ${RUNS} runs)`,
    );
  }
}

main();
