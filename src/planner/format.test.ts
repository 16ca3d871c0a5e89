import { describe, expect, it } from 'vitest';
import { formatPlan, formatPlanDot, formatPlanJson } from './format.js';
import { planUp } from './plan-up.js';
import { healthcheck, makeStack } from './test-stack.js';

const stack = makeStack({
  name: 'demo',
  services: {
    db: { image: 'host', healthcheck: healthcheck(['CMD', 'true']) },
    app: { image: 'host', depends_on: { db: 'service_healthy' } },
  },
});

describe('format', () => {
  it('prints text, one node a line', () => {
    expect(formatPlan(planUp(stack))).toBe(
      [
        '[] -> #1 network:demo_default  create-network',
        '[1] -> #2 container:demo-db-1  create-container',
        '[2] -> #3 container:demo-db-1  start-container',
        '[3] -> #4 service:db  wait-ready (healthy)',
        '[1] -> #5 container:demo-app-1  create-container',
        '[4,5] -> #6 container:demo-app-1  start-container',
      ].join('\n'),
    );
  });

  it('prints stable JSON without the internal payloads', () => {
    expect(JSON.stringify(formatPlanJson(planUp(stack, { services: ['db'] })), null, 1)).toMatchInlineSnapshot(`
      "{
       "project": "demo",
       "action": "up",
       "nodes": [
        {
         "id": 1,
         "operation": "create-network",
         "resource": "network:demo_default",
         "dependsOn": []
        },
        {
         "id": 2,
         "operation": "create-container",
         "resource": "container:demo-db-1",
         "dependsOn": [
          1
         ]
        },
        {
         "id": 3,
         "operation": "start-container",
         "resource": "container:demo-db-1",
         "dependsOn": [
          2
         ]
        },
        {
         "id": 4,
         "operation": "wait-ready",
         "resource": "service:db",
         "detail": "healthy",
         "dependsOn": [
          3
         ]
        }
       ],
       "orphans": []
      }"
    `);
  });

  it('prints a Graphviz digraph with edges from dependency to dependent', () => {
    expect(formatPlanDot(planUp(stack))).toMatchInlineSnapshot(`
      "digraph "demo up" {
        rankdir=LR;
        node [shape=box];
        n1 [label="#1 network:demo_default\\ncreate-network"];
        n2 [label="#2 container:demo-db-1\\ncreate-container"];
        n3 [label="#3 container:demo-db-1\\nstart-container"];
        n4 [label="#4 service:db\\nwait-ready (healthy)"];
        n5 [label="#5 container:demo-app-1\\ncreate-container"];
        n6 [label="#6 container:demo-app-1\\nstart-container"];
        n1 -> n2;
        n2 -> n3;
        n3 -> n4;
        n1 -> n5;
        n4 -> n6;
        n5 -> n6;
      }"
    `);
  });
});
