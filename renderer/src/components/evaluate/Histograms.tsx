// Score distribution per scorer, over every image or the images of one prompt.
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useCall } from '../../api/hooks';
import { scorerLabel } from '../compare/ScoreChips';

export function Histograms() {
  const [promptId, setPromptId] = useState<number | undefined>(undefined);
  const { data } = useCall(
    'evaluation.histograms',
    { promptId, bins: 20 },
    { placeholderData: (prev) => prev },
  );
  if (!data) return null;
  return (
    <div className="histograms">
      <select
        value={promptId ?? ''}
        onChange={(e) => setPromptId(e.target.value === '' ? undefined : Number(e.target.value))}
        aria-label="Prompt"
      >
        <option value="">All prompts</option>
        {data.prompts.map((p) => (
          <option key={p.id} value={p.id}>
            {p.text.length > 80 ? `${p.text.slice(0, 80)}…` : p.text}
          </option>
        ))}
      </select>
      <div className="histogram-grid">
        {data.histograms.map((h) => (
          <figure key={h.modelId} className="histogram">
            <figcaption>
              {scorerLabel(h.modelId)} <span className="muted small">n = {h.n}</span>
            </figcaption>
            <ResponsiveContainer width="100%" height={160}>
              <BarChart data={h.bins.map((b) => ({ x: ((b.from + b.to) / 2).toFixed(2), count: b.count }))}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="x" fontSize={11} />
                <YAxis allowDecimals={false} fontSize={11} width={30} />
                <Tooltip />
                <Bar dataKey="count" fill="#5b5bd6" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </figure>
        ))}
      </div>
    </div>
  );
}
