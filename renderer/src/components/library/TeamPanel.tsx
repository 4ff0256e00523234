// Admins add annotators here; the token is shown once (only its hash is stored).
import { useState, type FormEvent } from 'react';
import { RoleSchema, type CallInput } from '../../../../main/contract';
import { useCall, useCallMutation } from '../../api/hooks';
import '../form.css';
import { LabelingSettingsForm } from './LabelingSettingsForm';

type Role = NonNullable<CallInput<'annotators.add'>['role']>;

export function TeamPanel() {
  const { data } = useCall('annotators.list', {});
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('annotator');
  const addAnnotator = useCallMutation('annotators.add', {
    invalidates: ['annotators.list'],
    onSuccess: () => setName(''),
  });
  const created = addAnnotator.data;
  const add = (event: FormEvent) => {
    event.preventDefault();
    addAnnotator.mutate({ name, role });
  };
  return (
    <div className="team">
      <h3>Labeling</h3>
      <LabelingSettingsForm />
      <h3>People</h3>
      <table className="grid">
        <thead>
          <tr>
            <th>Name</th>
            <th>Role</th>
            <th>Judgments</th>
          </tr>
        </thead>
        <tbody>
          {(data?.annotators ?? []).map((a) => (
            <tr key={a.id}>
              <td>
                {a.name}
                {!a.canLogin && <span className="muted small"> (no login)</span>}
              </td>
              <td>{a.role}</td>
              <td>{a.judgments}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="row" onSubmit={add}>
        <input
          type="text"
          placeholder="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-label="Annotator name"
        />
        <select value={role} onChange={(e) => setRole(e.target.value as Role)} aria-label="Role">
          {RoleSchema.options.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <button type="submit" disabled={addAnnotator.isPending || !name.trim()}>
          Add
        </button>
      </form>
      {addAnnotator.error && <p className="error">{addAnnotator.error.message}</p>}
      {created && (
        <p className="token-note">
          Login token for {created.annotator.name} (shown once): <code>{created.token}</code>
        </p>
      )}
    </div>
  );
}
