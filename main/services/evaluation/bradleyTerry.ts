// Bradley–Terry strengths by maximum likelihood (Hunter's 2004 MM iteration). A tie counts as half a win each.

export interface Contest {
  winner: number;
  loser: number;
  tie?: boolean;
}

export interface BradleyTerryOptions {
  iterations?: number;
  tolerance?: number;
}

/**
 * Strengths p_i with P(i beats j) = p_i / (p_i + p_j), scaled to a geometric mean of 1. Items that never won
 * have MLE strength 0 (no finite maximum); they come out as 0.
 */
export function bradleyTerry(
  contests: readonly Contest[],
  options: BradleyTerryOptions = {},
): Map<number, number> {
  const items = [...new Set(contests.flatMap((c) => [c.winner, c.loser]))];
  const wins = new Map(items.map((item) => [item, 0]));
  const games = new Map<string, number>();
  const key = (i: number, j: number) => (i < j ? `${i},${j}` : `${j},${i}`);
  for (const contest of contests) {
    const share = contest.tie ? 0.5 : 1;
    wins.set(contest.winner, wins.get(contest.winner)! + share);
    wins.set(contest.loser, wins.get(contest.loser)! + (1 - share));
    games.set(key(contest.winner, contest.loser), (games.get(key(contest.winner, contest.loser)) ?? 0) + 1);
  }
  let strength = new Map(items.map((item) => [item, 1]));
  for (let iteration = 0; iteration < (options.iterations ?? 1000); iteration++) {
    const next = new Map<number, number>();
    for (const i of items) {
      let denominator = 0;
      for (const j of items) {
        const n = i === j ? 0 : (games.get(key(i, j)) ?? 0);
        if (n > 0) denominator += n / (strength.get(i)! + strength.get(j)!);
      }
      next.set(i, denominator === 0 ? strength.get(i)! : wins.get(i)! / denominator);
    }
    const positive = [...next.values()].filter((v) => v > 0);
    const scale = Math.exp(positive.reduce((t, v) => t + Math.log(v), 0) / Math.max(1, positive.length));
    for (const [i, v] of next) next.set(i, v / scale);
    const change = Math.max(...items.map((i) => Math.abs(next.get(i)! - strength.get(i)!)));
    strength = next;
    if (change < (options.tolerance ?? 1e-10)) break;
  }
  return strength;
}
