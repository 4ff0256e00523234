// Pairwise accuracy per scorer under both tie conventions, with the bootstrap 95% interval as error bars.
import {
  Bar,
  BarChart,
  CartesianGrid,
  ErrorBar,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { CallOutput } from '../../../../main/contract';
import { scorerLabel } from '../compare/ScoreChips';

type Model = CallOutput<'evaluation.metricAccuracy'>['models'][number];
type Accuracy = Model['dropTies'];

const pct = (r: Accuracy) => (r.accuracy === null ? null : r.accuracy * 100);
const err = (r: Accuracy): [number, number] =>
  r.accuracy === null || !r.interval
    ? [0, 0]
    : [(r.accuracy - r.interval[0]) * 100, (r.interval[1] - r.accuracy) * 100];

export function AccuracyChart({ models }: { models: Model[] }) {
  const data = models.map((m) => ({
    model: scorerLabel(m.modelId),
    dropTies: pct(m.dropTies),
    dropTiesErr: err(m.dropTies),
    halfCredit: pct(m.halfCredit),
    halfCreditErr: err(m.halfCredit),
  }));
  return (
    <div className="chart" role="img" aria-label="Pairwise accuracy per scorer">
      <ResponsiveContainer width="100%" height={280}>
        <BarChart data={data} margin={{ top: 10, right: 16, bottom: 4, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="model" />
          <YAxis domain={[0, 100]} unit="%" />
          <Tooltip formatter={(v) => (typeof v === 'number' ? `${v.toFixed(1)}%` : String(v))} />
          <Legend />
          <Bar dataKey="dropTies" name="Drop human ties" fill="#5b5bd6" isAnimationActive={false}>
            <ErrorBar dataKey="dropTiesErr" width={6} stroke="#333" isAnimationActive={false} />
          </Bar>
          <Bar
            dataKey="halfCredit"
            name="Ties half credit (Pick-a-Pic)"
            fill="#48a872"
            isAnimationActive={false}
          >
            <ErrorBar dataKey="halfCreditErr" width={6} stroke="#333" isAnimationActive={false} />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
