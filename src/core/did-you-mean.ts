/**
 * "Did you mean ...?" for a mistyped name (an environment, a config key). Pure.
 * Names longer than a person types are not compared: the edit distance is
 * quadratic in length, and a 50,000-character key is not a typo.
 */

/** Longest name compared; longer ones get no suggestion. */
const MAX_COMPARED_LENGTH = 64;

/** The closest of `known` within a small edit distance of `name` (case-insensitive), or undefined. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  if (name.length > MAX_COMPARED_LENGTH) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    if (candidate.length > MAX_COMPARED_LENGTH) continue;
    const limit = Math.max(2, Math.floor(candidate.length / 3));
    if (Math.abs(candidate.length - name.length) > limit) continue;
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

/** ` (did you mean "x"?)` or the empty string. */
export function didYouMean(name: string, known: readonly string[]): string {
  const hint = closestName(name, known);
  return hint ? ` (did you mean "${hint}"?)` : "";
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}
