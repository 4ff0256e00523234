import { EmptyState } from '../components/EmptyState';
import { Page } from '../components/Page';

export function Models() {
  return (
    <Page title="Models" subtitle="Scoring and generation models, downloaded to your user data folder.">
      <EmptyState title="No models installed">
        Models are downloaded into your user data folder, never into the app. The catalog appears here.
      </EmptyState>
    </Page>
  );
}
