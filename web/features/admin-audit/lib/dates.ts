/**
 * The filter's day inputs (`YYYY-MM-DD`, the admin's local calendar) as the
 * epoch-ms bounds the API takes: `from` at the start of that day, `to` at its end.
 */
export function dayStart(day: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return undefined;
  const ms = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

export function dayEnd(day: string): number | undefined {
  const start = dayStart(day);
  if (start === undefined) return undefined;
  const s = new Date(start);
  // The next local midnight, minus 1 ms: right on days that are 23 or 25 hours long.
  return new Date(s.getFullYear(), s.getMonth(), s.getDate() + 1).getTime() - 1;
}
