/**
 * SendCommand's rate-control syntax ("10%" or "25") turned into counts for a selection, the way
 * SSM reads it: a percentage of concurrency rounds up (at least one target runs), a percentage
 * of errors rounds down (5% of 10 instances allows no error).
 */
function parse(rate: string): { percent: number } | { count: number } {
  return rate.endsWith('%') ? { percent: Number(rate.slice(0, -1)) } : { count: Number(rate) };
}

export function concurrencyFor(rate: string, total: number): number {
  const parsed = parse(rate);
  const count = 'count' in parsed ? parsed.count : Math.ceil((total * parsed.percent) / 100);
  return Math.max(1, count);
}

export function allowedErrorsFor(rate: string, total: number): number {
  const parsed = parse(rate);
  return 'count' in parsed ? parsed.count : Math.floor((total * parsed.percent) / 100);
}
