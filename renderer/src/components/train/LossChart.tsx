// The live loss curve (per step, with a 10-step moving average), drawn with recharts like the Evaluate charts.
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export function LossChart({ losses }: { losses: readonly number[] }) {
  // A resumed run has no points before its checkpoint: Array.from turns those holes into gaps.
  const data = Array.from(losses, (loss, i) => {
    const window = losses.slice(Math.max(0, i - 9), i + 1).filter(Number.isFinite);
    const mean = window.length > 0 ? window.reduce((a, b) => a + b, 0) / window.length : undefined;
    return { step: i + 1, loss, mean };
  });
  return (
    <div className="chart train-chart" role="img" aria-label="Loss curve">
      <ResponsiveContainer width="100%" height={220}>
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="step" type="number" domain={[1, 'dataMax']} allowDecimals={false} />
          <YAxis domain={['auto', 'auto']} width={60} tickFormatter={(v: number) => v.toPrecision(3)} />
          <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(5) : String(v))} />
          <Line dataKey="loss" stroke="var(--muted)" dot={false} isAnimationActive={false} strokeWidth={1} />
          <Line dataKey="mean" stroke="var(--accent)" dot={false} isAnimationActive={false} strokeWidth={2} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
