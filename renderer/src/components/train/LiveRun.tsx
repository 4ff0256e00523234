// A training job as it runs: step, steps/s, ETA, the loss curve, and pause / resume / cancel.
import { lazy, Suspense } from 'react';
import type { CallOutput } from '../../../../main/contract';
import { lastWriteError, useCallMutation } from '../../api/hooks';

// recharts arrives with the first chart, as in the Evaluate view.
const LossChart = lazy(() => import('./LossChart').then((m) => ({ default: m.LossChart })));

export type Live = CallOutput<'training.live'>['runs'][number] & { status: string; error?: string };

function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  return s < 60
    ? `${s} s`
    : s < 3600
      ? `${Math.floor(s / 60)} min ${s % 60} s`
      : `${(s / 3600).toFixed(1)} h`;
}

export function LiveRun({ run }: { run: Live }) {
  const pause = useCallMutation('training.pause');
  const resume = useCallMutation('training.resume');
  const cancel = useCallMutation('jobs.cancel');
  const busy = pause.isPending || resume.isPending || cancel.isPending;
  const error = run.error ?? lastWriteError(pause, resume, cancel);
  const last = run.last;
  const running = run.status === 'running';
  return (
    <section className="train-live" aria-label={`Run ${run.runName}`}>
      <header className="train-live-header">
        <strong>{run.runName}</strong>
        <span className="badge" role="status">
          {running ? (run.paused ? 'paused' : (last?.phase ?? 'starting')) : run.status}
        </span>
        <span className="small muted" aria-label="Training step">
          step {last?.step ?? 0} of {last?.totalSteps ?? '…'}
        </span>
        <span className="small muted">
          {last?.stepsPerSecond ? `${last.stepsPerSecond.toFixed(2)} steps/s` : ''}
        </span>
        <span className="small muted">ETA {duration(last?.etaSeconds)}</span>
        {last?.loss !== undefined && <span className="small">loss {last.loss.toFixed(5)}</span>}
        {running && (
          <>
            {run.paused ? (
              <button type="button" disabled={busy} onClick={() => resume.mutate({ jobId: run.jobId })}>
                Resume
              </button>
            ) : (
              <button type="button" disabled={busy} onClick={() => pause.mutate({ jobId: run.jobId })}>
                Pause
              </button>
            )}
            <button type="button" disabled={busy} onClick={() => cancel.mutate({ id: run.jobId })}>
              Cancel (keeps a checkpoint)
            </button>
          </>
        )}
      </header>
      {last?.message && running && <div className="small muted">{last.message}</div>}
      {error && <div className="error">{error}</div>}
      <progress max={last?.totalSteps ?? 1} value={last?.step ?? 0} aria-label="Training progress" />
      {run.losses.length > 0 && (
        <Suspense fallback={<div className="chart chart-placeholder" />}>
          <LossChart losses={run.losses} />
        </Suspense>
      )}
    </section>
  );
}
