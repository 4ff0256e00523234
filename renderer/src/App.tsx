import { useCall } from './api/hooks';
import { JobsPanel } from './components/JobsPanel';
import { useRoute } from './router';
import { VIEWS } from './views';

export function App() {
  const route = useRoute();
  // Annotators see only the views they can use (the server refuses their other calls either way).
  const role = useCall('library.status', {}).data?.me.role;
  const views = role === 'annotator' ? VIEWS.filter((v) => v.annotator) : VIEWS;
  const view = views.find((v) => v.id === route) ?? views[0]!;
  const View = view.component;
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <span className="logo" aria-hidden>
            ◐
          </span>
          HPS Studio
        </div>
        <ul>
          {views.map((v) => (
            <li key={v.id}>
              <a href={`#/${v.id}`} aria-current={v.id === view.id ? 'page' : undefined}>
                <span className="icon" aria-hidden>
                  {v.icon}
                </span>
                {v.label}
              </a>
            </li>
          ))}
        </ul>
        <JobsPanel />
      </nav>
      <main className="content">
        <View />
      </main>
    </div>
  );
}
