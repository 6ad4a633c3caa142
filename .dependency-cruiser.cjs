/* global module */
/**
 * Import directions, checked by `npm run lint` (dependency-cruiser, type-only imports included).
 * lib/ is layered; each folder may import only the folders below it (docs/design.md has the
 * picture and each folder's purpose):
 *
 *   organization   the organization mode: the single-account domain run once per account-region
 *   entry          the service's entry points: events, the worker's work items, reconcile, status
 *   outcomes       settling command outcomes, outcome checks
 *   rollout        configuration rollouts
 *   apply          the executor and the state record writes
 *   observation    reading AWS into plain data
 *   planning       the pure planner and the desired state
 *   model          the record lifecycle, timing, rate control, work items, event names
 *   agent          the CloudWatch agent's configuration rules
 *   top level      ports, config, errors, schema, clock
 *   support        small generic helpers
 *
 * lib/aws (the SDK adapters) sees only the top level, model and support. functions/ is built on
 * lib/; local/ (the simulated account) on both; cli/ on all three. Nothing below imports above.
 */
const layers = ['support', 'top', 'agent', 'model', 'planning', 'observation', 'apply', 'rollout', 'outcomes', 'entry', 'organization'];
const folderOf = {
  support: '^lib/support/',
  top: '^lib/[^/]+$',
  agent: '^lib/agent/',
  model: '^lib/model/',
  planning: '^lib/planning/',
  observation: '^lib/observation/',
  apply: '^lib/apply/',
  rollout: '^lib/rollout/',
  outcomes: '^lib/outcomes/',
  entry: '^lib/entry/',
  organization: '^lib/organization/',
};
/** observation and apply sit side by side: neither imports the other. */
const siblings = { observation: ['apply'], apply: ['observation'] };

const upward = layers.map((layer, index) => ({
  name: `lib-${layer}-imports-only-below`,
  comment: `lib/${layer === 'top' ? '' : layer + '/'} may import only the layers below it`,
  severity: 'error',
  from: { path: folderOf[layer] },
  to: { path: [...layers.slice(index + 1), ...(siblings[layer] ?? [])].map((above) => folderOf[above]).concat('^functions/', '^local/', '^cli/') },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...upward,
    {
      name: 'aws-adapters-see-only-ports-and-model',
      comment: 'lib/aws implements the ports; the domain above is none of its business.',
      severity: 'error',
      from: { path: '^lib/aws/' },
      to: { path: ['^lib/(planning|observation|apply|rollout|outcomes|entry|organization)/', '^functions/', '^local/', '^cli/'] },
    },
    {
      name: 'functions-are-not-simulated',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: ['^local/', '^cli/'] },
    },
    {
      name: 'the-simulation-builds-its-own-runtime',
      comment:
        'local/ builds the handlers of functions/handlers with its own runtime. The deployed entries import Powertools, whose X-Ray SDK hooks every promise at import.',
      severity: 'error',
      from: { path: '^local/' },
      to: { path: ['^functions/[^/]+[.]ts$'], pathNot: ['^functions/handler[.]ts$'] },
    },
    {
      name: 'the-simulation-is-no-cli',
      severity: 'error',
      from: { path: '^local/' },
      to: { path: '^cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    // Type-only imports count: a cycle through types is still a cycle for the reader.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
