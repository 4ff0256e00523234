// Admins add annotators here; the token is shown once (only its hash is stored).
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { callKey, useApi, useCall } from '../../api/hooks';
import { LabelingSettingsForm } from './LabelingSettingsForm';

export function TeamPanel() {
  const api = useApi();
  const queryClient = useQueryClient();
  const { data } = useCall('annotators.list', {});
  const [name, setName] = useState('');
  const [role, setRole] = useState<'annotator' | 'admin'>('annotator');
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const add = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const result = await api.call('annotators.add', { name, role });
      setCreated({ name: result.annotator.name, token: result.token });
      setName('');
      void queryClient.invalidateQueries({ queryKey: callKey('annotators.list', {}) });
    } catch (e) {
      setError((e as Error).message);
    }
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
        <select
          value={role}
          onChange={(e) => setRole(e.target.value as 'annotator' | 'admin')}
          aria-label="Role"
        >
          <option value="annotator">annotator</option>
          <option value="admin">admin</option>
        </select>
        <button type="submit" disabled={!name.trim()}>
          Add
        </button>
      </form>
      {error && <p className="error">{error}</p>}
      {created && (
        <p className="token-note">
          Login token for {created.name} (shown once): <code>{created.token}</code>
        </p>
      )}
    </div>
  );
}
