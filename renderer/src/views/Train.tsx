// Train: one-click LoRA training from the library's labels (HPS recipe or Diffusion-DPO), the live loss
// curve with steps/s and ETA, pause / resume / cancel, the run history (continue a stopped run from its
// checkpoint), and after a run the A/B grid that sends base-vs-adapted pairs back to labeling.
import { useState } from 'react';
import type { CallOutput } from '../../../main/contract';
import { lastWriteError, useCall, useCallMutation, useEvent, useInvalidate } from '../api/hooks';
import { Page } from '../components/Page';
import { AbGrid } from '../components/train/AbGrid';
import { LiveRun, type Live } from '../components/train/LiveRun';
import { RunHistory } from '../components/train/RunHistory';
import { ScorerSection } from '../components/train/ScorerSection';
import { TrainForm } from '../components/train/TrainForm';
import '../components/train/train.css';

type Run = CallOutput<'training.runs'>['runs'][number];

export function Train() {
  const invalidate = useInvalidate();
  const status = useCall('library.status', {});
  const history = useCall('training.runs', {});
  const [live, setLive] = useState<Map<string, Live>>(new Map());
  const [compare, setCompare] = useState<Run | null>(null);
  const liveAtOpen = useCall('training.live', {});
  // A view opened mid-run starts from the server's curves; events keep them current after that.
  const atOpen = new Map<string, Live>(
    (liveAtOpen.data?.runs ?? []).map((r) => [r.jobId, { ...r, status: 'running' }]),
  );

  useEvent('training.progress', (p) =>
    setLive((old) => {
      const run = old.get(p.jobId) ??
        atOpen.get(p.jobId) ?? {
          jobId: p.jobId,
          runName: p.runName,
          paused: false,
          losses: [],
          last: null,
          status: 'running',
        };
      const losses = run.losses.slice();
      if (p.phase === 'training' && p.loss !== undefined) losses[p.step - 1] = p.loss;
      return new Map(old).set(p.jobId, { ...run, losses, paused: p.phase === 'paused', last: p });
    }),
  );
  useEvent('job.progress', (job) => {
    if (job.kind !== 'training' || job.status === 'running') return;
    setLive((old) => {
      const run = old.get(job.id) ?? atOpen.get(job.id);
      return run
        ? new Map(old).set(job.id, { ...run, status: job.status, error: job.error, paused: false })
        : old;
    });
    void invalidate('training.runs');
  });

  const started = ({ jobId, runName }: CallOutput<'training.start'>) =>
    setLive((old) =>
      new Map(old).set(jobId, { jobId, runName, paused: false, losses: [], last: null, status: 'running' }),
    );
  const start = useCallMutation('training.start', { invalidates: ['training.runs'], onSuccess: started });
  const restart = useCallMutation('training.restart', { invalidates: ['training.runs'], onSuccess: started });
  const error = lastWriteError(start, restart);

  const runs = [...new Map([...atOpen, ...live]).values()].reverse();
  const liveNames = new Set(runs.filter((r) => r.status === 'running').map((r) => r.runName));
  return (
    <Page title="Train" subtitle="Fine-tune with your preference labels (LoRA, DPO, preference models).">
      <TrainForm
        labeled={status.data?.stats.judgments ?? 0}
        scorers={status.data?.scorers ?? []}
        busy={liveNames.size > 0 || start.isPending}
        onStart={start.mutate}
      />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {runs.map((run) => (
        <LiveRun key={run.jobId} run={run} />
      ))}
      <h2>Run history</h2>
      <RunHistory
        runs={history.data?.runs ?? []}
        liveNames={liveNames}
        onRestart={(runId) => restart.mutate({ runId })}
        onCompare={setCompare}
      />
      {compare && <AbGrid run={compare} />}
      <ScorerSection />
    </Page>
  );
}
