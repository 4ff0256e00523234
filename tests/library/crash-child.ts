// Child process for the crash test: labels as fast as it can and prints each idempotency key only after
// submitJudgment resolved (that is the acknowledgement the UI would get). The parent kills it with SIGKILL.
import { randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';
import { Library } from '../../main/services/library';

const [dir, annotatorId] = [process.argv[2]!, Number(process.argv[3])];
const lib = await Library.open(dir);
for (let n = 0; ; n++) {
  const next = await lib.judgments.next(annotatorId);
  if (!next) break;
  const key = randomUUID();
  const input = {
    comparisonId: next.comparison.id,
    annotatorId,
    kind: 'choice' as const,
    chosenImageId: next.shownOrder[0]!,
    shownOrder: next.shownOrder,
    decisionMs: n,
    idempotencyKey: key,
  };
  await lib.judgments.submit(input);
  // Every fifth item is submitted twice, as a client retrying after a lost response would.
  if (n % 5 === 0) await lib.judgments.submit(input);
  writeSync(1, `${key}\n`);
}
writeSync(1, 'done\n');
