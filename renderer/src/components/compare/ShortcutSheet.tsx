import '../sheet.css';

export const SHORTCUTS: readonly [string, string][] = [
  ['← or 1', 'left image is better'],
  ['→ or 2', 'right image is better'],
  ['1 – 9', 'N-way: pick the best, or the next in order'],
  ['O', 'N-way: switch between pick best and order all'],
  ['Backspace', 'N-way order: take back the last pick'],
  ['T', 'tie'],
  ['B', 'both bad'],
  ['S', 'skip'],
  ['Z or Ctrl+Z', 'undo the last judgment and go back to it'],
  ['Double-click', 'reset zoom (wheel zooms, drag pans, both sides together)'],
  ['?', 'show or hide this sheet'],
];

export function ShortcutSheet({ onClose }: { onClose: () => void }) {
  return (
    <div className="sheet-backdrop" onClick={onClose}>
      <div
        className="sheet"
        role="dialog"
        aria-label="Keyboard shortcuts"
        onClick={(e) => e.stopPropagation()}
      >
        <h2>Keyboard shortcuts</h2>
        <table className="kv">
          <tbody>
            {SHORTCUTS.map(([keys, what]) => (
              <tr key={keys}>
                <th>
                  <kbd>{keys}</kbd>
                </th>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button onClick={onClose}>Close</button>
      </div>
    </div>
  );
}
