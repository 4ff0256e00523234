// Generate: prompt and settings → a generate job on the engine host; step previews arrive as generate.preview,
// progress as job.progress, the batch as generate.done. Seeds are shown and reusable, each image gets a score
// chip from every loaded scorer (generate.scored, one per scorer), and a batch goes to labeling as one comparison.
import { useState } from 'react';
import { WEIRD_IMAGE_PREFIX, type EventPayload } from '../../../main/contract';
import { lastWriteError, useCallMutation, useEvent } from '../api/hooks';
import { withScores, type Batch } from '../components/generate/GeneratedChips';
import { ResultGrid } from '../components/generate/ResultGrid';
import { toInput, useGenerateForm } from '../components/generate/settings';
import { SettingsPanel } from '../components/generate/SettingsPanel';
import { Page } from '../components/Page';
import '../components/generate/generate.css';

interface Running {
  jobId: string;
  batchId: string;
  preview: string | null;
  step: number;
  total: number;
  message: string;
}

export function Generate() {
  const [form, patch] = useGenerateForm();
  const [running, setRunning] = useState<Running | null>(null);
  const [batches, setBatches] = useState<Batch[]>([]);
  const [jobError, setJobError] = useState<string | null>(null);
  const generate = useCallMutation('generate.start');
  const cancelJob = useCallMutation('jobs.cancel');

  useEvent('generate.preview', (p: EventPayload<'generate.preview'>) =>
    setRunning((r) =>
      r?.jobId === p.jobId ? { ...r, preview: p.dataUrl, step: p.step, total: p.total } : r,
    ),
  );
  useEvent('job.progress', (job) => {
    setRunning((r) => {
      if (r?.jobId !== job.id) return r;
      if (job.status === 'failed') setJobError(job.error ?? 'generation failed');
      return job.status === 'running' ? { ...r, message: job.message } : null;
    });
  });
  useEvent('generate.done', (batch) =>
    setBatches((old) => (old.some((b) => b.batchId === batch.batchId) ? old : [batch, ...old])),
  );
  useEvent('generate.scored', (scored) => setBatches((old) => old.map((b) => withScores(b, scored))));

  const start = () => {
    setJobError(null);
    generate.mutate(toInput(form), {
      onSuccess: ({ jobId, batchId }) =>
        setRunning({ jobId, batchId, preview: null, step: 0, total: form.steps, message: 'starting' }),
    });
  };
  const cancel = () => running && cancelJob.mutate({ id: running.jobId });
  const error = lastWriteError(generate, cancelJob) ?? jobError;
  const hasWeird = form.negative.includes(WEIRD_IMAGE_PREFIX.trim());

  return (
    <Page title="Generate" subtitle="Text-to-image with Stable Diffusion, optionally with a preference LoRA.">
      <div className="gen-layout">
        <SettingsPanel form={form} patch={patch} />
        <div className="gen-main">
          <label className="gen-prompt">
            <span className="small muted">Prompt</span>
            <textarea
              aria-label="Prompt"
              value={form.prompt}
              placeholder="a red cube on a blue table"
              onChange={(e) => patch({ prompt: e.target.value })}
              onKeyDown={(e) => e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !running && start()}
            />
          </label>
          <div className="gen-negative">
            <input
              aria-label="Negative prompt"
              placeholder="Negative prompt"
              value={form.negative}
              onChange={(e) => patch({ negative: e.target.value })}
            />
            <button
              type="button"
              disabled={hasWeird}
              title="The HPS recipe's identifier: steers away from what annotators rejected"
              onClick={() => patch({ negative: WEIRD_IMAGE_PREFIX + form.negative })}
            >
              + “Weird image.”
            </button>
          </div>
          <div className="form-actions">
            <button
              type="button"
              className="primary"
              disabled={!!running || generate.isPending || !form.prompt.trim() || !form.model.trim()}
              onClick={start}
            >
              Generate
            </button>
            {running && (
              <button type="button" onClick={cancel}>
                Cancel
              </button>
            )}
            {!form.model.trim() && <span className="small muted">Choose a model or give its path.</span>}
            {error && (
              <span className="error" role="alert">
                {error}
              </span>
            )}
          </div>
          {running && (
            <div className="gen-live" aria-label="Sampling">
              {running.preview ? (
                <img src={running.preview} alt={`preview at step ${running.step}`} />
              ) : (
                <div className="gen-live-placeholder" />
              )}
              <div className="gen-progress">
                <progress max={running.total} value={running.step} aria-label="Sampling progress" />
                <div className="small muted">
                  {running.message || `step ${running.step} of ${running.total}`}
                </div>
              </div>
            </div>
          )}
          {batches.map((batch) => (
            <ResultGrid key={batch.batchId} batch={batch} onReuseSeed={(seed) => patch({ seed })} />
          ))}
        </div>
      </div>
    </Page>
  );
}
