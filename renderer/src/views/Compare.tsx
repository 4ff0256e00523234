import { EmptyState } from '../components/EmptyState';
import { Page } from '../components/Page';

export function Compare() {
  return (
    <Page title="Compare" subtitle="Pick the better image of a pair, for the same prompt.">
      <EmptyState title="No pairs to compare yet">
        Pairwise labeling needs at least two images for one prompt in the library.
      </EmptyState>
    </Page>
  );
}
