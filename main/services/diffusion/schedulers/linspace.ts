/** np.linspace(start, stop, num) as diffusers' schedule code calls it (float64, like numpy): i·step + start,
 *  with the end point set exactly. */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : i * step + start));
}
