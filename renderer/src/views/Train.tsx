import { EmptyState } from '../components/EmptyState';
import { Page } from '../components/Page';

export function Train() {
  return (
    <Page title="Train" subtitle="Fine-tune with your preference labels (LoRA, DPO, preference models).">
      <EmptyState title="Nothing to train on yet">
        Training uses the pairwise choices you make on the Compare page. Label some pairs first.
      </EmptyState>
    </Page>
  );
}
