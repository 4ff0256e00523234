import { useEffect, useRef, type ReactNode } from 'react';

/** Asks before something that cannot be undone; Escape or the backdrop cancel. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  busy,
  error,
  onConfirm,
  onCancel,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busy: boolean;
  /** Why the last confirmed attempt failed. */
  error?: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), []);
  return (
    <div className="models-backdrop" onClick={onCancel} onKeyDown={(e) => e.key === 'Escape' && onCancel()}>
      <div
        className="models-dialog"
        role="alertdialog"
        aria-label={title}
        onClick={(e) => e.stopPropagation()}
      >
        <h2>{title}</h2>
        <p>{children}</p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="models-actions">
          <button ref={cancel} onClick={onCancel}>
            Keep
          </button>
          <button className="danger" onClick={onConfirm} disabled={busy}>
            {busy ? 'Deleting…' : confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
