import { EmptyState } from '../components/EmptyState';
import { Page } from '../components/Page';

export function Evaluate() {
  return (
    <Page title="Evaluate" subtitle="Score image sets with HPS and other preference models, side by side.">
      <EmptyState title="No scores yet">
        Evaluation scores the images in your library. Import images and install a scoring model first.
      </EmptyState>
    </Page>
  );
}
