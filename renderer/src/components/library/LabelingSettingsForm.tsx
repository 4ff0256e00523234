// The library's labeling policy: how many annotators label each item (blind to each other) and how often
// gold items (known answers) are mixed in.
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { CallOutput } from '../../../../main/contract';
import { callKey, useApi, useCall } from '../../api/hooks';

type Settings = CallOutput<'labeling.settings'>;

export function LabelingSettingsForm() {
  const { data } = useCall('labeling.settings', {});
  return data ? <SettingsEditor key={JSON.stringify(data)} initial={data} /> : null;
}

function SettingsEditor({ initial }: { initial: Settings }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [overlap, setOverlap] = useState(initial.overlap);
  const [goldPercent, setGoldPercent] = useState(Math.round(initial.goldRate * 100));
  const [message, setMessage] = useState<string | null>(null);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const saved = await api.call('labeling.setSettings', { overlap, goldRate: goldPercent / 100 });
      queryClient.setQueryData(callKey('labeling.settings', {}), saved);
      setMessage('Saved.');
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  return (
    <form className="row labeling-settings" onSubmit={save} aria-label="Labeling settings">
      <label className="check">
        Labels per item
        <input
          type="number"
          min={1}
          max={20}
          className="narrow"
          value={overlap}
          onChange={(e) => setOverlap(Math.max(1, Math.min(20, Number(e.target.value) || 1)))}
          aria-label="Labels per item"
        />
      </label>
      <label className="check">
        Gold items
        <input
          type="number"
          min={0}
          max={100}
          className="narrow"
          value={goldPercent}
          onChange={(e) => setGoldPercent(Math.max(0, Math.min(100, Number(e.target.value) || 0)))}
          aria-label="Gold items percent"
        />
        %
      </label>
      <button type="submit">Save</button>
      {message && <span className="small muted">{message}</span>}
    </form>
  );
}
