// The library's labeling policy: how many annotators label each item (blind to each other) and how often
// gold items (known answers) are mixed in.
import { useState, type FormEvent } from 'react';
import { LabelingSettingsSchema, type CallOutput } from '../../../../main/contract';
import { useCall, useCallMutation } from '../../api/hooks';
import { clampTo, numberLimits } from '../../api/schema-limits';
import '../form.css';

type Settings = CallOutput<'labeling.settings'>;

const OVERLAP = numberLimits(LabelingSettingsSchema.shape.overlap);
const GOLD_RATE = numberLimits(LabelingSettingsSchema.shape.goldRate);
const GOLD_PERCENT = { min: GOLD_RATE.min! * 100, max: GOLD_RATE.max! * 100 };

const useSaveSettings = () => useCallMutation('labeling.setSettings', { invalidates: ['labeling.settings'] });
type SaveSettings = ReturnType<typeof useSaveSettings>;

export function LabelingSettingsForm() {
  const { data } = useCall('labeling.settings', {});
  // Out here, so "Saved." survives the editor starting over from the saved settings.
  const save = useSaveSettings();
  return data ? <SettingsEditor key={JSON.stringify(data)} initial={data} save={save} /> : null;
}

function SettingsEditor({ initial, save }: { initial: Settings; save: SaveSettings }) {
  const [overlap, setOverlap] = useState(initial.overlap);
  const [goldPercent, setGoldPercent] = useState(Math.round(initial.goldRate * 100));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({ overlap, goldRate: goldPercent / 100 });
  };
  const message = save.error?.message ?? (save.isSuccess ? 'Saved.' : null);
  return (
    <form className="row labeling-settings" onSubmit={submit} aria-label="Labeling settings">
      <label className="check">
        Labels per item
        <input
          type="number"
          {...OVERLAP}
          className="narrow"
          value={overlap}
          onChange={(e) => setOverlap(clampTo(OVERLAP, Number(e.target.value) || 0))}
          aria-label="Labels per item"
        />
      </label>
      <label className="check">
        Gold items
        <input
          type="number"
          {...GOLD_PERCENT}
          className="narrow"
          value={goldPercent}
          onChange={(e) => setGoldPercent(clampTo(GOLD_PERCENT, Number(e.target.value) || 0))}
          aria-label="Gold items percent"
        />
        %
      </label>
      <button type="submit" disabled={save.isPending}>
        Save
      </button>
      {message && <span className="small muted">{message}</span>}
    </form>
  );
}
