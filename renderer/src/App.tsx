import { JobsPanel } from './components/JobsPanel';
import { useRoute } from './router';
import { VIEWS } from './views';

export function App() {
  const route = useRoute();
  const view = VIEWS.find((v) => v.id === route) ?? VIEWS[0]!;
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
          {VIEWS.map((v) => (
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
