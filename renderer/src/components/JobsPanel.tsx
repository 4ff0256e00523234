// Running and recent jobs: loaded once with jobs.list, then kept current by job.progress events.
import { useQueryClient } from '@tanstack/react-query';
import type { CallOutput, EventPayload } from '../../../main/contract';
import { callKey, useCall, useCallMutation, useEvent } from '../api/hooks';

type Job = EventPayload<'job.progress'>;

export function JobsPanel() {
  const queryClient = useQueryClient();
  const { data } = useCall('jobs.list', {});
  const cancel = useCallMutation('jobs.cancel');
  useEvent('job.progress', (job: Job) => {
    queryClient.setQueryData<CallOutput<'jobs.list'>>(callKey('jobs.list', {}), (old) => {
      const others = (old?.jobs ?? []).filter((j) => j.id !== job.id);
      return { jobs: [job, ...others].sort((a, b) => b.startedAt - a.startedAt).slice(0, 20) };
    });
  });
  const jobs = data?.jobs ?? [];
  return (
    <aside className="jobs" aria-label="Jobs">
      <h2>Jobs</h2>
      {cancel.error && <p className="error small">{cancel.error.message}</p>}
      {jobs.length === 0 ? (
        <p className="muted small">No jobs yet. Imports, scoring, generation and training show up here.</p>
      ) : (
        <ul>
          {jobs.map((job) => (
            <li key={job.id} className={`job job-${job.status}`}>
              <div className="job-line">
                <span className="job-title">{job.title}</span>
                {job.status === 'running' ? (
                  <button className="link" onClick={() => cancel.mutate({ id: job.id })}>
                    Cancel
                  </button>
                ) : (
                  <span className="small muted">{job.status}</span>
                )}
              </div>
              <progress max={1} value={job.progress} aria-label={`${job.title} progress`} />
              <div className="small muted">{job.error ?? job.message}</div>
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}
