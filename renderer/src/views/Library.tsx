// The library: import and export (admins), the curation grid with filters and bulk actions, exact
// duplicates, and the team's logins.
import { useState } from 'react';
import { useCall } from '../api/hooks';
import { EmptyState } from '../components/EmptyState';
import { Page } from '../components/Page';
import { CurationGrid } from '../components/library/CurationGrid';
import { DuplicatesPanel } from '../components/library/DuplicatesPanel';
import { NearDuplicates } from '../components/scorers/NearDuplicates';
import { ExportDialog } from '../components/library/ExportDialog';
import { FilterBar, type Query } from '../components/library/FilterBar';
import { ImportDialog } from '../components/library/ImportDialog';
import { SelectionBar } from '../components/library/SelectionBar';
import { TeamPanel } from '../components/library/TeamPanel';
import { hadToken, signOut } from '../components/team/LoginGate';
import '../components/library/library.css';

const PAGE = 48;
type Tab = 'grid' | 'duplicates' | 'team';

export function Library() {
  const status = useCall('library.status', {});
  const [dialog, setDialog] = useState<'import' | 'export' | null>(null);
  const subtitle = 'Your images, prompts and scores.';
  const me = status.data?.me;
  if (me?.role === 'annotator') {
    return (
      <Page title="Library" subtitle={subtitle}>
        <EmptyState title={`Signed in as ${me.name}`} action={<button onClick={signOut}>Sign out</button>}>
          Curation, import and export are for admins. Open Compare to label.
        </EmptyState>
      </Page>
    );
  }
  const stats = status.data?.stats;
  return (
    <Page title="Library" subtitle={subtitle}>
      <div className="library-toolbar">
        <span className="muted">
          {stats
            ? `${stats.comparisons} comparisons · ${stats.images} images · ${stats.prompts} prompts · ${stats.judgments} judgments`
            : ' '}
        </span>
        <span className="row">
          {me && hadToken() && (
            <span className="small muted">
              {me.name} (admin) ·{' '}
              <button className="link" onClick={signOut}>
                Sign out
              </button>
            </span>
          )}
          <button className="primary" onClick={() => setDialog('import')}>
            Import…
          </button>
          <button onClick={() => setDialog('export')}>Export…</button>
        </span>
      </div>
      {stats && stats.comparisons === 0 ? (
        <EmptyState
          title="Import images to start"
          action={
            <button className="primary" onClick={() => setDialog('import')}>
              Import a folder…
            </button>
          }
        >
          The library is empty. Import a folder of generated images with their prompts to browse, score and
          compare them.
        </EmptyState>
      ) : (
        stats && <Curation tags={status.data!.tags} scorers={status.data!.scorers} />
      )}
      {dialog === 'import' && <ImportDialog onClose={() => setDialog(null)} />}
      {dialog === 'export' && <ExportDialog onClose={() => setDialog(null)} />}
    </Page>
  );
}

function Curation({ tags, scorers }: { tags: string[]; scorers: string[] }) {
  const [tab, setTab] = useState<Tab>('grid');
  const [query, setQuery] = useState<Query>({ sort: 'id', descending: false });
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [anchor, setAnchor] = useState<number | null>(null);
  const page = useCall(
    'library.comparisons',
    { ...query, offset, limit: PAGE },
    { placeholderData: (prev) => prev },
  );
  const items = page.data?.items ?? [];

  const select = (id: number, how: 'only' | 'toggle' | 'range') => {
    setSelected((current) => {
      if (how === 'only') return current.size === 1 && current.has(id) ? new Set() : new Set([id]);
      const next = new Set(current);
      if (how === 'toggle') {
        if (next.has(id)) next.delete(id);
        else next.add(id);
        return next;
      }
      const ids = items.map((i) => i.id);
      const [a, b] = [ids.indexOf(anchor ?? id), ids.indexOf(id)].sort((x, y) => x - y);
      ids.slice(a, b + 1).forEach((x) => next.add(x));
      return next;
    });
    if (how !== 'range') setAnchor(id);
  };

  return (
    <>
      <div className="tabs" role="tablist">
        {(['grid', 'duplicates', 'team'] as const).map((t) => (
          <button
            key={t}
            role="tab"
            aria-selected={tab === t}
            className={tab === t ? 'tab active' : 'tab'}
            onClick={() => setTab(t)}
          >
            {t === 'grid' ? 'Curation' : t === 'duplicates' ? 'Duplicates' : 'Team'}
          </button>
        ))}
      </div>
      {tab === 'grid' && (
        <>
          <FilterBar
            query={query}
            onChange={(q) => {
              setQuery(q);
              setOffset(0);
            }}
            tags={tags}
            scorers={scorers}
          />
          <div className="selection-slot">
            {selected.size > 0 ? (
              <SelectionBar
                selected={[...selected]}
                single={selected.size === 1 ? (items.find((i) => selected.has(i.id)) ?? null) : null}
                onClear={() => setSelected(new Set())}
              />
            ) : (
              <span className="muted small">
                Click to select, Shift+click for a range, Ctrl+click to add one.
              </span>
            )}
          </div>
          {page.error && <p className="error">{page.error.message}</p>}
          <CurationGrid items={items} selected={selected} onSelect={select} />
          <div className="pager">
            <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              ← Previous
            </button>
            <span className="muted small">
              {page.data
                ? `${page.data.total === 0 ? 0 : offset + 1}–${Math.min(offset + PAGE, page.data.total)} of ${page.data.total}`
                : ''}
            </span>
            <button
              disabled={!page.data || offset + PAGE >= page.data.total}
              onClick={() => setOffset(offset + PAGE)}
            >
              Next →
            </button>
          </div>
        </>
      )}
      {tab === 'duplicates' && (
        <>
          <DuplicatesPanel
            onShow={(ids) => {
              setSelected(new Set(ids));
              setTab('grid');
            }}
          />
          <NearDuplicates
            onShow={(ids) => {
              setSelected(new Set(ids));
              setTab('grid');
            }}
          />
        </>
      )}
      {tab === 'team' && <TeamPanel />}
    </>
  );
}
