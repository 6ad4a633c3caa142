/**
 * A copy of any value that is safe to log: at most `maxDepth` levels of objects and arrays, and
 * at most about `maxChars` characters once serialized. Loggers serialize recursively (Powertools'
 * Logger overflows the stack on an object ~4,000 levels deep), and a log line of a 1 MB event costs
 * as much as the event; what is cut is marked, so a reader knows the line is not the whole value.
 */
export interface Bounds {
  maxDepth: number;
  maxChars: number;
}

export const LOG_BOUNDS: Bounds = { maxDepth: 8, maxChars: 8_192 };

const CUT_DEPTH = '[deeper levels left out]';

export function boundedForLog(value: unknown, bounds: Bounds = LOG_BOUNDS): unknown {
  let budget = bounds.maxChars;
  const copy = (node: unknown, depth: number): unknown => {
    if (budget <= 0) return undefined;
    if (typeof node === 'string') {
      const kept = node.length > budget ? `${node.slice(0, Math.max(0, budget))}…[${node.length - budget} more characters]` : node;
      budget -= Math.min(node.length, budget) + 2;
      return kept;
    }
    if (node === null || typeof node !== 'object') {
      budget -= String(node).length;
      return typeof node === 'bigint' || typeof node === 'function' || typeof node === 'symbol' ? String(node) : node;
    }
    if (depth >= bounds.maxDepth) {
      budget -= CUT_DEPTH.length;
      return CUT_DEPTH;
    }
    const entries = Array.isArray(node) ? node.map((item, index) => [String(index), item] as const) : Object.entries(node);
    const out: [string, unknown][] = [];
    for (const [key, item] of entries) {
      if (budget <= 0) {
        out.push(['…', `${entries.length - out.length} more entries left out`]);
        break;
      }
      budget -= key.length + 4;
      out.push([key, copy(item, depth + 1)]);
    }
    return Array.isArray(node) ? out.map(([, item]) => item) : Object.fromEntries(out);
  };
  return copy(value, 0);
}
