import { EmptyState } from '../components/EmptyState';
import { Page } from '../components/Page';

export function Library() {
  return (
    <Page title="Library" subtitle="Your images, prompts and scores.">
      <EmptyState title="Import images to start">
        The library is empty. Import a folder of generated images with their prompts to browse, score and
        compare them.
      </EmptyState>
    </Page>
  );
}
