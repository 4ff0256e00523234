import type { Progress, SessionStats } from './useLabelQueue';

const median = (values: readonly number[]) => {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function SessionBar({ progress, stats }: { progress: Progress | null; stats: SessionStats }) {
  const total = progress ? progress.judged + progress.remaining : 0;
  const med = median(stats.decisionMs);
  const minutes = (stats.lastAt - stats.startedAt) / 60_000;
  return (
    <div className="session-bar" aria-label="Progress">
      <progress max={Math.max(total, 1)} value={progress?.judged ?? 0} aria-label="Labeled" />
      <span>
        <b>{progress?.judged ?? 0}</b> / {total} labeled
      </span>
      <span className="muted">
        this session: {stats.judged} judged · {stats.ties} ties · {stats.bothBad} both bad · {stats.skips}{' '}
        skipped
        {med !== null && ` · median ${(med / 1000).toFixed(1)} s`}
        {minutes > 0.5 && ` · ${(stats.judged / minutes).toFixed(1)}/min`}
      </span>
    </div>
  );
}
