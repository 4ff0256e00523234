import { describe, expect, it } from 'vitest';
import { JobCancelledError, JobRegistry, type JobState } from '../../main/services/jobs';

describe('JobRegistry', () => {
  it('reports start, progress and completion to listeners', async () => {
    const jobs = new JobRegistry();
    const seen: JobState[] = [];
    jobs.onChange((j) => seen.push(j));
    const { id, done } = jobs.start({ kind: 'test', title: 'quick' }, async (ctx) => {
      ctx.progress(0.5, 'half');
      return 42;
    });
    await expect(done).resolves.toBe(42);
    expect(seen[0]).toMatchObject({ id, status: 'running', progress: 0 });
    expect(seen.at(-1)).toMatchObject({ id, status: 'done', progress: 1 });
    expect(jobs.get(id)?.finishedAt).toBeGreaterThan(0);
  });

  it('marks a throwing job as failed with its message', async () => {
    const jobs = new JobRegistry();
    const { id, done } = jobs.start({ kind: 'test', title: 'bad' }, async () => {
      throw new Error('boom');
    });
    await expect(done).rejects.toThrow('boom');
    expect(jobs.get(id)).toMatchObject({ status: 'failed', error: 'boom' });
  });

  it('cancels a running job through its signal', async () => {
    const jobs = new JobRegistry();
    const { id, done } = jobs.start({ kind: 'test', title: 'slow' }, (ctx) => {
      return new Promise((_, reject) =>
        ctx.signal.addEventListener('abort', () => reject(new Error('stopped'))),
      );
    });
    expect(jobs.cancel(id)).toBe(true);
    await expect(done).rejects.toBeInstanceOf(JobCancelledError);
    expect(jobs.get(id)?.status).toBe('cancelled');
    expect(jobs.cancel(id)).toBe(false);
    expect(jobs.cancel('no-such-job')).toBe(false);
  });

  it('keeps only the newest finished jobs', async () => {
    const jobs = new JobRegistry(2);
    for (let i = 0; i < 4; i++) await jobs.start({ kind: 'test', title: `j${i}` }, async () => i).done;
    expect(jobs.list().map((j) => j.title)).toEqual(['j3', 'j2']);
  });
});
